"""Reads of the supervision pages: the round board, a supervisor's units, rectification counts."""

import datetime as dt
from collections import defaultdict

from django.db.models import Count, Prefetch, Q
from django.utils import timezone

from supervision.models import GroupMember, InspectionGroup, Rectification, SupervisionRound, Visit

OPEN = ("open", "in_progress", "awaiting_check")


def _rectification_counts(queryset, key: str) -> dict:
    today = timezone.localdate()
    rows = queryset.values(key).annotate(
        findings=Count("id"),
        open=Count("id", filter=Q(status__in=OPEN)),
        overdue=Count("id", filter=Q(deadline__lt=today, status__in=["open", "in_progress"])),
        closed=Count("id", filter=Q(status="closed")),
    )
    return {row[key]: row for row in rows}


def round_board(round_: SupervisionRound) -> dict:
    """Per group: units planned and visited, findings, open and overdue orders; and round totals.

    Four queries whatever the size of the round.
    """
    groups = list(
        InspectionGroup.objects.filter(round=round_)
        .select_related("leader")
        .prefetch_related(
            Prefetch("memberships", queryset=GroupMember.objects.filter(left_at__isnull=True).select_related("user"))
        )
        .annotate(planned=Count("units", distinct=True), visited=Count("visits__unit", distinct=True))
        .order_by("order", "id")
    )
    orders = Rectification.objects.filter(finding__round=round_)
    by_group = _rectification_counts(orders, "finding__visit__group")
    empty = {"findings": 0, "open": 0, "overdue": 0, "closed": 0}
    rows = [{"group": g, **by_group.get(g.pk, empty)} for g in groups]
    totals = orders.aggregate(
        findings=Count("id"),
        open=Count("id", filter=Q(status__in=OPEN)),
        overdue=Count("id", filter=Q(deadline__lt=timezone.localdate(), status__in=["open", "in_progress"])),
        closed=Count("id", filter=Q(status="closed")),
    )
    unlinked = by_group.get(None)
    return {"rows": rows, "totals": totals, "unlinked": unlinked}


def my_groups(user, *, today: dt.date | None = None) -> list[dict]:
    """The supervisor's groups in rounds that are on (or ended within a week), with each planned
    unit and whether it has been visited (three queries)."""
    today = today or timezone.localdate()
    groups = list(
        InspectionGroup.objects.filter(Q(leader=user) | Q(memberships__user=user, memberships__left_at__isnull=True))
        .filter(round__end_date__gte=today - dt.timedelta(days=7))
        .select_related("round")
        .prefetch_related("units")
        .distinct()
        .order_by("round__start_date", "order")
    )
    visited: dict[int, dict[int, dt.date]] = defaultdict(dict)
    for group_id, unit_id, date in Visit.objects.filter(group__in=groups).values_list("group_id", "unit_id", "date"):
        visited[group_id][unit_id] = max(date, visited[group_id].get(unit_id, date))
    return [
        {
            "group": group,
            "units": [{"unit": unit, "visited_on": visited[group.pk].get(unit.pk)} for unit in group.units.all()],
        }
        for group in groups
    ]


def rectification_counts_by_unit(campaign) -> dict[int, dict]:
    """Open and overdue orders per unit of a campaign (for the unit figures beside the rates)."""
    return _rectification_counts(Rectification.objects.filter(finding__round__campaign=campaign), "unit_id")


def round_report_data(round_: SupervisionRound):
    """Everything the 督导情况通报 says about a round, read in five queries."""
    from supervision.report import ReportFinding, ReportGroup, RoundReport

    campaign = round_.campaign
    groups = list(
        InspectionGroup.objects.filter(round=round_)
        .select_related("leader")
        .prefetch_related(
            Prefetch("memberships", queryset=GroupMember.objects.filter(left_at__isnull=True).select_related("user")),
            "units",
        )
        .order_by("order", "id")
    )
    visited = defaultdict(set)
    for group_id, unit_id in Visit.objects.filter(group__round=round_).values_list("group_id", "unit_id"):
        visited[group_id].add(unit_id)
    orders = (
        Rectification.objects.filter(finding__round=round_)
        .with_overdue()
        .select_related("unit", "finding")
        .prefetch_related("finding__indicators")
        .order_by("unit__order", "finding__created_at", "id")
    )
    return RoundReport(
        campaign_name=campaign.name,
        office_name=campaign.office_name,
        title=round_.title,
        start_date=round_.start_date,
        end_date=round_.end_date,
        bodies=round_.bodies,
        issued_on=timezone.localdate(),
        groups=[
            ReportGroup(
                name=g.name,
                leader=g.leader.display_name,
                members=[m.user.display_name for m in g.memberships.all()],
                planned_units=[u.name for u in sorted(g.units.all(), key=lambda u: u.order)],
                visited_units=[u.name for u in sorted(g.units.all(), key=lambda u: u.order) if u.pk in visited[g.pk]],
            )
            for g in groups
        ],
        findings=[
            ReportFinding(
                unit=o.unit.name,
                category=o.finding.get_category_display(),
                severity=o.finding.get_severity_display(),
                description=o.finding.description,
                requirement=o.requirement,
                deadline=o.deadline,
                original_deadline=o.original_deadline,
                status=o.get_status_display(),
                overdue=o.overdue,
                indicators=[f"{i.code} {i.title}" for i in o.finding.indicators.all()],
            )
            for o in orders
        ],
    )
