"""Bulletins: states, approval permission, gapless numbering, corrections, sanitising, bad input."""

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from bulletins.content import sanitize
from bulletins.models import Bulletin, PublicationSettings
from bulletins.services import (
    bulletin_approve,
    bulletin_correct,
    bulletin_create,
    bulletin_publish,
    bulletin_return,
    bulletin_submit,
    bulletin_update,
    item_add_progress,
    item_add_round,
    item_save,
)
from luhsan_portal.testing import upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def approver(office):
    office.user_permissions.add(Permission.objects.get(codename="approve_bulletin"))
    from accounts.models import User

    return User.objects.get(pk=office.pk)


def today_in(campaign) -> dt.date:
    return min(max(timezone.localdate(), campaign.start_date), campaign.target_date)


def publish_one(campaign, approver, *, day=None) -> Bulletin:
    bulletin = bulletin_create(campaign=campaign, actor=approver, issue_date=day or today_in(campaign))
    item_save(bulletin=bulletin, actor=approver, headline="工作动态", body="正文")
    bulletin_submit(bulletin=bulletin, actor=approver)
    bulletin_approve(bulletin=bulletin, actor=approver)
    return bulletin_publish(bulletin=bulletin, actor=approver)


def test_a_draft_has_the_series_defaults(campaign, office):
    bulletin = bulletin_create(campaign=campaign, actor=office, issue_date=today_in(campaign))
    assert bulletin.title_line == "鲁山县创建省级法治政府建设示范县 工作简报"
    assert bulletin.bao == "市法治政府建设领导小组办公室"
    assert bulletin.copies == 80
    assert bulletin.number is None
    assert bulletin.status == "draft"


def test_the_whole_path_and_numbers_in_order(campaign, approver):
    first = publish_one(campaign, approver)
    second = publish_one(campaign, approver)
    assert (first.number, second.number) == (1, 2)
    assert first.published_on == first.issue_date


def test_numbers_run_across_year_ends_unless_the_series_restarts(campaign, approver):
    late = publish_one(campaign, approver, day=dt.date(2026, 12, 31))
    early = publish_one(
        campaign, approver, day=dt.date(2027, 1, 12) if campaign.target_date.year > 2026 else dt.date(2026, 12, 31)
    )
    assert early.number == late.number + 1
    PublicationSettings.objects.filter(campaign=campaign).update(numbering="yearly")
    restarted = publish_one(campaign, approver, day=campaign.target_date + dt.timedelta(days=30))
    assert restarted.number == 1
    assert restarted.number_scope == str(restarted.year)


def test_only_an_approver_approves(campaign, office):
    bulletin = bulletin_create(campaign=campaign, actor=office, issue_date=today_in(campaign))
    item_save(bulletin=bulletin, actor=office, headline="标题", body="正文")
    bulletin_submit(bulletin=bulletin, actor=office)
    with pytest.raises(PermissionDenied, match="审批简报的权限"):
        bulletin_approve(bulletin=bulletin, actor=office)


def test_returning_to_draft_needs_a_reason(campaign, approver):
    bulletin = bulletin_create(campaign=campaign, actor=approver, issue_date=today_in(campaign))
    item_save(bulletin=bulletin, actor=approver, headline="标题", body="正文")
    bulletin_submit(bulletin=bulletin, actor=approver)
    with pytest.raises(ValidationError, match="必须填写理由"):
        bulletin_return(bulletin=bulletin, actor=approver, reason=" ")
    bulletin_return(bulletin=bulletin, actor=approver, reason="第二篇标题有误")
    bulletin.refresh_from_db()
    assert (bulletin.status, bulletin.return_reason) == ("draft", "第二篇标题有误")


def test_an_empty_bulletin_cannot_be_submitted(campaign, office):
    bulletin = bulletin_create(campaign=campaign, actor=office, issue_date=today_in(campaign))
    with pytest.raises(ValidationError, match="还没有任何文章"):
        bulletin_submit(bulletin=bulletin, actor=office)


