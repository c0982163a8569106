from django.urls import path

from indicators import views

app_name = "indicators"

urlpatterns = [
    path("indicators/", views.indicator_tree, name="indicator_tree"),
    path("indicators/<int:pk>/", views.indicator_detail, name="indicator_detail"),
    path("assignments/", views.assignment_matrix, name="assignment_matrix"),
    path("assignments/<int:pk>/waive/", views.assignment_waive, name="assignment_waive"),
    path("assignments/<int:pk>/unwaive/", views.assignment_unwaive, name="assignment_unwaive"),
    path("my/tasks/", views.my_tasks, name="my_tasks"),
    path("imports/", views.import_list, name="import_list"),
    path("imports/<int:pk>/", views.import_detail, name="import_detail"),
]
