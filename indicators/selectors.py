"""Reads that serve one page or take parameters: current campaign, tree, matrix, unit tasks."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Prefetch

from indicators.models import Assignment, Campaign, Indicator
from luhsan_portal.access import Action, sees_whole_county

SESSION_KEY = "campaign_id"


def campaign_choices(request) -> list[Campaign]:
    """Campaigns the user may see, newest first; read once per request."""
    cached = getattr(request, "_portal_campaigns", None)
    if cached is None:
        cached = list(Campaign.objects.for_user(request.user).select_related("framework", "county"))
        request._portal_campaigns = cached
    return cached


def campaign_get_current(request) -> Campaign | None:
    """The campaign picked in the top bar (kept in the session), else the newest visible one."""
    campaigns = campaign_choices(request)
    wanted = request.session.get(SESSION_KEY)
    for campaign in campaigns:
        if campaign.pk == wanted:
            return campaign
    return campaigns[0] if campaigns else None


# ---------------------------------------------------------------------------
# Indicator tree
# ---------------------------------------------------------------------------


@dataclass
class TreeNode:
    indicator: Indicator
    children: list["TreeNode"] = field(default_factory=list)
    leads: list[str] = field(default_factory=list)
    co_count: int = 0


def indicator_tree(*, framework_id: int, campaign: Campaign | None) -> tuple[list[TreeNode], list[TreeNode]]:
    """The framework as (areas with their items and indicators, bonus indicators); three queries."""
    nodes = list(Indicator.objects.filter(framework_id=framework_id).for_tree())
    leads: dict[int, list[str]] = defaultdict(list)
    co_counts: dict[int, int] = defaultdict(int)
    if campaign is not None and campaign.framework_id == framework_id:
        rows = Assignment.objects.filter(campaign=campaign).values_list("indicator_id", "role", "unit__short_name")
        for indicator_id, role, short_name in rows.order_by("unit__order"):
            if role == Assignment.Role.LEAD:
                leads[indicator_id].append(short_name)
            else:
                co_counts[indicator_id] += 1
    by_id = {n.pk: TreeNode(n, leads=leads[n.pk], co_count=co_counts[n.pk]) for n in nodes}
    roots, bonus = [], []
    for node in nodes:
        tree_node = by_id[node.pk]
        if node.level == Indicator.Level.BONUS:
            bonus.append(tree_node)
        elif node.parent_id is None:
            roots.append(tree_node)
        elif node.parent_id in by_id:
            by_id[node.parent_id].children.append(tree_node)
    return roots, bonus


def indicator_get_detail(*, user, pk: int) -> Indicator:
    """One indicator with its methods and ancestors (404 outside the user's view)."""
    from django.shortcuts import get_object_or_404

    return get_object_or_404(
        Indicator.objects.for_user(user)
        .select_related("framework", "parent__parent")
        .prefetch_related("evaluation_methods"),
        pk=pk,
    )


def assignment_list_for_indicator(*, user, indicator: Indicator, campaign: Campaign | None) -> list[Assignment]:
    """The indicator's lead and co units in the campaign, as far as the user may see them."""
    if campaign is None:
        return []
    return list(
        Assignment.objects.for_user(user)
        .filter(campaign=campaign, indicator=indicator)
        .with_status()
        .select_related("unit__kind", "waived_by")
        .order_by("role", "unit__order")
    )


# ---------------------------------------------------------------------------
# Responsibility matrix and a unit's tasks
# ---------------------------------------------------------------------------


@dataclass
class MatrixRow:
    indicator: Indicator
    leads: list[Assignment] = field(default_factory=list)
    cos: list[Assignment] = field(default_factory=list)

    @property
    def due_dates(self) -> list:
        return sorted({a.due_date for a in self.leads + self.cos if a.due_date})


def assignment_matrix(*, user, campaign: Campaign, filters: dict) -> list[tuple[Indicator | None, list[MatrixRow]]]:
    """The 责任清单: every assessable indicator with its lead and co units, grouped by area.

    ``filters`` may hold ``area`` (id), ``unit`` (id) and ``role``; two queries whatever the size.
    """
    indicators = Indicator.objects.filter(framework_id=campaign.framework_id).assessable()
    if filters.get("area"):
        indicators = indicators.filter(area_id=filters["area"])
    assignments = (
        Assignment.objects.for_user(user)
        .filter(campaign=campaign)
        .with_status()
        .select_related("unit")
        .order_by("unit__order")
    )
    if not sees_whole_county(user):
        # A unit's people see the lines of the list that concern their unit.
        indicators = indicators.filter(pk__in=assignments.values("indicator_id"))
    if filters.get("unit"):
        indicator_ids = Assignment.objects.filter(campaign=campaign, unit_id=filters["unit"])
        if filters.get("role"):
            indicator_ids = indicator_ids.filter(role=filters["role"])
        indicators = indicators.filter(pk__in=indicator_ids.values("indicator_id"))
    rows = {i.pk: MatrixRow(i) for i in indicators.select_related("area").order_by("sort_key")}
    for assignment in assignments.filter(indicator_id__in=list(rows)):
        row = rows[assignment.indicator_id]
        (row.leads if assignment.role == Assignment.Role.LEAD else row.cos).append(assignment)
    return group_by_area(list(rows.values()))


def assignment_list_for_unit(*, user, unit_id: int, campaign: Campaign) -> list[Assignment]:
    """A unit's assignments in tree order, with area, status and overdue flag (one query)."""
    return list(
        Assignment.objects.for_user(user, Action.VIEW)
        .filter(campaign=campaign, unit_id=unit_id)
        .for_listing()
        .prefetch_related(Prefetch("indicator__evaluation_methods"))
        .order_by("indicator__sort_key")
    )


def group_by_area(items: list) -> list[tuple[Indicator | None, list]]:
    """Rows that have an ``indicator`` (already in tree order) grouped under its level-1 area; bonus last."""
    groups: dict[int | None, list] = {}
    areas: dict[int | None, Indicator | None] = {}
    for item in items:
        key = item.indicator.area_id
        groups.setdefault(key, []).append(item)
        areas[key] = item.indicator.area
    return [(areas[key], rows) for key, rows in groups.items()]
