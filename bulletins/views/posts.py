"""The office's management of the public column's posts (news, policy documents, annual reports)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from bulletins import services
from bulletins.models import Post
from bulletins.views.office import _campaign, _require_office
from luhsan_portal.forms import DateInput
from luhsan_portal.listing import paginate
from luhsan_portal.views import add_service_errors, login_required, portal_page


class PostForm(forms.ModelForm):
    body = forms.CharField(
        label=gettext_lazy("正文"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=gettext_lazy("空行分段；也可从 Word 粘贴。"),
    )

    class Meta:
        model = Post
        fields = ["board", "title", "doc_number", "source", "published_on", "body", "internal_note"]
        widgets = {"published_on": DateInput(), "internal_note": forms.Textarea(attrs={"rows": 2})}


@login_required
def post_list(request):
    _require_office(request)
    campaign = _campaign(request)
    posts = Post.objects.for_user(request.user).filter(campaign=campaign).order_by("board", "-published_on", "-id")
    board = request.GET.get("board", "")
    if board in Post.Board.values:
        posts = posts.filter(board=board)
    return portal_page(
        request,
        "bulletins/post_list.html",
        {"page": paginate(request, posts), "boards": Post.Board.choices, "board": board},
    )


@login_required
def post_edit(request, pk: int | None = None):
    _require_office(request)
    campaign = _campaign(request)
    post = get_object_or_404(Post.objects.for_user(request.user), pk=pk) if pk else None
    form = PostForm(request.POST or None, instance=post, initial={"board": request.GET.get("board", "news")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            post = services.post_save(
                campaign=post.campaign if post else campaign,
                actor=request.user,
                post=post,
                attachments=request.FILES.getlist("attachments"),
                **data,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("已保存。发布后才会出现在公开专栏。"))
            return redirect("bulletins:post_edit", pk=post.pk)
    return portal_page(request, "bulletins/post_form.html", {"form": form, "post": post})


@login_required
@require_POST
def post_publish(request, pk: int):
    _require_office(request)
    post = get_object_or_404(Post.objects.for_user(request.user), pk=pk)
    publish = request.POST.get("publish") == "true"
    services.post_set_published(post=post, actor=request.user, published=publish)
    messages.success(request, _("已发布到公开专栏。") if publish else _("已撤下，公开专栏不再显示。"))
    return redirect("bulletins:post_edit", pk=pk)


@login_required
def column_export(request):
    """The column as static pages, PDFs, attachments and feed.json, for the government-website platform."""
    from django.utils import timezone

    from bulletins.feed import column_export_zip
    from bulletins.services import publication_settings
    from luhsan_portal.audit import audit_record
    from luhsan_portal.listing import file_response

    _require_office(request)
    campaign = _campaign(request)
    publication_settings(campaign)
    content = column_export_zip(campaign)
    audit_record(actor=request.user, verb="column.export", target=campaign)
    return file_response(content, f"创建专栏-{timezone.localdate():%Y%m%d}.zip", "application/zip")
