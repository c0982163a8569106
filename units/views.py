"""Unit pages: the roster with filters and the unit's own page with contacts and assignments."""

from django.db.models import Count, Q, Value
from django.shortcuts import get_object_or_404

from indicators.forms import WaiveForm
from indicators.selectors import assignment_list_for_unit, campaign_get_current, group_by_area
from luhsan_portal.access import Action, can
from luhsan_portal.listing import apply_sort, paginate, xlsx_response
from luhsan_portal.views import login_required, portal_page
from units.filters import UnitFilterSet
from units.models import Unit
from units.resources import unit_dataset

SORTS = {
    "order": ("order",),
    "name": ("name",),
    "kind": ("kind__order", "order"),
    "lead": ("lead_count",),
    "total": ("assignment_count",),
}


def unit_list_queryset(user, campaign):
    """Units the user may see, with lead/total assignment counts in ``campaign`` (one query)."""
    units = Unit.objects.for_user(user).for_list()
    if campaign is None:
        return units.annotate(lead_count=Value(0), assignment_count=Value(0))
    units = units.filter(county_id=campaign.county_id)
    in_campaign = Q(assignments__campaign=campaign)
    return units.annotate(
        lead_count=Count("assignments", filter=in_campaign & Q(assignments__role="lead")),
        assignment_count=Count("assignments", filter=in_campaign),
    )


@login_required
def unit_list(request):
    campaign = campaign_get_current(request)
    filterset = UnitFilterSet(request.GET or None, queryset=unit_list_queryset(request.user, campaign))
    units = filterset.qs
    if request.GET.get("export") == "xlsx":
        return xlsx_response(unit_dataset(units.order_by("order", "pk")), "责任单位名册.xlsx")
    units, sort = apply_sort(request, units, SORTS, "order")
    page = paginate(request, units)
    return portal_page(
        request,
        "units/unit_list.html",
        {"filterset": filterset, "page": page, "sort": sort, "campaign": campaign},
    )


@login_required
def unit_detail(request, pk: int):
    unit = get_object_or_404(Unit.objects.for_user(request.user).select_related("kind", "county"), pk=pk)
    campaign = campaign_get_current(request)
    assignments = assignment_list_for_unit(user=request.user, unit_id=unit.pk, campaign=campaign) if campaign else []
    return portal_page(
        request,
        "units/unit_detail.html",
        {
            "unit": unit,
            "campaign": campaign,
            "contacts": list(unit.contacts.all()),
            "groups": group_by_area(assignments),
            "total": len(assignments),
            "lead_count": sum(a.role == "lead" for a in assignments),
            "co_count": sum(a.role == "co" for a in assignments),
            "can_manage": can(request.user, Action.MANAGE, county_id=unit.county_id),
            "waive_form": WaiveForm(),
        },
    )
