"""The one definition of every progress figure (DESIGN.md §3.2–§3.3).

Dashboards, the API, Excel ledgers, snapshots and reports all read ``campaign_progress``; the
assignment status itself comes from ``AssignmentQuerySet.with_status`` (DESIGN.md §3.1). The
work is a handful of GROUP BY queries whose number does not depend on the size of the campaign.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from indicators.models import Assignment, Campaign, Indicator
from indicators.querysets import AssignmentStatus, is_overdue

DONE = (AssignmentStatus.APPROVED, AssignmentStatus.WAIVED)
UNIT_COUNTS = ("total", "done", "lead", "due", "overdue", "returned", "pending")
OVERDUE_STATUSES = (AssignmentStatus.NOT_SUBMITTED, AssignmentStatus.RETURNED)

DEFINITION = _(
    "完成口径：三级指标在已分解、且全部责任单位均“已通过”（“不适用”视为完成）时计为完成；"
    "工作进度 = 已完成三级指标 ÷ 全部三级指标，附加指标单列、不计入；"
    "单位完成率 = 已通过或不适用的任务 ÷ 该单位全部任务；"
    "时间进度 = 已过天数 ÷ 总天数；时间过半后工作进度≥50%为“双过半”达标。"
)


def time_ratio(start: dt.date, target: dt.date, today: dt.date) -> float:
    """Share of the campaign's time gone, clamped to [0, 1]."""
    span = (target - start).days
    if span <= 0:
        return 1.0
    return min(max((today - start).days / span, 0.0), 1.0)


def double_half(t: float, w: float | None) -> bool | None:
    """双过半: judged only from the half-way date on; ``None`` before it."""
    if t < 0.5:
        return None
    return w is not None and w >= 0.5


def pace(t: float, w: float | None) -> str:
    """超前 when at least 10 points ahead of time, 正常 when level with it, 滞后 otherwise."""
    w = w or 0.0
    if w >= t + 0.1:
        return "超前"
    if w >= t:
        return "正常"
    return "滞后"


def ratio(done: int, total: int) -> float | None:
    return done / total if total else None


@dataclass
class UnitFigures:
    unit_id: int
    name: str
    short_name: str
    kind: str
    kind_code: str
    total: int = 0
    done: int = 0
    lead: int = 0
    due: int = 0
    overdue: int = 0
    returned: int = 0
    pending: int = 0

    @property
    def rate(self) -> float | None:
        return ratio(self.done, self.total)

    @property
    def expected(self) -> float | None:
        """Share of the unit's assignments already due (e_u in DESIGN.md §3.3)."""
        return ratio(self.due, self.total)

    @property
    def gap(self) -> float | None:
        return None if self.rate is None else self.rate - (self.expected or 0.0)


@dataclass
class AreaFigures:
    area_id: int
    code: str
    title: str
    total: int = 0
    complete: int = 0

    @property
    def rate(self) -> float | None:
        return ratio(self.complete, self.total)


@dataclass
class CampaignProgress:
    campaign: Campaign
    today: dt.date
    time_ratio: float
    indicators_total: int = 0
    indicators_complete: int = 0
    indicators_unassigned: int = 0
    bonus_total: int = 0
    bonus_complete: int = 0
    assignments_total: int = 0
    assignments_done: int = 0
    assignments_overdue: int = 0
    areas: list[AreaFigures] = field(default_factory=list)
    units: list[UnitFigures] = field(default_factory=list)
    complete_indicator_ids: set[int] = field(default_factory=set)
    # Overdue assignments, earliest due first, then in tree order, then by id (the 总览 lists the first few).
    overdue_assignment_ids: list[int] = field(default_factory=list)

    @property
    def work_ratio(self) -> float:
        return ratio(self.indicators_complete, self.indicators_total) or 0.0

    @property
    def assignment_ratio(self) -> float | None:
        return ratio(self.assignments_done, self.assignments_total)

    @property
    def double_half(self) -> bool | None:
        return double_half(self.time_ratio, self.work_ratio)

    @property
    def pace(self) -> str:
        return pace(self.time_ratio, self.work_ratio)

    @property
    def days_left(self) -> int:
        return max((self.campaign.target_date - self.today).days, 0)

    def ranking(self, kind_code: str | None = None) -> list[UnitFigures]:
        """Units with assignments, most behind their own due dates first (DESIGN.md §3.3): by
        ``w_u − e_u``, ties by ``w_u``; optionally only units of one kind."""
        ranked = [u for u in self.units if u.total and (kind_code is None or u.kind_code == kind_code)]
        return sorted(ranked, key=lambda u: (u.gap, u.rate, u.name))

    def unit(self, unit_id: int) -> "UnitFigures | None":
        return next((u for u in self.units if u.unit_id == unit_id), None)

    def rank_in_kind(self, unit_id: int) -> tuple[int, int] | None:
        """(position, out of) of the unit among units of its kind, best first (1 = furthest ahead)."""
        unit = self.unit(unit_id)
        if unit is None or not unit.total:
            return None
        ranked = list(reversed(self.ranking(unit.kind_code)))
        return ranked.index(unit) + 1, len(ranked)


