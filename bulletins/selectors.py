"""Reads of bulletins and the public column."""

from django.db.models import Exists, OuterRef, Prefetch, Q

from bulletins.content import body_blocks
from bulletins.models import Bulletin, BulletinImage, BulletinItem, Post
from evidence.models import Evidence, EvidenceLink
from evidence.storage import blob_open
from indicators.models import Indicator


def bulletin_with_items(queryset, pk: int) -> Bulletin:
    from django.shortcuts import get_object_or_404

    images = Prefetch("images", queryset=BulletinImage.objects.select_related("stored").order_by("order", "id"))
    items = Prefetch("items", queryset=BulletinItem.objects.prefetch_related(images).order_by("order", "id"))
    return get_object_or_404(queryset.select_related("campaign").prefetch_related(items), pk=pk)


def bulletin_data(bulletin: Bulletin):
    """The bulletin as the renderers want it (images read from storage)."""
    from bulletins.render import BulletinData, ImageData, ItemData

    def image(img: BulletinImage) -> ImageData:
        with blob_open(img.stored) as handle:
            return ImageData(data=handle.read(), content_type=img.stored.content_type, caption=img.caption)

    return BulletinData(
        title_line=bulletin.title_line,
        number=bulletin.number,
        office=bulletin.office,
        issue_date=bulletin.issue_date,
        items=[
            ItemData(headline=item.headline, blocks=body_blocks(item.body, [image(i) for i in item.images.all()]))
            for item in bulletin.items.all()
        ],
        bao=bulletin.bao,
        song=bulletin.song,
        fa=bulletin.fa,
        editors=bulletin.editors,
        copies=bulletin.copies,
        correction_note=bulletin.correction_note,
        revision=bulletin.revision,
    )


def bulletin_search(queryset, *, year: str = "", number: str = "", text: str = ""):
    """The archive's search: by year, issue number and words in titles or articles."""
    if year.isdigit():
        queryset = queryset.filter(year=int(year))
    if number.isdigit():
        queryset = queryset.filter(number=int(number))
    text = text.strip()
    if text:
        in_items = BulletinItem.objects.filter(bulletin_id=OuterRef("pk")).filter(
            Q(headline__icontains=text) | Q(body__icontains=text)
        )
        queryset = queryset.filter(Q(title_line__icontains=text) | Q(Exists(in_items)))
    return queryset


# ---------------------------------------------------------------------------
# The public column
# ---------------------------------------------------------------------------


def column_news(campaign, limit: int | None = None) -> list[dict]:
    """创建工作动态: published bulletins (latest revision) and news posts, newest first (two queries)."""
    bulletins = (
        Bulletin.objects.public()
        .filter(campaign=campaign)
        .latest_revisions()
        .prefetch_related(
            Prefetch("items", queryset=BulletinItem.objects.only("id", "bulletin_id", "headline", "order"))
        )
    )
    posts = Post.objects.public().filter(campaign=campaign, board=Post.Board.NEWS).defer("body", "internal_note")
    rows = [{"kind": "bulletin", "date": b.issue_date, "object": b} for b in bulletins]
    rows += [{"kind": "post", "date": p.published_on, "object": p} for p in posts]
    rows.sort(key=lambda r: (r["date"], r["object"].pk), reverse=True)
    return rows[:limit] if limit else rows


def column_posts(campaign, board: str):
    return (
        Post.objects.public()
        .filter(campaign=campaign, board=board)
        .prefetch_related("attachments__stored")
        .defer("internal_note")
        .order_by("-published_on", "-id")
    )


def column_web_search(campaign) -> list[dict]:
    """网络检索指标: every indicator evaluated by web search, with the public links its units
    submitted and the office approved, each with its last check result (two queries)."""
    indicators = list(
        Indicator.objects.filter(framework_id=campaign.framework_id, evaluation_methods__code="web_search")
        .assessable()
        .select_related("area")
        .order_by("sort_key")
        .distinct()
    )
    rows = (
        EvidenceLink.objects.filter(evidence__campaign=campaign, evidence__status=Evidence.Status.APPROVED)
        .filter(evidence__links_to_assignments__assignment__indicator__in=indicators)
        .values(
            "url",
            "site",
            "published_on",
            "check_status",
            "checked_at",
            "page_title",
            "evidence__unit__short_name",
            "evidence__links_to_assignments__assignment__indicator_id",
        )
        .order_by("evidence__unit__order", "-published_on")
        .distinct()
    )
    by_indicator: dict[int, list[dict]] = {i.pk: [] for i in indicators}
    for row in rows:
        indicator_id = row["evidence__links_to_assignments__assignment__indicator_id"]
        if indicator_id in by_indicator:
            by_indicator[indicator_id].append(row)
    return [{"indicator": i, "links": by_indicator[i.pk]} for i in indicators]
