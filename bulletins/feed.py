"""The public column as data: a JSON feed, and static pages with attachments for export.

Counties whose website runs on the government-website platform import the feed or upload the
static pages; both are built from the same ``public()`` reads as the live column.
"""

import io
import zipfile

from django.template.loader import render_to_string
from django.utils import timezone

from bulletins import selectors
from bulletins.models import Bulletin, Post
from evidence.storage import blob_open


def _attachments(post, link) -> list[dict]:
    return [
        {"name": a.name, "url": link("attachment", a), "sha256": a.stored.sha256, "size": a.stored.size}
        for a in post.attachments.all()
    ]


def column_feed(campaign, *, base_url: str = "", link=None) -> dict:
    """Everything the public column shows, as JSON-ready data."""
    from django.urls import reverse

    def default_link(kind: str, obj) -> str:
        names = {
            "bulletin": "column:bulletin",
            "pdf": "column:bulletin_pdf",
            "post": "column:post",
            "attachment": "column:attachment",
        }
        return base_url + reverse(names[kind], args=[campaign.pk, obj.pk])

    link = link or default_link
    news = []
    for row in selectors.column_news(campaign):
        obj = row["object"]
        if row["kind"] == "bulletin":
            news.append(
                {
                    "type": "bulletin",
                    "id": obj.pk,
                    "title": f"{obj.title_line} 第{obj.number}期",
                    "number": obj.number,
                    "date": obj.issue_date.isoformat(),
                    "items": [i.headline for i in obj.items.all()],
                    "url": link("bulletin", obj),
                    "pdf": link("pdf", obj),
                }
            )
        else:
            news.append(
                {
                    "type": "post",
                    "id": obj.pk,
                    "title": obj.title,
                    "date": obj.published_on.isoformat() if obj.published_on else None,
                    "url": link("post", obj),
                }
            )

    def posts(board: str) -> list[dict]:
        return [
            {
                "id": p.pk,
                "title": p.title,
                "doc_number": p.doc_number,
                "source": p.source,
                "date": p.published_on.isoformat() if p.published_on else None,
                "body": p.body,
                "url": link("post", p),
                "attachments": _attachments(p, link),
            }
            for p in selectors.column_posts(campaign, board)
        ]

    web_search = [
        {
            "code": row["indicator"].code,
            "title": row["indicator"].title,
            "requirement": row["indicator"].requirement,
            "links": [
                {
                    "url": link_row["url"],
                    "site": link_row["site"],
                    "unit": link_row["evidence__unit__short_name"],
                    "published_on": link_row["published_on"].isoformat() if link_row["published_on"] else None,
                    "check_status": link_row["check_status"],
                    "checked_at": link_row["checked_at"].isoformat() if link_row["checked_at"] else None,
                }
                for link_row in row["links"]
            ],
        }
        for row in selectors.column_web_search(campaign)
    ]
    return {
        "column": campaign.publication.column_title,
        "campaign": {"id": campaign.pk, "name": campaign.name},
        "generated_at": timezone.now().isoformat(),
        "boards": {
            "news": news,
            "policy": posts(Post.Board.POLICY),
            "web_search": web_search,
            "annual_report": posts(Post.Board.ANNUAL_REPORT),
        },
    }


def column_export_zip(campaign) -> bytes:
    """Static pages, bulletin PDFs, attachments and feed.json in one zip (relative links)."""
    import json

    from bulletins.render import bulletin_html, bulletin_pdf
    from bulletins.views.column import BOARDS

    def rel(kind: str, obj) -> str:
        return {
            "bulletin": f"jianbao-{getattr(obj, 'pk', '')}.html",
            "pdf": f"jianbao-{getattr(obj, 'pk', '')}.pdf",
            "post": f"wenzhang-{getattr(obj, 'pk', '')}.html",
            "attachment": f"fujian/{getattr(obj, 'pk', '')}-{getattr(obj, 'name', '')}",
            "board": f"{obj}.html",
            "index": "index.html",
        }[kind]

    base = {"campaign": campaign, "column": campaign.publication, "boards": BOARDS, "static_export": True, "rel": rel}
    files: dict[str, bytes] = {}
    page = lambda template, **ctx: render_to_string(template, {**base, **ctx}).encode()  # noqa: E731
    files["index.html"] = page(
        "column/index.html",
        news=selectors.column_news(campaign, limit=8),
        policies=selectors.column_posts(campaign, Post.Board.POLICY)[:6],
        reports=selectors.column_posts(campaign, Post.Board.ANNUAL_REPORT)[:6],
    )
    for slug, (key, title) in BOARDS.items():
        ctx = {"board": slug, "board_title": title}
        if key == "news":
            ctx["rows"] = selectors.column_news(campaign)
        elif key == "web_search":
            ctx["web_search"] = selectors.column_web_search(campaign)
        else:
            ctx["posts"] = selectors.column_posts(campaign, key)
        files[f"{slug}.html"] = page("column/board.html", **ctx)
    for bulletin in Bulletin.objects.public().filter(campaign=campaign).latest_revisions():
        full = selectors.bulletin_with_items(Bulletin.objects.all(), bulletin.pk)
        data = selectors.bulletin_data(full)
        files[rel("bulletin", full)] = page("column/bulletin.html", bulletin=full, preview=bulletin_html(data))
        files[rel("pdf", full)] = bulletin_pdf(data)
    for post in Post.objects.public().filter(campaign=campaign).prefetch_related("attachments__stored"):
        files[rel("post", post)] = page("column/post.html", post=post)
        for attachment in post.attachments.all():
            with blob_open(attachment.stored) as handle:
                files[rel("attachment", attachment)] = handle.read()
    files["feed.json"] = json.dumps(column_feed(campaign, link=rel), ensure_ascii=False, indent=2).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            archive.writestr(name, files[name])
    return buffer.getvalue()
