"""The /api/v1/ router: every resource of DESIGN.md §5.2 and the token login."""

from django.urls import include, path
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.routers import DefaultRouter

from bulletins.api import BulletinViewSet, PostViewSet, PublicColumnApi
from evidence.api import EvidenceViewSet
from indicators.api import AssignmentViewSet, CampaignViewSet, FrameworkViewSet, IndicatorViewSet
from reports.api import CampaignProgressApi, CampaignProgressHistoryApi
from supervision.api import FindingViewSet, GroupViewSet, RectificationViewSet, RoundViewSet, VisitViewSet
from units.api import UnitViewSet

router = DefaultRouter()
router.register("campaigns", CampaignViewSet, basename="campaign")
router.register("frameworks", FrameworkViewSet, basename="framework")
router.register("indicators", IndicatorViewSet, basename="indicator")
router.register("units", UnitViewSet, basename="unit")
router.register("assignments", AssignmentViewSet, basename="assignment")
router.register("evidence", EvidenceViewSet, basename="evidence")
router.register("rounds", RoundViewSet, basename="round")
router.register("groups", GroupViewSet, basename="group")
router.register("visits", VisitViewSet, basename="visit")
router.register("findings", FindingViewSet, basename="finding")
router.register("rectifications", RectificationViewSet, basename="rectification")
router.register("bulletins", BulletinViewSet, basename="bulletin")
router.register("posts", PostViewSet, basename="post")

urlpatterns = [
    path("auth/token/", ObtainAuthToken.as_view(), name="api_token"),
    path("campaigns/<int:pk>/progress/", CampaignProgressApi.as_view(), name="api_campaign_progress"),
    path(
        "campaigns/<int:pk>/progress/history/",
        CampaignProgressHistoryApi.as_view(),
        name="api_campaign_progress_history",
    ),
    path("public/column/<int:campaign_id>/", PublicColumnApi.as_view(), name="api_public_column"),
    path("", include(router.urls)),
]