def test_a_published_bulletin_cannot_be_edited_but_can_be_corrected(campaign, approver):
    published = publish_one(campaign, approver)
    with pytest.raises(ValidationError, match="不能修改"):
        item_save(bulletin=published, actor=approver, headline="改", body="改")
    with pytest.raises(ValidationError, match="不能修改"):
        bulletin_update(bulletin=published, actor=approver, title_line="改")
    correction = bulletin_correct(bulletin=published, actor=approver, note="第一篇日期有误")
    assert (correction.status, correction.revision, correction.revision_of) == ("draft", 2, published)
    assert [i.headline for i in correction.items.all()] == ["工作动态"]
    bulletin_submit(bulletin=correction, actor=approver)
    bulletin_approve(bulletin=correction, actor=approver)
    bulletin_publish(bulletin=correction, actor=approver)
    correction.refresh_from_db()
    assert correction.number == published.number
    assert list(Bulletin.objects.latest_revisions()) == [correction]
    assert publish_one(campaign, approver).number == published.number + 1


def test_a_date_outside_the_campaign_is_refused(campaign, office):
    with pytest.raises(ValidationError, match="创建活动期间"):
        bulletin_create(campaign=campaign, actor=office, issue_date=campaign.start_date - dt.timedelta(days=1))


def test_an_image_that_is_not_an_image_is_refused_and_nothing_saved(campaign, office, pdf_bytes, exe_bytes):
    bulletin = bulletin_create(campaign=campaign, actor=office, issue_date=today_in(campaign))
    for name, data in (("照片.png", pdf_bytes), ("照片.jpg", exe_bytes)):
        with pytest.raises(ValidationError):
            item_save(bulletin=bulletin, actor=office, headline="标题", body="正文", images=[upload(name, data)])
    assert not bulletin.items.exists()


def test_a_200_page_article_is_refused(campaign, office):
    bulletin = bulletin_create(campaign=campaign, actor=office, issue_date=today_in(campaign))
    with pytest.raises(ValidationError, match="超过单篇"):
        item_save(bulletin=bulletin, actor=office, headline="长文", body="法治政府建设示范创建。" * 12000)
    assert not bulletin.items.exists()


def test_missing_headline_or_body_is_refused(campaign, office):
    bulletin = bulletin_create(campaign=campaign, actor=office, issue_date=today_in(campaign))
    with pytest.raises(ValidationError) as caught:
        item_save(bulletin=bulletin, actor=office, headline=" ", body="")
    assert set(caught.value.error_dict) == {"headline", "body"}


@pytest.mark.parametrize(
    ("raw", "kept", "gone"),
    [
        ("<p onclick='steal()'>正文</p><script>alert(1)</script>", "<p>正文</p>", ["script", "onclick", "alert"]),
        ('<p>图<img src="http://evil.example/x.png" onerror="x()"></p>', "<p>图</p>", ["img", "evil", "onerror"]),
        ('<p style="color:red"><a href="javascript:x()">链接</a></p>', "<p>链接</p>", ["style", "javascript", "<a"]),
        ("第一段\n\n第二段 <b>不是标签时</b>", "<p>第一段</p>", []),
        ("一行\n二行 & <三>", "<p>二行 &amp; &lt;三&gt;</p>", []),
    ],
)
def test_rich_text_is_sanitised(raw, kept, gone):
    cleaned = sanitize(raw)
    assert kept in cleaned
    for text in gone:
        assert text not in cleaned


def test_generated_blocks_are_editable_text(campaign, office, round_, order):
    bulletin = bulletin_create(campaign=campaign, actor=office, issue_date=today_in(campaign))
    progress = item_add_progress(bulletin=bulletin, actor=office)
    assert "项三级指标已完成" in progress.body
    assert "双过半" in progress.body
    summary = item_add_round(bulletin=bulletin, actor=office, round_=round_)
    assert "专班人员必谈" in summary.body
    item_save(bulletin=bulletin, actor=office, item=progress, headline=progress.headline, body="改写后的进度")
    progress.refresh_from_db()
    assert progress.body == "<p>改写后的进度</p>"


def test_liaisons_cannot_draft(campaign, liaison):
    with pytest.raises(PermissionDenied):
        bulletin_create(campaign=campaign, actor=liaison)
