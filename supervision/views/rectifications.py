"""Rectification pages: the list (本单位整改 for a unit), one order with its actions, files."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from evidence.models import Evidence
from evidence.storage import blob_open
from indicators.selectors import campaign_get_current
from luhsan_portal.audit import audit_record
from luhsan_portal.listing import paginate
from luhsan_portal.views import add_service_errors, login_required, portal_page
from supervision import services
from supervision.forms import ExtensionForm, ReasonForm, RespondForm
from supervision.models import ExtensionRequest, Rectification, RectificationFile

STATUSES = Rectification.Status.choices


@login_required
def rectification_list(request):
    campaign = campaign_get_current(request)
    rows = Rectification.objects.for_user(request.user).for_listing()
    if campaign is not None:
        rows = rows.filter(finding__round__campaign=campaign)
    status = request.GET.get("status", "")
    if status in dict(STATUSES):
        rows = rows.filter(status=status)
    elif status == "unclosed":
        rows = rows.exclude(status="closed")
    if request.GET.get("overdue") == "true":
        rows = rows.filter(overdue=True)
    return portal_page(
        request,
        "supervision/rectification_list.html",
        {"page": paginate(request, rows.order_by("status", "deadline", "id")), "statuses": STATUSES, "status": status},
    )


def _order(request, pk: int) -> Rectification:
    return get_object_or_404(
        Rectification.objects.for_user(request.user)
        .with_overdue()
        .select_related("unit", "finding__round__campaign", "finding__visit__group", "finding__created_by"),
        pk=pk,
    )


def _unit_evidence(order: Rectification):
    return (
        Evidence.objects.filter(unit=order.unit, campaign=order.finding.round.campaign)
        .exclude(status="withdrawn")
        .order_by("-created_at")
    )


@login_required
def rectification_detail(request, pk: int):
    order = _order(request, pk)
    user = request.user
    own = user.unit_id == order.unit_id or services._is_office(user, order.unit.county_id)
    checker = services.may_check(user, order.finding.round)
    respond_form = RespondForm(evidence=_unit_evidence(order)) if own else None
    return portal_page(
        request,
        "supervision/rectification_detail.html",
        {
            "order": order,
            "finding": order.finding,
            "indicators": list(order.finding.indicators.all()),
            "files": list(order.files.select_related("stored")),
            "reused": list(order.response_evidence.all()),
            "extensions": list(order.extensions.select_related("requested_by", "decided_by")),
            "pending_extension": order.extensions.filter(status=ExtensionRequest.Status.PENDING).first(),
            "own": own,
            "checker": checker,
            "is_office": services._is_office(user, order.unit.county_id),
            "respond_form": respond_form,
            "extension_form": ExtensionForm(),
            "reason_form": ReasonForm(),
        },
    )


def _run(request, pk: int, action, success: str):
    """Apply one state change; the outcome comes back as a message on the order's page."""
    order = _order(request, pk)
    try:
        action(order)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, success)
    return redirect("supervision:rectification_detail", pk=order.pk)


@login_required
@require_POST
def rectification_action(request, pk: int, action: str):
    user, post = request.user, request.POST
    reason = post.get("reason", "")
    actions = {
        "acknowledge": lambda o: services.rectification_acknowledge(rectification=o, actor=user),
        "draft": lambda o: services.rectification_save_draft(
            rectification=o, actor=user, description=post.get("description", "")
        ),
        "close": lambda o: services.rectification_close(rectification=o, actor=user),
        "reject": lambda o: services.rectification_reject(rectification=o, actor=user, reason=reason),
        "reopen": lambda o: services.rectification_reopen(rectification=o, actor=user, reason=reason),
        "decide": lambda o: services.rectification_extension_decide(
            rectification=o, actor=user, approve=post.get("approve") == "true", reason=reason
        ),
    }
    if action not in actions:
        raise PermissionDenied
    labels = {
        "acknowledge": _("已签收"),
        "draft": _("已保存草稿"),
        "close": _("已销号"),
        "reject": _("已退回整改"),
        "reopen": _("已重新打开"),
        "decide": _("已审批延期申请"),
    }
    return _run(request, pk, actions[action], labels[action])


@login_required
@require_POST
def rectification_respond(request, pk: int):
    order = _order(request, pk)
    form = RespondForm(request.POST, evidence=_unit_evidence(order))
    if form.is_valid():
        try:
            services.rectification_respond(
                rectification=order,
                actor=request.user,
                description=form.cleaned_data["description"],
                evidence=list(form.cleaned_data["evidence"]),
                files=request.FILES.getlist("files"),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("整改情况已提交，等待督导组复核。"))
            return redirect("supervision:rectification_detail", pk=order.pk)
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)
    return redirect("supervision:rectification_detail", pk=order.pk)


@login_required
@require_POST
def rectification_extend(request, pk: int):
    order = _order(request, pk)
    form = ExtensionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写申请延至的日期和理由。"))
        return redirect("supervision:rectification_detail", pk=order.pk)
    return _run(
        request,
        pk,
        lambda o: services.rectification_extension_request(
            rectification=o,
            actor=request.user,
            deadline=form.cleaned_data["deadline"],
            reason=form.cleaned_data["reason"],
        ),
        _("延期申请已提交，等待审批。"),
    )


@login_required
def rectification_file(request, pk: int, file_id: int):
    order = _order(request, pk)
    item = get_object_or_404(RectificationFile.objects.select_related("stored"), pk=file_id, rectification=order)
    audit_record(
        actor=request.user,
        verb="rectification.download",
        target=order,
        unit=order.unit,
        changes={"file": (None, item.name)},
    )
    return FileResponse(
        blob_open(item.stored), as_attachment=True, filename=item.name, content_type=item.stored.content_type
    )
