"""Bulletin pages, the public column (nothing unpublished ever shows), the API, and numbering under
concurrent publication."""

import io
import json
import threading
import urllib.request
import zipfile

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from docx import Document
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from bulletins.models import Bulletin, Post
from bulletins.services import (
    bulletin_approve,
    bulletin_create,
    bulletin_submit,
    item_save,
    post_save,
    post_set_published,
)
from bulletins.tests.test_services import approver as approver  # noqa: F401 — shared fixture
from bulletins.tests.test_services import publish_one, today_in
from evidence.services import evidence_approve

pytestmark = pytest.mark.django_db


def test_office_drafts_inserts_progress_submits_approves_publishes(campaign, approver, as_user, png_bytes):  # noqa: F811
    client = as_user(approver)
    response = client.post("/bulletins/new/")
    bulletin = Bulletin.objects.get()
    assert response["Location"] == f"/bulletins/{bulletin.pk}/edit/"
    client.post(f"/bulletins/{bulletin.pk}/insert/progress/")
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.post(
        f"/bulletins/{bulletin.pk}/items/new/",
        {
            "headline": "推进会召开",
            "body": "第一段。\n\n【图1】\n\n第二段。",
            "images": [SimpleUploadedFile("会场.png", png_bytes)],
            "caption": "会场",
        },
    )
    assert [i.headline for i in bulletin.items.all()][1] == "推进会召开"
    item = bulletin.items.get(headline="推进会召开")
    client.post(f"/bulletins/{bulletin.pk}/items/{item.pk}/up/")
    assert bulletin.items.order_by("order").first().headline == "推进会召开"
    client.post(f"/bulletins/{bulletin.pk}/submit/")
    client.post(f"/bulletins/{bulletin.pk}/approve/")
    page = client.post(f"/bulletins/{bulletin.pk}/publish/", follow=True).content.decode()
    assert "已发布为第1期" in page
    archive = client.get("/bulletins/?q=推进会").content.decode()
    assert "第1期" in archive
    docx = client.get(f"/bulletins/{bulletin.pk}/download.docx")
    text = "\n".join(p.text for p in Document(io.BytesIO(docx.content)).paragraphs)
    assert "第1期" in text
    assert "推进会召开" in text
    pdf = client.get(f"/bulletins/{bulletin.pk}/download.pdf")
    assert pdf.content.startswith(b"%PDF")


def test_liaisons_see_only_published_bulletins(campaign, approver, liaison, as_user):  # noqa: F811
    published = publish_one(campaign, approver)
    draft = bulletin_create(campaign=campaign, actor=approver, issue_date=today_in(campaign))
    client = as_user(liaison)
    assert client.get(f"/bulletins/{published.pk}/").status_code == 200
    assert client.get(f"/bulletins/{draft.pk}/").status_code == 404
    assert client.get(f"/bulletins/{draft.pk}/edit/").status_code == 404
    assert client.post(f"/bulletins/{published.pk}/correct/", {"reason": "x"}).status_code == 404


# ---------------------------------------------------------------------------
# The public column
# ---------------------------------------------------------------------------


@pytest.fixture
def column(campaign, approver, submit, office):  # noqa: F811
    """A published bulletin, a draft, posts published and not, approved and unapproved links."""
    published = publish_one(campaign, approver)
    draft = bulletin_create(campaign=campaign, actor=approver, issue_date=today_in(campaign))
    item_save(bulletin=draft, actor=approver, headline="草稿中的秘密标题", body="草稿")
    submitted = bulletin_create(campaign=campaign, actor=approver, issue_date=today_in(campaign))
    item_save(bulletin=submitted, actor=approver, headline="待审批的标题", body="正文")
    bulletin_submit(bulletin=submitted, actor=approver)
    policy = post_save(
        campaign=campaign,
        actor=office,
        board="policy",
        title="公开的政策文件",
        doc_number="鲁法办〔2021〕1号",
        body="正文",
        internal_note="内部备注绝不公开",
    )
    post_set_published(post=policy, actor=office, published=True)
    post_save(campaign=campaign, actor=office, board="news", title="未发布的新闻草稿", body="正文")
    approved = submit(
        codes=("1",), files=[], links=[{"url": "https://www.hnls.gov.cn/approved.html", "site": "县政府网"}]
    )
    evidence_approve(evidence=approved, actor=office)
    submit(codes=("1",), files=[], links=[{"url": "https://www.hnls.gov.cn/pending.html", "site": "县政府网"}])
    return {"published": published, "draft": draft, "policy": policy}


