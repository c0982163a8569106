from django.urls import path

from bulletins.views import column

app_name = "column"

urlpatterns = [
    path("", column.column_root, name="root"),
    path("<int:campaign_id>/", column.column_index, name="index"),
    path("<int:campaign_id>/feed.json", column.column_feed_json, name="feed"),
    path("<int:campaign_id>/jianbao/<int:pk>/", column.column_bulletin, name="bulletin"),
    path("<int:campaign_id>/jianbao/<int:pk>.pdf", column.column_bulletin_pdf, name="bulletin_pdf"),
    path("<int:campaign_id>/wenzhang/<int:pk>/", column.column_post, name="post"),
    path("<int:campaign_id>/fujian/<int:attachment_id>/", column.column_attachment, name="attachment"),
    path("<int:campaign_id>/<str:board>/", column.column_board, name="board"),
]
