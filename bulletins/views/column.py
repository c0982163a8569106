"""The public column (创建专栏), no login: 创建工作动态, 政策文件, 网络检索指标, 年度工作报告.

Only published material is ever read here (``public()`` querysets). Pages are cached per campaign
under a version number that every publication bumps, so a new issue shows at once while readers
are served from the cache otherwise.
"""

import functools

from django.core.cache import cache
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET

from bulletins import selectors
from bulletins.feed import column_feed
from bulletins.models import Bulletin, Post, PostAttachment
from evidence.storage import blob_open
from indicators.models import Campaign

CACHE_SECONDS = 300
BOARDS = {
    "dongtai": ("news", "创建工作动态"),
    "zhengce": (Post.Board.POLICY, "政策文件"),
    "jiansuo": ("web_search", "网络检索指标"),
    "baogao": (Post.Board.ANNUAL_REPORT, "年度工作报告"),
}


def _campaign(campaign_id: int) -> Campaign:
    return get_object_or_404(
        Campaign.objects.select_related("publication", "county"), pk=campaign_id, publication__column_enabled=True
    )


def cached(view):
    """Cache a column page (whole response) under the campaign's current column version."""

    @functools.wraps(view)
    def wrapper(request, campaign_id: int, *args, **kwargs):
        version = cache.get_or_set(f"column-version:{campaign_id}", 1, None)
        key = f"column:{campaign_id}:{version}:{request.get_full_path()}"
        response = cache.get(key)
        if response is None:
            response = view(request, campaign_id, *args, **kwargs)
            if response.status_code == 200:
                cache.set(key, response, CACHE_SECONDS)
        return response

    return require_GET(wrapper)


def column_root(request):
    campaign = Campaign.objects.filter(publication__column_enabled=True).order_by("-start_date").first()
    if campaign is None:
        raise Http404
    return redirect("column:index", campaign_id=campaign.pk)


def _page(request, campaign, template: str, context: dict):
    return render(
        request, template, {"campaign": campaign, "column": campaign.publication, "boards": BOARDS, **context}
    )


@cached
def column_index(request, campaign_id: int):
    campaign = _campaign(campaign_id)
    return _page(
        request,
        campaign,
        "column/index.html",
        {
            "news": selectors.column_news(campaign, limit=8),
            "policies": selectors.column_posts(campaign, Post.Board.POLICY)[:6],
            "reports": selectors.column_posts(campaign, Post.Board.ANNUAL_REPORT)[:6],
        },
    )


@cached
def column_board(request, campaign_id: int, board: str):
    campaign = _campaign(campaign_id)
    if board not in BOARDS:
        raise Http404
    key, title = BOARDS[board]
    context = {"board": board, "board_title": title}
    if key == "news":
        context["rows"] = selectors.column_news(campaign)
    elif key == "web_search":
        context["web_search"] = selectors.column_web_search(campaign)
    else:
        context["posts"] = selectors.column_posts(campaign, key)
    return _page(request, campaign, "column/board.html", context)


@cached
def column_bulletin(request, campaign_id: int, pk: int):
    from bulletins.render import bulletin_html

    campaign = _campaign(campaign_id)
    bulletin = selectors.bulletin_with_items(Bulletin.objects.public().filter(campaign=campaign), pk)
    html = bulletin_html(selectors.bulletin_data(bulletin))
    return _page(request, campaign, "column/bulletin.html", {"bulletin": bulletin, "preview": html})


@require_GET
def column_bulletin_pdf(request, campaign_id: int, pk: int):
    from bulletins.render import bulletin_pdf

    campaign = _campaign(campaign_id)
    bulletin = selectors.bulletin_with_items(Bulletin.objects.public().filter(campaign=campaign), pk)
    key = f"column-pdf:{bulletin.pk}:{bulletin.updated_at.timestamp()}"
    content = cache.get(key)
    if content is None:
        content = bulletin_pdf(selectors.bulletin_data(bulletin))
        cache.set(key, content, 3600)
    from luhsan_portal.listing import file_response

    return file_response(
        content, f"{bulletin.title_line}-第{bulletin.number}期.pdf".replace(" ", ""), "application/pdf"
    )


@cached
def column_post(request, campaign_id: int, pk: int):
    campaign = _campaign(campaign_id)
    post = get_object_or_404(
        Post.objects.public().filter(campaign=campaign).prefetch_related("attachments__stored").defer("internal_note"),
        pk=pk,
    )
    return _page(request, campaign, "column/post.html", {"post": post})


@require_GET
def column_attachment(request, campaign_id: int, attachment_id: int):
    campaign = _campaign(campaign_id)
    attachment = get_object_or_404(
        PostAttachment.objects.select_related("stored"),
        pk=attachment_id,
        post__in=Post.objects.public().filter(campaign=campaign),
    )
    inline = attachment.stored.kind in ("pdf", "jpg", "png")
    return FileResponse(
        blob_open(attachment.stored),
        as_attachment=not inline,
        filename=attachment.name,
        content_type=attachment.stored.content_type,
    )


@require_GET
def column_feed_json(request, campaign_id: int):
    """The column as JSON, for a government-website platform that imports it."""
    campaign = _campaign(campaign_id)
    version = cache.get_or_set(f"column-version:{campaign_id}", 1, None)
    key = f"column-feed:{campaign_id}:{version}"
    data = cache.get(key)
    if data is None:
        data = column_feed(campaign, base_url=request.build_absolute_uri("/").rstrip("/"))
        cache.set(key, data, CACHE_SECONDS)
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False})
