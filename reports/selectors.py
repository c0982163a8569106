"""Reads that feed the generated documents."""

from django.utils import timezone

from indicators.models import Assignment, Campaign
from indicators.querysets import AssignmentStatus
from reports.feedback import STATUS_LABELS, FeedbackRow, FeedbackSheet
from units.models import Unit

OPEN = (AssignmentStatus.NOT_SUBMITTED, AssignmentStatus.RETURNED, AssignmentStatus.PENDING)


def feedback_sheets(*, campaign: Campaign, units: list[Unit]) -> list[FeedbackSheet]:
    """The 一对一专项反馈清单 of each unit: its assignments not yet approved (one query in all)."""
    rows: dict[int, list[FeedbackRow]] = {u.pk: [] for u in units}
    assignments = (
        Assignment.objects.filter(campaign=campaign, unit_id__in=list(rows))
        .with_status()
        .with_latest_return()
        .with_last_submission()
        .filter(status__in=OPEN)
        .select_related("indicator__area")
        .order_by("indicator__sort_key")
    )
    for a in assignments:
        area = a.indicator.area
        rows[a.unit_id].append(
            FeedbackRow(
                area=f"{area.code}{area.title}" if area else "附加指标",
                indicator_code=a.indicator.code,
                indicator_title=a.indicator.title,
                role=a.get_role_display(),
                due_date=a.due_date,
                status=a.status,
                status_label=STATUS_LABELS[a.status],
                overdue=a.overdue,
                last_reason=a.return_reason or "",
                last_submitted_at=a.last_submitted_at,
            )
        )
    today = timezone.localdate()
    return [
        FeedbackSheet(
            campaign_name=campaign.name,
            office_name=campaign.office_name,
            unit_name=unit.name,
            generated_on=today,
            rows=rows[unit.pk],
        )
        for unit in units
    ]
