"""Bulletin pages: the archive, drafting, approval and publication, PDF and DOCX downloads."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from bulletins import selectors, services
from bulletins.models import Bulletin, BulletinItem
from indicators.selectors import campaign_get_current
from luhsan_portal.access import Action, can
from luhsan_portal.audit import audit_record
from luhsan_portal.forms import DateInput
from luhsan_portal.listing import file_response, paginate
from luhsan_portal.views import add_service_errors, login_required, portal_page
from supervision.models import SupervisionRound

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class HeaderForm(forms.ModelForm):
    class Meta:
        model = Bulletin
        fields = ["title_line", "issue_date", "office", "bao", "song", "fa", "editors", "copies"]
        widgets = {"issue_date": DateInput()}


class ItemForm(forms.Form):
    headline = forms.CharField(label=gettext_lazy("标题"), max_length=200)
    body = forms.CharField(
        label=gettext_lazy("正文"),
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=gettext_lazy("空行分段；也可从 Word 粘贴。单独一段写“【图1】”可把第1张图片放在该处。"),
    )


def _campaign(request):
    campaign = campaign_get_current(request)
    if campaign is None:
        raise Http404(_("没有可用的创建活动。"))
    return campaign


def _bulletin(request, pk: int, action=Action.VIEW) -> Bulletin:
    return selectors.bulletin_with_items(Bulletin.objects.for_user(request.user, action), pk)


def _errors(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


@login_required
def bulletin_list(request):
    """The archive: published issues for everyone, drafts and approvals for the office."""
    campaign = _campaign(request)
    rows = Bulletin.objects.for_user(request.user).filter(campaign=campaign)
    status = request.GET.get("status", "")
    if status in Bulletin.Status.values:
        rows = rows.filter(status=status)
    rows = selectors.bulletin_search(
        rows, year=request.GET.get("year", ""), number=request.GET.get("number", ""), text=request.GET.get("q", "")
    )
    years = sorted(set(Bulletin.objects.filter(campaign=campaign).values_list("year", flat=True)), reverse=True)
    return portal_page(
        request,
        "bulletins/bulletin_list.html",
        {
            "page": paginate(request, rows.select_related("created_by").order_by("-issue_date", "-number", "-id")),
            "campaign": campaign,
            "can_manage": can(request.user, Action.MANAGE),
            "statuses": Bulletin.Status.choices,
            "years": years,
        },
    )


@login_required
@require_POST
def bulletin_create(request):
    campaign = _campaign(request)
    try:
        bulletin = services.bulletin_create(campaign=campaign, actor=request.user)
    except ValidationError as exc:
        _errors(request, exc)
        return redirect("bulletins:bulletin_list")
    return redirect("bulletins:bulletin_edit", pk=bulletin.pk)


@login_required
def bulletin_detail(request, pk: int):
    """Preview (as it will print) and the actions its state allows."""
    bulletin = _bulletin(request, pk)
    from bulletins.render import bulletin_html

    office = can(request.user, Action.MANAGE)
    return portal_page(
        request,
        "bulletins/bulletin_detail.html",
        {
            "bulletin": bulletin,
            "preview": bulletin_html(selectors.bulletin_data(bulletin)),
            "office": office,
            "can_approve": office and request.user.has_perm("bulletins.approve_bulletin"),
            "revisions": list(
                Bulletin.objects.filter(revision_of=bulletin.revision_of or bulletin).order_by("revision")
            ),
        },
    )


@login_required
def bulletin_edit(request, pk: int):
    bulletin = _bulletin(request, pk, Action.MANAGE)
    if bulletin.status != Bulletin.Status.DRAFT:
        messages.info(request, _("只有草稿可以编辑。"))
        return redirect("bulletins:bulletin_detail", pk=pk)
    header = HeaderForm(request.POST or None, instance=bulletin, prefix="h")
    if request.method == "POST" and header.is_valid():
        try:
            services.bulletin_update(bulletin=bulletin, actor=request.user, **header.cleaned_data)
        except ValidationError as exc:
            add_service_errors(header, exc)
        else:
            messages.success(request, _("已保存。"))
            return redirect("bulletins:bulletin_edit", pk=pk)
    rounds = SupervisionRound.objects.for_user(request.user).filter(campaign=bulletin.campaign)
    return portal_page(
        request,
        "bulletins/bulletin_edit.html",
        {"bulletin": bulletin, "header": header, "item_form": ItemForm(), "rounds": rounds},
    )


@login_required
def item_edit(request, pk: int, item_id: int | None = None):
    """Add an article (headline, text, images) to a draft, or change one."""
    bulletin = _bulletin(request, pk, Action.MANAGE)
    item = get_object_or_404(BulletinItem, pk=item_id, bulletin=bulletin) if item_id else None
    initial = {"headline": item.headline, "body": _editable(item.body)} if item else {}
    form = ItemForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.item_save(
                bulletin=bulletin,
                actor=request.user,
                item=item,
                headline=form.cleaned_data["headline"],
                body=form.cleaned_data["body"],
                images=request.FILES.getlist("images"),
                captions=request.POST.getlist("caption"),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("文章已保存。"))
            return redirect("bulletins:bulletin_edit", pk=pk)
    return portal_page(request, "bulletins/item_form.html", {"bulletin": bulletin, "item": item, "form": form})


def _editable(body_html: str) -> str:
    from bulletins.content import plain_text

    return plain_text(body_html)


@login_required
@require_POST
def item_action(request, pk: int, item_id: int, action: str):
    bulletin = _bulletin(request, pk, Action.MANAGE)
    item = get_object_or_404(BulletinItem, pk=item_id, bulletin=bulletin)
    try:
        if action == "delete":
            services.item_delete(item=item, actor=request.user)
        elif action in ("up", "down"):
            services.item_move(item=item, actor=request.user, step=-1 if action == "up" else 1)
        else:
            raise Http404
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("bulletins:bulletin_edit", pk=pk)


@login_required
@require_POST
def insert_block(request, pk: int, kind: str):
    """Insert generated text — the current progress figures or a supervision round's summary."""
    bulletin = _bulletin(request, pk, Action.MANAGE)
    try:
        if kind == "progress":
            services.item_add_progress(bulletin=bulletin, actor=request.user)
        elif kind == "round":
            round_id = request.POST.get("round", "")
            round_ = get_object_or_404(
                SupervisionRound.objects.for_user(request.user), pk=round_id if round_id.isdigit() else 0
            )
            services.item_add_round(bulletin=bulletin, actor=request.user, round_=round_)
        else:
            raise Http404
        messages.success(request, _("已插入，可继续编辑文字。"))
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("bulletins:bulletin_edit", pk=pk)


