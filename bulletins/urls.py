from django.urls import path

from bulletins.views import office, posts

app_name = "bulletins"

urlpatterns = [
    path("", office.bulletin_list, name="bulletin_list"),
    path("new/", office.bulletin_create, name="bulletin_create"),
    path("<int:pk>/", office.bulletin_detail, name="bulletin_detail"),
    path("<int:pk>/edit/", office.bulletin_edit, name="bulletin_edit"),
    path("<int:pk>/items/new/", office.item_edit, name="item_create"),
    path("<int:pk>/items/<int:item_id>/", office.item_edit, name="item_edit"),
    path("<int:pk>/items/<int:item_id>/<str:action>/", office.item_action, name="item_action"),
    path("<int:pk>/insert/<str:kind>/", office.insert_block, name="insert_block"),
    path("<int:pk>/download.<str:fmt>", office.bulletin_download, name="bulletin_download"),
    path("<int:pk>/<str:action>/", office.bulletin_action, name="bulletin_action"),
    path("column/posts/", posts.post_list, name="post_list"),
    path("column/posts/new/", posts.post_edit, name="post_create"),
    path("column/posts/<int:pk>/", posts.post_edit, name="post_edit"),
    path("column/posts/<int:pk>/publish/", posts.post_publish, name="post_publish"),
    path("column/export.zip", posts.column_export, name="column_export"),
]
