"""Evidence pages: submit, a submission's page, a task's history, the review queue, downloads."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from evidence import selectors, services
from evidence.filters import EvidenceFilterSet
from evidence.forms import EvidenceForm, ReturnForm, WithdrawForm, reusable_evidence
from evidence.models import Evidence, EvidenceFile, EvidenceLink
from evidence.storage import blob_open
from evidence.uploads import upload_errors
from indicators.models import Assignment
from indicators.selectors import campaign_get_current
from luhsan_portal.access import Action, can
from luhsan_portal.listing import paginate
from luhsan_portal.views import add_service_errors, login_required, portal_page


def _links_from_post(post) -> list[dict]:
    urls, sites, dates = post.getlist("link_url"), post.getlist("link_site"), post.getlist("link_published_on")
    return [
        {"url": u, "site": sites[i] if i < len(sites) else "", "published_on": dates[i] if i < len(dates) else ""}
        for i, u in enumerate(urls)
    ]


@login_required
def evidence_create(request):
    """提交材料: for one assignment (?assignment=) or as the next revision of a return (?previous=)."""
    submittable = Assignment.objects.for_user(request.user, Action.SUBMIT).select_related("indicator", "unit")
    previous = None
    if request.GET.get("previous", "").isdigit():
        previous = get_object_or_404(
            Evidence.objects.for_user(request.user, Action.SUBMIT).prefetch_related("assignments"),
            pk=request.GET["previous"],
            status=Evidence.Status.RETURNED,
        )
        anchor = previous.assignments.first()
    elif request.GET.get("assignment", "").isdigit():
        anchor = get_object_or_404(submittable, pk=request.GET["assignment"])
    else:
        raise Http404(_("请从“本单位任务”中选择要提交材料的任务。"))
    choices = submittable.filter(
        unit_id=anchor.unit_id, campaign_id=anchor.campaign_id, waived_at__isnull=True
    ).order_by("indicator__sort_key")
    initial = {
        "assignments": [a.pk for a in previous.assignments.all()] if previous else [anchor.pk],
        "title": previous.title if previous else "",
        "statement": previous.statement if previous else "",
    }
    form = EvidenceForm(
        request.POST or None,
        initial=initial,
        assignments=choices,
        reusable=reusable_evidence(anchor.unit_id, anchor.campaign_id),
    )
    posted_links = _links_from_post(request.POST) if request.method == "POST" else []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            evidence = services.evidence_submit(
                unit=anchor.unit,
                assignments=list(data["assignments"]),
                title=data["title"],
                actor=request.user,
                unclassified=data["unclassified"],
                files=request.FILES.getlist("files"),
                links=posted_links,
                statement=data["statement"],
                note=data["note"],
                period_start=data["period_start"],
                period_end=data["period_end"],
                previous=previous,
                reuse=data["reuse"],
                client_token=data["token"],
            )
        except services.AlreadySubmitted as exc:
            messages.info(request, exc.messages[0])
            return redirect("evidence:evidence_detail", pk=exc.evidence.pk)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            dropped = upload_errors(request)
            for message in dropped:
                messages.warning(request, message)
            messages.success(request, _("材料已提交，等待创建办审核。"))
            return redirect("evidence:evidence_detail", pk=evidence.pk)
    for message in upload_errors(request):
        form.add_error(None, message)
    return portal_page(
        request,
        "evidence/evidence_form.html",
        {
            "form": form,
            "anchor": anchor,
            "previous": previous,
            "links_json": posted_links or _previous_links(previous),
            "max_mb": _max_mb(),
        },
        status=400 if request.method == "POST" else 200,
    )


def _previous_links(previous: Evidence | None) -> list[dict]:
    if previous is None:
        return []
    return [
        {"url": link.url, "site": link.site, "published_on": link.published_on.isoformat() if link.published_on else ""}
        for link in previous.links.all()
    ]


def _max_mb() -> int:
    from django.conf import settings

    return settings.EVIDENCE_MAX_FILE_BYTES // (1024 * 1024)


@login_required
def evidence_detail(request, pk: int):
    evidence = get_object_or_404(Evidence.objects.for_user(request.user).for_detail(), pk=pk)
    own = _withdrawable(request.user).filter(pk=pk).exists()
    can_review = Evidence.objects.for_user(request.user, Action.MANAGE).filter(pk=pk).exists()
    pending = evidence.status == Evidence.Status.PENDING
    next_revision = Evidence.objects.filter(previous=evidence).only("id", "revision").first()
    return portal_page(
        request,
        "evidence/evidence_detail.html",
        {
            "evidence": evidence,
            "chain": selectors.evidence_chain(evidence),
            "history": selectors.audit_for(evidence),
            "can_review": can_review and pending,
            "can_withdraw": own and pending,
            "can_resubmit": own and evidence.status == Evidence.Status.RETURNED and next_revision is None,
            "next_revision": next_revision,
            "return_form": ReturnForm(),
            "is_office": can(request.user, Action.MANAGE),
            "withdraw_form": WithdrawForm(),
        },
    )


def _decide(request, pk: int, action: Action):
    return get_object_or_404(Evidence.objects.for_user(request.user, action).select_related("unit"), pk=pk)


def _withdrawable(user):
    """Withdrawing is the submitting unit's own act; the office returns instead."""
    return Evidence.objects.for_user(user, Action.SUBMIT).filter(unit_id=user.unit_id)


