from django.urls import path

from evidence import views

app_name = "evidence"

urlpatterns = [
    path("evidence/new/", views.evidence_create, name="evidence_create"),
    path("evidence/<int:pk>/", views.evidence_detail, name="evidence_detail"),
    path("evidence/<int:pk>/approve/", views.evidence_approve, name="evidence_approve"),
    path("evidence/<int:pk>/return/", views.evidence_return, name="evidence_return"),
    path("evidence/<int:pk>/withdraw/", views.evidence_withdraw, name="evidence_withdraw"),
    path("evidence/<int:pk>/files/<int:file_id>/", views.evidence_file, name="evidence_file"),
    path("assignments/<int:pk>/evidence/", views.assignment_evidence, name="assignment_evidence"),
    path("indicators/<int:pk>/history/", views.indicator_history, name="indicator_history"),
    path("review/", views.review_queue, name="review_queue"),
    path("review/bulk-approve/", views.review_bulk_approve, name="review_bulk_approve"),
    path("links/", views.link_list, name="link_list"),
    path("links/<int:pk>/recheck/", views.link_recheck, name="link_recheck"),
]
