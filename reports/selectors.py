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


# ---------------------------------------------------------------------------
# Dashboards
# ---------------------------------------------------------------------------


def progress_trend(campaign: Campaign) -> list[dict]:
    """The stored daily campaign figures, oldest first (one query)."""
    from reports.models import ProgressSnapshot

    return list(
        ProgressSnapshot.objects.filter(campaign=campaign, kind=ProgressSnapshot.Kind.CAMPAIGN)
        .order_by("date")
        .values("date", "time_ratio", "work_ratio", "indicators_complete", "indicators_total")
    )


def assignment_rows(queryset):
    """Assignment rows for lists, the ledger and drill-downs: status, latest return reason, latest
    submission and latest review (decision, time, reviewer) annotated — one query."""
    from django.db.models import OuterRef, Subquery

    from evidence.models import EvidenceAssignment

    decided = EvidenceAssignment.objects.filter(
        assignment_id=OuterRef("pk"), evidence__status__in=["approved", "returned"]
    ).order_by("-evidence__reviewed_at")
    return (
        queryset.with_status()
        .with_latest_return()
        .with_last_submission()
        .annotate(
            last_review_at=Subquery(decided.values("evidence__reviewed_at")[:1]),
            last_review_status=Subquery(decided.values("evidence__status")[:1]),
            last_reviewer=Subquery(decided.values("evidence__reviewed_by__name")[:1]),
        )
        .select_related("indicator__area", "unit__kind")
    )


def indicator_states(campaign: Campaign, progress) -> list[dict]:
    """Every assessable indicator with its completion state (complete / incomplete / 未分解) and
    its assignment counts, in tree order (two queries)."""
    from django.db.models import Count, Q

    from indicators.models import Indicator
    from reports.progress import DONE

    counts = {
        row["indicator_id"]: row
        for row in Assignment.objects.filter(campaign=campaign)
        .with_status()
        .values("indicator_id")
        .annotate(n=Count("id"), done=Count("id", filter=Q(status__in=DONE)))
    }
    rows = []
    for ind in (
        Indicator.objects.filter(framework_id=campaign.framework_id)
        .assessable()
        .select_related("area")
        .order_by("sort_key")
    ):
        row = counts.get(ind.pk, {"n": 0, "done": 0})
        state = (
            "complete"
            if ind.pk in progress.complete_indicator_ids
            else ("unassigned" if not row["n"] else "incomplete")
        )
        rows.append({"indicator": ind, "total": row["n"], "done": row["done"], "state": state})
    return rows