def test_the_column_shows_nothing_unpublished(campaign, column):
    anonymous = Client()
    pages = [f"/zhuanlan/{campaign.pk}/{p}" for p in ("", "dongtai/", "zhengce/", "jiansuo/", "baogao/")]
    html = "".join(anonymous.get(url).content.decode() for url in pages)
    html += json.dumps(anonymous.get(f"/zhuanlan/{campaign.pk}/feed.json").json(), ensure_ascii=False)
    assert "第1期" in html
    assert "公开的政策文件" in html
    assert "approved.html" in html
    for secret in ("草稿中的秘密标题", "待审批的标题", "未发布的新闻草稿", "内部备注绝不公开", "pending.html"):
        assert secret not in html, secret
    assert anonymous.get(f"/zhuanlan/{campaign.pk}/jianbao/{column['draft'].pk}/").status_code == 404
    assert anonymous.get(f"/zhuanlan/{campaign.pk}/jianbao/{column['published'].pk}/").status_code == 200
    assert anonymous.get(f"/zhuanlan/{campaign.pk}/jianbao/{column['published'].pk}.pdf").content.startswith(b"%PDF")


def test_a_switched_off_column_is_not_found(campaign, column):
    from bulletins.models import PublicationSettings

    settings_row = PublicationSettings.objects.get(campaign=campaign)
    settings_row.column_enabled = False
    settings_row.save()
    assert Client().get(f"/zhuanlan/{campaign.pk}/").status_code == 404
    assert APIClient().get(f"/api/v1/public/column/{campaign.pk}/").status_code == 404


def test_publishing_shows_at_once_despite_the_cache(campaign, approver, column):  # noqa: F811
    anonymous = Client()
    assert "第2期" not in anonymous.get(f"/zhuanlan/{campaign.pk}/").content.decode()
    publish_one(campaign, approver)
    assert "第2期" in anonymous.get(f"/zhuanlan/{campaign.pk}/").content.decode()


def test_column_pages_run_a_fixed_number_of_queries(campaign, approver, column):  # noqa: F811
    from django.core.cache import cache

    def counts():
        cache.clear()
        result = []
        for path in ("", "dongtai/", "zhengce/", "jiansuo/"):
            with CaptureQueriesContext(connection) as ctx:
                Client().get(f"/zhuanlan/{campaign.pk}/{path}")
            result.append(len(ctx.captured_queries))
        return result

    small = counts()
    for _ in range(3):
        publish_one(campaign, approver)
    assert counts() == small
    cache_hits = []
    for path in ("", "dongtai/"):
        with CaptureQueriesContext(connection) as ctx:
            Client().get(f"/zhuanlan/{campaign.pk}/{path}")
        cache_hits.append(len(ctx.captured_queries))
    assert cache_hits == [0, 0]  # served from the cache


def test_column_export_zip_and_public_api(campaign, office, as_user, column):
    archive = zipfile.ZipFile(io.BytesIO(as_user(office).get("/bulletins/column/export.zip").content))
    names = archive.namelist()
    assert {"index.html", "dongtai.html", "zhengce.html", "jiansuo.html", "baogao.html", "feed.json"} <= set(names)
    assert f"jianbao-{column['published'].pk}.pdf" in names
    index = archive.read("index.html").decode()
    assert f'href="jianbao-{column["published"].pk}.html"' in index
    assert "草稿中的秘密标题" not in "".join(
        archive.read(n).decode("utf-8", "ignore") for n in names if n.endswith((".html", ".json"))
    )
    feed = APIClient().get(f"/api/v1/public/column/{campaign.pk}/").json()
    assert feed["boards"]["policy"][0]["doc_number"] == "鲁法办〔2021〕1号"
    assert "internal_note" not in json.dumps(feed)


