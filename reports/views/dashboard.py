"""Progress pages: the 总览 dashboard, drill-downs to indicators and assignments, the unit
dashboard and the ledger (台账). Every figure comes from ``reports.progress.campaign_progress``."""

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _

from evidence.models import Evidence
from evidence.selectors import pending_by_age
from indicators.filters import AssignmentFilterSet
from indicators.models import Assignment, Indicator
from indicators.selectors import campaign_get_current
from luhsan_portal.access import Action, sees_whole_county
from luhsan_portal.listing import XLSX_TYPE, apply_sort, file_response, paginate
from luhsan_portal.views import login_required, portal_page
from reports import selectors
from reports.ledger import ledger_xlsx
from reports.progress import DEFINITION, campaign_progress, double_half, pace
from supervision.selectors import rectification_counts_by_unit
from units.models import Unit

STATES = {"complete": _("已完成"), "incomplete": _("未完成"), "unassigned": _("未分解")}
ASSIGNMENT_SORTS = {
    "indicator": ("indicator__sort_key", "unit__order"),
    "unit": ("unit__order", "indicator__sort_key"),
    "due": ("due_date", "indicator__sort_key"),
    "status": ("status", "indicator__sort_key"),
}


def _campaign(request):
    campaign = campaign_get_current(request)
    if campaign is None:
        raise Http404(_("没有可用的创建活动。"))
    return campaign


def _require_county_view(request):
    if not sees_whole_county(request.user):
        raise PermissionDenied(_("全县进度仅对创建办和领导开放；请查看本单位进度。"))


@login_required
def dashboard(request):
    """总览: the campaign's headline figures, areas, unit ranking, overdue work, review backlog, trend."""
    campaign = _campaign(request)
    if not sees_whole_county(request.user):
        if request.user.unit_id:
            return redirect("reports:unit_dashboard", pk=request.user.unit_id)
        raise PermissionDenied(_("全县进度仅对创建办和领导开放。"))
    progress = campaign_progress(campaign)
    # The first overdue assignments, as campaign_progress found them (no second pass over statuses).
    first = progress.overdue_assignment_ids[:15]
    overdue = sorted(
        Assignment.objects.filter(pk__in=first).with_status().select_related("indicator", "unit"),
        key=lambda a: first.index(a.pk),
    )
    trend = selectors.progress_trend(campaign)
    orders = rectification_counts_by_unit(campaign)
    return portal_page(
        request,
        "reports/dashboard.html",
        {
            "campaign": campaign,
            "progress": progress,
            "definition": DEFINITION,
            "ranking": [(u, orders.get(u.unit_id, {})) for u in progress.ranking()],
            "overdue": overdue,
            "ages": pending_by_age(Evidence.objects.filter(campaign=campaign)),
            "trend": trend,
            "chart": _chart_data(progress, trend),
        },
    )


def _chart_data(progress, trend: list[dict]) -> dict:
    """What the page's ECharts draw (the same numbers are in the tables beside them)."""
    return {
        "areas": [{"name": f"{a.code}{a.title}", "rate": round((a.rate or 0) * 100, 1)} for a in progress.areas],
        "trend": [
            {
                "date": row["date"].isoformat(),
                "work": round((row["work_ratio"] or 0) * 100, 1),
                "time": round((row["time_ratio"] or 0) * 100, 1),
            }
            for row in trend
        ],
    }


@login_required
def indicator_states(request):
    """Drill-down: assessable indicators with their state, filtered by area and state."""
    _require_county_view(request)
    campaign = _campaign(request)
    progress = campaign_progress(campaign)
    rows = selectors.indicator_states(campaign, progress)
    area = request.GET.get("area", "")
    state = request.GET.get("state", "")
    if area.isdigit():
        rows = [r for r in rows if r["indicator"].area_id == int(area)]
    if state in STATES:
        rows = [r for r in rows if r["state"] == state]
    areas = Indicator.objects.filter(framework_id=campaign.framework_id, level="1").order_by("sort_key")
    return portal_page(
        request,
        "reports/indicator_states.html",
        {
            "campaign": campaign,
            "rows": rows,
            "areas": areas,
            "states": STATES,
            "area": area,
            "state": state,
            "definition": DEFINITION,
        },
    )


