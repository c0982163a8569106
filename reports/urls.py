from django.urls import path

from reports.views import dashboard, documents, feedback, packages

app_name = "reports"

urlpatterns = [
    path("feedback/", feedback.feedback, name="feedback"),
    path("feedback/all.<str:fmt>.zip", feedback.feedback_download_all, name="feedback_download_all"),
    path("feedback/<int:unit_id>.<str:fmt>", feedback.feedback_download, name="feedback_download"),
]

urlpatterns += [
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("dashboard/indicators/", dashboard.indicator_states, name="indicator_states"),
    path("dashboard/assignments/", dashboard.assignment_list, name="assignment_list"),
    path("dashboard/units/<int:pk>/", dashboard.unit_dashboard, name="unit_dashboard"),
    path("dashboard/my-unit/", dashboard.my_unit_dashboard, name="my_unit_dashboard"),
    path("dashboard/ledger.xlsx", dashboard.ledger, name="ledger"),
]

urlpatterns += [
    path("exports/", packages.package_list, name="package_list"),
    path("exports/<int:pk>/", packages.package_detail, name="package_detail"),
    path("exports/<int:pk>/retry/", packages.package_retry, name="package_retry"),
    path("exports/<int:pk>/files/<str:name>", packages.package_download, name="package_download"),
    path("reports/documents/", documents.report_documents, name="report_documents"),
]