def test_bulletin_api(campaign, approver, liaison):  # noqa: F811
    client = APIClient()
    client.force_authenticate(approver)
    created = client.post(
        "/api/v1/bulletins/", {"campaign": campaign.pk, "issue_date": str(today_in(campaign))}, format="json"
    )
    assert created.status_code == 201
    body = created.json()
    assert {"id", "campaign", "year", "number", "status", "title", "published_on"} <= set(body)
    assert (body["number"], body["status"], body["published_on"]) == (None, "draft", None)
    bulletin = Bulletin.objects.get(pk=body["id"])
    item_save(bulletin=bulletin, actor=approver, headline="标题", body="正文")
    assert client.post(f"/api/v1/bulletins/{bulletin.pk}/submit/").json()["status"] == "submitted"
    assert client.post(f"/api/v1/bulletins/{bulletin.pk}/approve/").json()["status"] == "approved"
    published = client.post(f"/api/v1/bulletins/{bulletin.pk}/publish/").json()
    assert (published["number"], published["status"]) == (1, "published")
    assert published["published_on"] == str(today_in(campaign))
    assert client.get(f"/api/v1/bulletins/{bulletin.pk}/pdf/").content.startswith(b"%PDF")
    assert client.get(f"/api/v1/bulletins/{bulletin.pk}/docx/").content.startswith(b"PK")
    assert client.get(f"/api/v1/bulletins/?status=published&year={bulletin.year}").json()["count"] == 1
    again = client.post(f"/api/v1/bulletins/{bulletin.pk}/publish/")
    assert again.status_code == 400
    unit = APIClient()
    unit.force_authenticate(liaison)
    assert unit.post(f"/api/v1/bulletins/{bulletin.pk}/publish/").status_code == 404
    assert unit.get("/api/v1/bulletins/").json()["count"] == 1


def test_posts_api(campaign, office):
    client = APIClient()
    client.force_authenticate(office)
    created = client.post(
        "/api/v1/posts/",
        {"campaign": campaign.pk, "board": "news", "title": "新闻", "body": "<p>正文</p><script>x</script>"},
        format="json",
    )
    assert created.status_code == 201
    post = Post.objects.get()
    assert "script" not in post.body
    assert client.post(f"/api/v1/posts/{post.pk}/publish/").json()["status"] == "published"


@pytest.mark.django_db(transaction=True)
def test_two_people_publishing_at_once_get_consecutive_numbers(live_server, campaign, office):
    """Real concurrent requests (PostgreSQL in CI): numbers stay unique and gapless."""
    from accounts.models import User

    office.user_permissions.add(Permission.objects.get(codename="approve_bulletin"))
    office = User.objects.get(pk=office.pk)
    token = Token.objects.create(user=office).key
    ready = []
    for n in range(4):
        bulletin = bulletin_create(campaign=campaign, actor=office, issue_date=today_in(campaign))
        item_save(bulletin=bulletin, actor=office, headline=f"第{n}篇", body="正文")
        bulletin_submit(bulletin=bulletin, actor=office)
        bulletin_approve(bulletin=bulletin, actor=office)
        ready.append(bulletin)
    barrier = threading.Barrier(len(ready))
    results = []

    def publish(bulletin):
        request = urllib.request.Request(
            f"{live_server.url}/api/v1/bulletins/{bulletin.pk}/publish/",
            data=b"{}",
            method="POST",
            headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
        )
        barrier.wait()
        with urllib.request.urlopen(request, timeout=60) as response:
            results.append(json.loads(response.read())["number"])

    threads = [threading.Thread(target=publish, args=(b,)) for b in ready]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [1, 2, 3, 4]
    assert sorted(Bulletin.objects.values_list("number", flat=True)) == [1, 2, 3, 4]
