"""The supervisor's pages, made for a phone on site: today's units, the visit form, findings."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _

from evidence.models import Evidence
from evidence.storage import blob_open
from indicators.models import Indicator
from luhsan_portal.views import add_service_errors, login_required, portal_page
from supervision import selectors, services
from supervision.forms import FindingForm, VisitForm
from supervision.models import InspectionGroup, Visit, VisitPhoto


@login_required
def my_visits(request):
    """我的督导: the groups I am in, with their units and which have been visited."""
    return portal_page(request, "supervision/my_visits.html", {"groups": selectors.my_groups(request.user)})


@login_required
def visit_create(request):
    group_id, unit_id = request.GET.get("group", ""), request.GET.get("unit", "")
    if not (group_id.isdigit() and unit_id.isdigit()):
        raise Http404
    group = get_object_or_404(
        InspectionGroup.objects.for_user(request.user).select_related("round__campaign"), pk=group_id
    )
    unit = get_object_or_404(group.units.all(), pk=unit_id)
    evidence = (
        Evidence.objects.filter(unit=unit, campaign=group.round.campaign)
        .exclude(status="withdrawn")
        .order_by("-created_at")[:50]
    )
    form = VisitForm(request.POST or None, evidence=Evidence.objects.filter(pk__in=[e.pk for e in evidence]))
    people = list(zip(request.POST.getlist("person_name"), request.POST.getlist("person_post"), strict=False))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            visit = services.visit_record(
                group=group,
                unit=unit,
                date=data["date"],
                actor=request.user,
                interviewed=[{"name": n, "post": p} for n, p in people],
                materials_checked=data["materials_checked"],
                evidence=list(data["evidence"]),
                places_inspected=data["places_inspected"],
                notes=data["notes"],
                photos=request.FILES.getlist("photos"),
            )
        except PermissionDenied:
            raise
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("走访已记录。发现问题请继续“记录问题”。"))
            return redirect("supervision:visit_detail", pk=visit.pk)
    return portal_page(
        request,
        "supervision/visit_form.html",
        {"form": form, "group": group, "unit": unit, "people": people or [("", "")]},
    )


def _visit(request, pk: int) -> Visit:
    return get_object_or_404(
        Visit.objects.for_user(request.user).select_related("group__round__campaign", "unit", "created_by"), pk=pk
    )


@login_required
def visit_detail(request, pk: int):
    """A visit's record, its photos and findings, and the form to record a finding with its order."""
    visit = _visit(request, pk)
    round_ = visit.group.round
    may_write = services.round_member(request.user, round_) or services._is_office(
        request.user, round_.campaign.county_id
    )
    indicators = Indicator.objects.filter(assignments__campaign=round_.campaign, assignments__unit=visit.unit).order_by(
        "sort_key"
    )
    form = FindingForm(request.POST or None, indicators=indicators) if may_write else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.finding_record(
                    round_=round_,
                    unit=visit.unit,
                    visit=visit,
                    actor=request.user,
                    indicators=list(data["indicators"]),
                    description=data["description"],
                    category=data["category"],
                    severity=data["severity"],
                    requirement=data["requirement"],
                    deadline=data["deadline"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("问题和整改要求已记录，单位将在“本单位整改”中看到。"))
                return redirect("supervision:visit_detail", pk=visit.pk)
    return portal_page(
        request,
        "supervision/visit_detail.html",
        {
            "visit": visit,
            "photos": list(visit.photos.select_related("stored")),
            "checked": list(visit.evidence_checked.all()),
            "findings": list(visit.findings.select_related("rectification").prefetch_related("indicators")),
            "form": form,
        },
    )


@login_required
def visit_photo(request, pk: int, photo_id: int):
    visit = _visit(request, pk)
    photo = get_object_or_404(VisitPhoto.objects.select_related("stored"), pk=photo_id, visit=visit)
    return FileResponse(blob_open(photo.stored), filename=photo.name, content_type=photo.stored.content_type)
