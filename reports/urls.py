from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("feedback/", views.feedback, name="feedback"),
    path("feedback/all.<str:fmt>.zip", views.feedback_download_all, name="feedback_download_all"),
    path("feedback/<int:unit_id>.<str:fmt>", views.feedback_download, name="feedback_download"),
]