@login_required
@require_POST
def evidence_approve(request, pk: int):
    evidence = _decide(request, pk, Action.MANAGE)
    try:
        services.evidence_approve(evidence=evidence, actor=request.user)
        messages.success(request, _("已通过“%(title)s”。") % {"title": evidence.title})
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return _next_or(request, "evidence:evidence_detail", pk=pk)


@login_required
@require_POST
def evidence_return(request, pk: int):
    evidence = _decide(request, pk, Action.MANAGE)
    form = ReturnForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("退回必须填写理由。"))
        return redirect("evidence:evidence_detail", pk=pk)
    try:
        services.evidence_return(evidence=evidence, actor=request.user, reason=form.cleaned_data["reason"])
        messages.success(request, _("已退回“%(title)s”，单位将看到退回理由。") % {"title": evidence.title})
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return _next_or(request, "evidence:evidence_detail", pk=pk)


@login_required
@require_POST
def evidence_withdraw(request, pk: int):
    evidence = get_object_or_404(_withdrawable(request.user).select_related("unit"), pk=pk)
    form = WithdrawForm(request.POST)
    form.is_valid()
    try:
        services.evidence_withdraw(evidence=evidence, actor=request.user, reason=form.cleaned_data.get("reason", ""))
        messages.success(request, _("已撤回“%(title)s”。") % {"title": evidence.title})
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("evidence:evidence_detail", pk=pk)


def _next_or(request, name: str, **kwargs):
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(name, **kwargs)


