"""Progress API: GET /api/v1/campaigns/{id}/progress/ and .../progress/history/ (DESIGN.md §5.2)."""

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from indicators.models import Campaign
from luhsan_portal.access import sees_whole_county
from reports.models import ProgressSnapshot
from reports.progress import campaign_progress, progress_as_dict


def _campaign(request, pk: int) -> Campaign:
    # Campaign-wide figures are for the office and the leaders; a unit's people get 404 here and
    # read their own unit's figures on the unit dashboard.
    queryset = Campaign.objects.for_user(request.user) if sees_whole_county(request.user) else Campaign.objects.none()
    return get_object_or_404(queryset, pk=pk)


class CampaignProgressApi(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT, summary="创建活动的进度数据（完成率、双过半、各领域、各单位）")
    def get(self, request, pk: int):
        return Response(progress_as_dict(campaign_progress(_campaign(request, pk))))


class CampaignProgressHistoryApi(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT, summary="每日进度快照（全县）")
    def get(self, request, pk: int):
        campaign = _campaign(request, pk)
        rows = ProgressSnapshot.objects.filter(campaign=campaign, kind=ProgressSnapshot.Kind.CAMPAIGN).order_by("date")
        return Response(
            {
                "campaign": campaign.pk,
                "results": [
                    {
                        "date": row.date.isoformat(),
                        "time_ratio": row.time_ratio,
                        "work_ratio": row.work_ratio,
                        "indicators_total": row.indicators_total,
                        "indicators_complete": row.indicators_complete,
                        "assignments_total": row.assignments_total,
                        "assignments_approved": row.assignments_done,
                        **row.figures,
                    }
                    for row in rows
                ],
            }
        )
