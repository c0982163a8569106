"""The office's supervision pages: rounds, groups, the round board and the round report."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from indicators.selectors import campaign_get_current
from luhsan_portal.access import Action, Role, can
from luhsan_portal.listing import file_response
from luhsan_portal.views import login_required, portal_page
from supervision import selectors, services
from supervision.forms import GroupForm, RoundForm
from supervision.models import InspectionGroup, SupervisionRound
from units.models import Unit, UnitKind

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _round(request, pk: int, action=Action.VIEW) -> SupervisionRound:
    return get_object_or_404(SupervisionRound.objects.for_user(request.user, action).select_related("campaign"), pk=pk)


@login_required
def round_list(request):
    campaign = campaign_get_current(request)
    if campaign is None:
        raise Http404(_("没有可用的创建活动。"))
    can_manage = can(request.user, Action.MANAGE)
    form = RoundForm(request.POST or None) if can_manage else None
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        if form.is_valid():
            try:
                round_ = services.round_create(campaign=campaign, actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("已建立督导轮次，请组建督导组。"))
                return redirect("supervision:round_board", pk=round_.pk)
    rounds = SupervisionRound.objects.for_user(request.user).filter(campaign=campaign).order_by("-start_date")
    return portal_page(request, "supervision/round_list.html", {"rounds": rounds, "form": form, "campaign": campaign})


@login_required
def round_board(request, pk: int):
    """督导看板: per group, units visited vs planned, findings, open and overdue orders."""
    round_ = _round(request, pk)
    return portal_page(
        request,
        "supervision/round_board.html",
        {"round": round_, "board": selectors.round_board(round_), "can_manage": can(request.user, Action.MANAGE)},
    )


def _group_form(request, round_, group=None):
    county = round_.campaign.county
    people = User.objects.filter(
        is_active=True, role__in=[Role.SUPERVISOR, Role.OFFICE, Role.LEADER], county=county
    ).order_by("role", "name")
    units = Unit.objects.filter(county=county, active=True).select_related("kind").order_by("order")
    kinds = [(k.code, k.name) for k in UnitKind.objects.all()]
    initial = {}
    if group is not None:
        initial = {
            "name": group.name,
            "leader": group.leader_id,
            "members": list(group.memberships.filter(left_at__isnull=True).values_list("user_id", flat=True)),
            "units": list(group.units.values_list("pk", flat=True)),
        }
    return GroupForm(request.POST or None, initial=initial, people=people, units=units, kinds=kinds)


@login_required
def group_edit(request, pk: int, group_id: int | None = None):
    round_ = _round(request, pk, Action.MANAGE)
    group = get_object_or_404(InspectionGroup, pk=group_id, round=round_) if group_id else None
    form = _group_form(request, round_, group)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        units = set(data["units"]) | set(
            Unit.objects.filter(county=round_.campaign.county, active=True, kind__code__in=data["kinds"])
        )
        try:
            services.group_save(
                round_=round_,
                group=group,
                name=data["name"],
                leader=data["leader"],
                members=list(data["members"]),
                units=sorted(units, key=lambda u: u.order),
                actor=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("督导组已保存。"))
            return redirect("supervision:round_board", pk=round_.pk)
    return portal_page(request, "supervision/group_form.html", {"round": round_, "group": group, "form": form})


@login_required
def round_report(request, pk: int):
    """督导情况通报 (.docx), editable afterwards."""
    round_ = _round(request, pk)
    if not can(request.user, Action.MANAGE):
        raise PermissionDenied(_("只有创建办可以生成督导情况通报。"))
    from supervision.report import round_report_docx

    content = round_report_docx(selectors.round_report_data(round_))
    name = f"{round_.title}-督导情况通报-{timezone.localdate():%Y%m%d}.docx"
    return file_response(content, name, DOCX_TYPE)
