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
        .with_status(campaign=campaign)
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
        .with_status(campaign=campaign)
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


LEADING_UNITS = 5
LAGGING_UNITS = 10
LAGGING_INDICATORS = 10


def report_figures(campaign: Campaign, *, today=None, year: int | None = None):
    """The figures of the progress report and the annual report draft, from the live data.

    With ``year``, activity counts (evidence, supervision, bulletins) cover that calendar year;
    without it, the whole campaign so far. Progress figures are those of ``today``.
    """
    from django.db.models import Count, Q

    from bulletins.models import Bulletin
    from evidence.models import Evidence, EvidenceLink
    from reports.documents import AreaLine, IndicatorLine, ReportFigures, UnitLine
    from reports.progress import campaign_progress
    from supervision.models import Finding, Rectification, SupervisionRound
    from supervision.selectors import rectification_counts_by_unit
    from units.models import UnitKind

    today = today or timezone.localdate()
    progress = campaign_progress(campaign, today=today)
    township_kinds = set(UnitKind.objects.filter(is_township=True).values_list("code", flat=True))
    with_tasks = [u for u in progress.units if u.total]
    orders = rectification_counts_by_unit(campaign)

    def line(unit) -> UnitLine:
        counts = orders.get(unit.unit_id, {})
        return UnitLine(unit.name, unit.rate, unit.expected, unit.overdue, counts.get("open", 0))

    ranking = progress.ranking()
    leading = [u for u in reversed(ranking) if u.done and (u.gap or 0) >= 0][:LEADING_UNITS]
    lagging = [u for u in ranking if (u.gap or 0) < 0 or u.overdue][:LAGGING_UNITS]
    owing: dict[int, list[str]] = {}
    lagging_rows = (
        Assignment.objects.filter(campaign=campaign)
        .with_status(today=today, campaign=campaign)
        .filter(overdue=True)
        .select_related("indicator", "unit")
        .order_by("indicator__sort_key", "unit__order")
    )
    indicators = {}
    for assignment in lagging_rows:
        indicators.setdefault(assignment.indicator_id, assignment.indicator)
        owing.setdefault(assignment.indicator_id, []).append(assignment.unit.short_name)
    lagging_indicators = [
        IndicatorLine(ind.code, ind.title, owing[pk]) for pk, ind in list(indicators.items())[:LAGGING_INDICATORS]
    ]

    def in_period(field: str) -> Q:
        return Q(**{f"{field}__year": year}) if year else Q()

    evidence = Evidence.objects.filter(campaign=campaign)
    evidence_counts = evidence.aggregate(
        submitted=Count("id", filter=in_period("created_at") & ~Q(status=Evidence.Status.WITHDRAWN)),
        approved=Count("id", filter=in_period("reviewed_at") & Q(status=Evidence.Status.APPROVED)),
        returned=Count("id", filter=in_period("reviewed_at") & Q(status=Evidence.Status.RETURNED)),
    )
    rectifications = Rectification.objects.filter(finding__round__campaign=campaign).aggregate(
        closed=Count("id", filter=Q(status=Rectification.Status.CLOSED)),
        open=Count("id", filter=~Q(status=Rectification.Status.CLOSED)),
        overdue=Count("id", filter=~Q(status=Rectification.Status.CLOSED) & Q(deadline__lt=today)),
    )
    rounds = SupervisionRound.objects.filter(campaign=campaign).filter(in_period("start_date"))
    return ReportFigures(
        county=campaign.county.name,
        campaign=campaign.name,
        office=campaign.office_name or f"{campaign.county.name}创建办",
        as_of=today,
        start_date=campaign.start_date,
        target_date=campaign.target_date,
        units_county=sum(1 for u in with_tasks if u.kind_code not in township_kinds),
        units_township=sum(1 for u in with_tasks if u.kind_code in township_kinds),
        indicators_total=progress.indicators_total,
        indicators_complete=progress.indicators_complete,
        bonus_total=progress.bonus_total,
        bonus_complete=progress.bonus_complete,
        assignments_total=progress.assignments_total,
        assignments_done=progress.assignments_done,
        time_ratio=progress.time_ratio,
        work_ratio=progress.work_ratio,
        double_half=progress.double_half,
        pace=progress.pace,
        areas=[AreaLine(f"{a.code}{a.title}", a.total, a.complete) for a in progress.areas],
        leading_units=[line(u) for u in leading],
        lagging_units=[line(u) for u in lagging],
        lagging_indicators=lagging_indicators,
        evidence_submitted=evidence_counts["submitted"],
        evidence_approved=evidence_counts["approved"],
        evidence_returned=evidence_counts["returned"],
        web_links=EvidenceLink.objects.filter(evidence__in=evidence.exclude(status=Evidence.Status.WITHDRAWN))
        .filter(in_period("evidence__created_at"))
        .count(),
        rounds=rounds.count(),
        findings=Finding.objects.filter(round__in=rounds).count(),
        orders_closed=rectifications["closed"],
        orders_open=rectifications["open"],
        orders_overdue=rectifications["overdue"],
        bulletins_published=Bulletin.objects.filter(campaign=campaign, status=Bulletin.Status.PUBLISHED)
        .filter(in_period("published_at"))
        .count(),
        year=year or today.year,
    )
