from django.urls import path

from supervision.views import field, office, rectifications

app_name = "supervision"

urlpatterns = [
    path("rounds/", office.round_list, name="round_list"),
    path("rounds/<int:pk>/", office.round_board, name="round_board"),
    path("rounds/<int:pk>/groups/new/", office.group_edit, name="group_create"),
    path("rounds/<int:pk>/groups/<int:group_id>/", office.group_edit, name="group_edit"),
    path("rounds/<int:pk>/report.docx", office.round_report, name="round_report"),
    path("", field.my_visits, name="my_visits"),
    path("visits/new/", field.visit_create, name="visit_create"),
    path("visits/<int:pk>/", field.visit_detail, name="visit_detail"),
    path("visits/<int:pk>/photos/<int:photo_id>/", field.visit_photo, name="visit_photo"),
    path("rectifications/", rectifications.rectification_list, name="rectification_list"),
    path("rectifications/<int:pk>/", rectifications.rectification_detail, name="rectification_detail"),
    path("rectifications/<int:pk>/respond/", rectifications.rectification_respond, name="rectification_respond"),
    path("rectifications/<int:pk>/extend/", rectifications.rectification_extend, name="rectification_extend"),
    path("rectifications/<int:pk>/files/<int:file_id>/", rectifications.rectification_file, name="rectification_file"),
    path("rectifications/<int:pk>/<str:action>/", rectifications.rectification_action, name="rectification_action"),
]