@login_required
def evidence_file(request, pk: int, file_id: int):
    """Download (or preview inline, for PDFs and images) one file; every access is logged."""
    evidence = get_object_or_404(Evidence.objects.for_user(request.user), pk=pk)
    item = get_object_or_404(
        EvidenceFile.objects.select_related("stored", "evidence__unit"), pk=file_id, evidence=evidence
    )
    inline = request.GET.get("inline") == "1" and item.stored.kind in ("pdf", "jpg", "png")
    services.evidence_log_download(evidence_file=item, actor=request.user, inline=inline)
    response = FileResponse(
        blob_open(item.stored), as_attachment=not inline, filename=item.name, content_type=item.stored.content_type
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def assignment_evidence(request, pk: int):
    """任务材料: one assignment's status and every submission serving it, revisions in order."""
    assignment = get_object_or_404(
        Assignment.objects.for_user(request.user).for_listing().prefetch_related("indicator__evaluation_methods"), pk=pk
    )
    submissions = selectors.evidence_list_for_assignment(user=request.user, assignment=assignment)
    own = Assignment.objects.for_user(request.user, Action.SUBMIT).filter(pk=pk).exists()
    return portal_page(
        request,
        "evidence/assignment_evidence.html",
        {
            "assignment": assignment,
            "submissions": submissions,
            "can_submit": own and assignment.status not in ("waived",),
            "co_units": selectors.co_unit_evidence(user=request.user, assignment=assignment),
        },
    )


@login_required
def indicator_history(request, pk: int):
    """An indicator's full history in the current campaign: who submitted what, who reviewed, why."""
    from indicators.selectors import indicator_get_detail

    indicator = indicator_get_detail(user=request.user, pk=pk)
    campaign = campaign_get_current(request)
    if campaign is None or campaign.framework_id != indicator.framework_id:
        raise Http404
    rows = selectors.indicator_history(user=request.user, indicator=indicator, campaign=campaign)
    return portal_page(
        request, "evidence/indicator_history.html", {"indicator": indicator, "campaign": campaign, "rows": rows}
    )


@login_required
def review_queue(request):
    """审核工作台: submissions to review, filtered; approve in bulk or open one to decide."""
    if not can(request.user, Action.MANAGE):
        raise PermissionDenied(_("只有创建办工作人员可以审核材料。"))
    campaign = campaign_get_current(request)
    data = request.GET.copy()
    data.setdefault("status", Evidence.Status.PENDING)
    base = Evidence.objects.for_user(request.user, Action.MANAGE)
    if campaign is not None:
        base = base.filter(campaign=campaign)
    filterset = EvidenceFilterSet(data, queryset=base.for_review_queue()).limit_to(campaign)
    page = paginate(request, filterset.qs)
    return portal_page(
        request,
        "evidence/review_queue.html",
        {"filterset": filterset, "page": page, "campaign": campaign, "ages": selectors.pending_by_age(base)},
    )


@login_required
@require_POST
def review_bulk_approve(request):
    ids = [int(i) for i in request.POST.getlist("evidence") if i.isdigit()]
    chosen = list(Evidence.objects.for_user(request.user, Action.MANAGE).filter(pk__in=ids).select_related("unit"))
    if not chosen:
        messages.error(request, _("请先勾选要通过的材料。"))
        return _next_or(request, "evidence:review_queue")
    approved, skipped = services.evidence_bulk_approve(evidences=chosen, actor=request.user)
    messages.success(request, _("已批量通过 %(n)d 份材料。") % {"n": approved})
    for message in skipped:
        messages.warning(request, message)
    return _next_or(request, "evidence:review_queue")


@login_required
def link_list(request):
    """Broken links (and links that could not be checked), for the office and for the unit."""
    links = (
        EvidenceLink.objects.filter(evidence__in=Evidence.objects.for_user(request.user, Action.SUBMIT))
        .exclude(evidence__status=Evidence.Status.WITHDRAWN)
        .select_related("evidence__unit")
        .order_by("check_status", "-checked_at", "id")
    )
    status = request.GET.get("check_status", EvidenceLink.CheckStatus.BROKEN)
    if status in EvidenceLink.CheckStatus.values:
        links = links.filter(check_status=status)
    page = paginate(request, links)
    return portal_page(
        request,
        "evidence/link_list.html",
        {
            "page": page,
            "status": status,
            "statuses": EvidenceLink.CheckStatus.choices,
            "can_recheck": can(request.user, Action.MANAGE),
        },
    )


@login_required
@require_POST
def link_recheck(request, pk: int):
    """Check one link now (the office or the link's own unit), then come back."""
    link = get_object_or_404(
        EvidenceLink.objects.filter(evidence__in=Evidence.objects.for_user(request.user, Action.SUBMIT)), pk=pk
    )
    from django.conf import settings

    link = services.link_check_record(link=link, proxy=settings.LINK_CHECK_PROXY, timeout=settings.LINK_CHECK_TIMEOUT)
    messages.info(
        request,
        _("检测结果：%(status)s %(error)s") % {"status": link.get_check_status_display(), "error": link.check_error},
    )
    return _next_or(request, "evidence:evidence_detail", pk=link.evidence_id)