def end_of_day(day: dt.date) -> dt.datetime:
    """The last instant of ``day`` in Asia/Shanghai: a past day's figures count what happened by then."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.max))


def campaign_progress(campaign: Campaign, *, today: dt.date | None = None) -> CampaignProgress:
    """Every figure of one campaign on ``today`` (Asia/Shanghai), in three queries.

    For a past day the statuses are those of that day's end (submissions and reviews read by their
    timestamps), so a trend can be rebuilt; for today they are the live ones.
    """
    current = timezone.localdate()
    today = today or current
    progress = CampaignProgress(
        campaign=campaign, today=today, time_ratio=time_ratio(campaign.start_date, campaign.target_date, today)
    )
    as_of = end_of_day(today) if today < current else None
    # One pass over the campaign's assignments with their status, counted here: grouping in SQL would
    # repeat the status expression (three EXISTS) for every figure — twelve subqueries per unit.
    rows = (
        Assignment.objects.filter(campaign=campaign)
        .with_status(today, as_of=as_of, campaign=campaign)
        .order_by()
        .values_list("id", "indicator_id", "unit_id", "role", "due_date", "status")
    )
    per_indicator: dict[int, dict] = {}
    units: dict[int, dict] = {}
    overdue_rows = []
    for assignment_id, indicator_id, unit_id, role, due_date, status in rows:
        done = status in DONE
        overdue = is_overdue(status, due_date, today)
        if overdue:
            overdue_rows.append((due_date, indicator_id, assignment_id))
        row = per_indicator.setdefault(indicator_id, {"n": 0, "done": 0})
        row["n"] += 1
        row["done"] += done
        unit = units.setdefault(unit_id, dict.fromkeys(UNIT_COUNTS, 0))
        unit["total"] += 1
        unit["done"] += done
        unit["lead"] += role == Assignment.Role.LEAD
        unit["due"] += due_date is not None and due_date <= today
        unit["overdue"] += bool(overdue)
        unit["returned"] += status == AssignmentStatus.RETURNED
        unit["pending"] += status == AssignmentStatus.PENDING
    areas: dict[int, AreaFigures] = {}
    nodes = (
        Indicator.objects.filter(framework_id=campaign.framework_id, level__in=["1", "3", "bonus"])
        .order_by("sort_key")
        .values("id", "level", "area_id", "code", "title")
    )
    for node in nodes:
        if node["level"] == "1":
            areas[node["id"]] = AreaFigures(area_id=node["id"], code=node["code"], title=node["title"])
            continue
        row = per_indicator.get(node["id"])
        complete = bool(row) and row["n"] == row["done"]
        if complete:
            progress.complete_indicator_ids.add(node["id"])
        if node["level"] == "bonus":
            progress.bonus_total += 1
            progress.bonus_complete += complete
            continue
        progress.indicators_total += 1
        progress.indicators_complete += complete
        progress.indicators_unassigned += not row
        area = areas.get(node["area_id"])
        if area is not None:
            area.total += 1
            area.complete += complete
    progress.areas = list(areas.values())
    order = {node["id"]: i for i, node in enumerate(nodes)}
    progress.overdue_assignment_ids = [
        a for _d, _i, a in sorted(overdue_rows, key=lambda r: (r[0], order.get(r[1], 0), r[2]))
    ]

    from units.models import Unit

    for unit in (
        Unit.objects.filter(county_id=campaign.county_id, active=True)
        .order_by("order", "id")
        .values("id", "name", "short_name", "kind__name", "kind__code")
    ):
        row = units.get(unit["id"], {})
        figures = UnitFigures(
            unit_id=unit["id"],
            name=unit["name"],
            short_name=unit["short_name"],
            kind=unit["kind__name"],
            kind_code=unit["kind__code"],
            **{k: row.get(k, 0) for k in UNIT_COUNTS},
        )
        progress.units.append(figures)
        progress.assignments_total += figures.total
        progress.assignments_done += figures.done
        progress.assignments_overdue += figures.overdue
    return progress


def progress_as_dict(progress: CampaignProgress) -> dict:
    """The campaign figures as the API gives them (DESIGN.md §5.2)."""
    return {
        "campaign": progress.campaign.pk,
        "date": progress.today.isoformat(),
        "time_ratio": round(progress.time_ratio, 4),
        "work_ratio": round(progress.work_ratio, 4),
        "indicators_total": progress.indicators_total,
        "indicators_complete": progress.indicators_complete,
        "indicators_unassigned": progress.indicators_unassigned,
        "bonus_total": progress.bonus_total,
        "bonus_complete": progress.bonus_complete,
        "assignments_total": progress.assignments_total,
        "assignments_approved": progress.assignments_done,
        "assignment_ratio": None if progress.assignment_ratio is None else round(progress.assignment_ratio, 4),
        "assignments_overdue": progress.assignments_overdue,
        "double_half": progress.double_half,
        "pace": progress.pace,
        "days_left": progress.days_left,
        "definition": str(DEFINITION),
        "areas": [
            {
                "id": a.area_id,
                "code": a.code,
                "title": a.title,
                "indicators_total": a.total,
                "indicators_complete": a.complete,
                "work_ratio": None if a.rate is None else round(a.rate, 4),
                "double_half": double_half(progress.time_ratio, a.rate),
                "pace": pace(progress.time_ratio, a.rate),
            }
            for a in progress.areas
        ],
        "units": [
            {
                "id": u.unit_id,
                "name": u.name,
                "short_name": u.short_name,
                "kind": u.kind_code,
                "rank": rank,
                "assignments_total": u.total,
                "assignments_approved": u.done,
                "rate": None if u.rate is None else round(u.rate, 4),
                "expected": None if u.expected is None else round(u.expected, 4),
                "gap": None if u.gap is None else round(u.gap, 4),
                "overdue": u.overdue,
                "returned": u.returned,
                "pending": u.pending,
                "double_half": double_half(progress.time_ratio, u.rate) if u.rate is not None else None,
            }
            for rank, u in enumerate(progress.ranking(), start=1)
        ],
    }