@login_required
def assignment_list(request):
    """Drill-down: the assignments behind a figure (filters as on the API), with ledger columns."""
    campaign = _campaign(request)
    base = selectors.assignment_rows(Assignment.objects.for_user(request.user).filter(campaign=campaign))
    data = request.GET.copy()
    data.pop("campaign", None)
    filterset = AssignmentFilterSet(data, queryset=base).limit_to(campaign, request.user)
    rows = filterset.qs
    if request.GET.get("export") == "xlsx":
        content = ledger_xlsx(campaign=campaign, rows=list(rows.order_by("indicator__sort_key", "unit__order")))
        return file_response(content, f"{campaign.name}-任务台账-{timezone.localdate():%Y%m%d}.xlsx", XLSX_TYPE)
    rows, sort = apply_sort(request, rows, ASSIGNMENT_SORTS, "indicator")
    return portal_page(
        request,
        "reports/assignment_list.html",
        {"campaign": campaign, "filterset": filterset, "page": paginate(request, rows), "sort": sort},
    )


@login_required
def unit_dashboard(request, pk: int):
    """本单位进度: the unit's rate, its 双过半, its rank among units of its kind, what is late,
    returned or due in the next 14 days."""
    campaign = _campaign(request)
    unit = get_object_or_404(Unit.objects.for_user(request.user, Action.VIEW).select_related("kind"), pk=pk)
    progress = campaign_progress(campaign)
    figures = progress.unit(unit.pk)
    rate = figures.rate if figures else None
    today = timezone.localdate()
    rows = list(
        selectors.assignment_rows(Assignment.objects.filter(campaign=campaign, unit=unit)).order_by(
            "due_date", "indicator__sort_key"
        )
    )
    show_ranking = sees_whole_county(request.user) or campaign.show_ranking_to_units
    orders = rectification_counts_by_unit(campaign).get(unit.pk, {})
    return portal_page(
        request,
        "reports/unit_dashboard.html",
        {
            "campaign": campaign,
            "unit": unit,
            "figures": figures,
            "time_ratio": progress.time_ratio,
            "double_half": double_half(progress.time_ratio, rate) if rate is not None else None,
            "pace": pace(progress.time_ratio, rate) if rate is not None else "—",
            "rank": progress.rank_in_kind(unit.pk),
            "overdue": [r for r in rows if r.overdue],
            "returned": [r for r in rows if r.status == "returned"],
            "upcoming": [
                r
                for r in rows
                if r.due_date
                and today <= r.due_date <= today + dt.timedelta(days=14)
                and r.status not in ("approved", "waived")
            ],
            "ranking": progress.ranking(unit.kind.code) if show_ranking else None,
            "orders_open": orders.get("open", 0),
            "orders_overdue": orders.get("overdue", 0),
            "definition": DEFINITION,
        },
    )


@login_required
def my_unit_dashboard(request):
    if not request.user.unit_id:
        raise Http404(_("您的账号没有所属单位。"))
    return redirect("reports:unit_dashboard", pk=request.user.unit_id)


@login_required
def ledger(request):
    """台账: every assignment, one sheet per area plus a summary sheet (the office's paper copy)."""
    _require_county_view(request)
    campaign = _campaign(request)
    rows = list(
        selectors.assignment_rows(Assignment.objects.filter(campaign=campaign)).order_by(
            "indicator__sort_key", "role", "unit__order"
        )
    )
    content = ledger_xlsx(campaign=campaign, rows=rows, progress=campaign_progress(campaign))
    return file_response(content, f"{campaign.name}-进度台账-{timezone.localdate():%Y%m%d}.xlsx", XLSX_TYPE)