@login_required
@require_POST
def bulletin_action(request, pk: int, action: str):
    bulletin = _bulletin(request, pk, Action.MANAGE)
    user, reason = request.user, request.POST.get("reason", "")
    steps = {
        "submit": (lambda: services.bulletin_submit(bulletin=bulletin, actor=user), _("已提交审批。")),
        "approve": (lambda: services.bulletin_approve(bulletin=bulletin, actor=user), _("已审批，可以发布。")),
        "return": (lambda: services.bulletin_return(bulletin=bulletin, actor=user, reason=reason), _("已退回草稿。")),
        "publish": (lambda: services.bulletin_publish(bulletin=bulletin, actor=user), None),
        "correct": (lambda: services.bulletin_correct(bulletin=bulletin, actor=user, note=reason), _("已建立更正稿。")),
    }
    if action not in steps:
        raise Http404
    run, success = steps[action]
    try:
        result = run()
    except PermissionDenied as exc:
        messages.error(request, str(exc))
        return redirect("bulletins:bulletin_detail", pk=pk)
    except ValidationError as exc:
        _errors(request, exc)
        return redirect("bulletins:bulletin_detail", pk=pk)
    if action == "publish":
        messages.success(request, _("已发布为第%(n)d期。") % {"n": result.number})
    else:
        messages.success(request, success)
    if action == "correct":
        return redirect("bulletins:bulletin_edit", pk=result.pk)
    return redirect("bulletins:bulletin_detail", pk=pk)


@login_required
def bulletin_download(request, pk: int, fmt: str):
    from bulletins.render import bulletin_docx, bulletin_pdf

    bulletin = _bulletin(request, pk)
    renderers = {"pdf": (bulletin_pdf, "application/pdf"), "docx": (bulletin_docx, DOCX_TYPE)}
    if fmt not in renderers:
        raise Http404
    render, content_type = renderers[fmt]
    content = render(selectors.bulletin_data(bulletin))
    audit_record(actor=request.user, verb=f"bulletin.download_{fmt}", target=bulletin)
    label = f"第{bulletin.number}期" if bulletin.number else "草稿"
    return file_response(content, f"{bulletin.title_line}-{label}.{fmt}".replace(" ", ""), content_type)


def _require_office(request) -> None:
    if not can(request.user, Action.MANAGE):
        raise PermissionDenied(_("只有创建办工作人员可以管理创建专栏。"))
