"""Demo bulletins (two published issues and a draft) and column posts, written for this product."""

import datetime as dt

from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import User
from bulletins.models import Bulletin, Post
from bulletins.services import (
    bulletin_approve,
    bulletin_create,
    bulletin_publish,
    bulletin_submit,
    item_add_progress,
    item_save,
    post_save,
    post_set_published,
)
from indicators.models import Campaign

ISSUES = [
    [
        (
            "县创建办召开示范创建工作推进会",
            "会议通报了前一阶段各单位任务完成情况，对照指标体系逐项梳理短板弱项，"
            "要求各牵头单位切实履行牵头责任，配合单位主动对接，确保按期完成各项创建任务。\n\n"
            "会议强调，要把示范创建与日常业务工作结合起来，注重工作实效，做到材料真实、过程可查、成效可见。\n\n【图1】",
        ),
        (
            "多措并举营造浓厚创建氛围",
            "各乡镇（街道）和县直单位通过宣传栏、电子屏、微信公众号等多种渠道，"
            "广泛宣传法治政府建设示范创建的重要意义，群众知晓率和参与度持续提升。",
        ),
    ],
    [
        (
            "督导组深入基层开展创建督导",
            "督导组采取“专班人员必谈、关键资料必查、固定场所必看”的方式，"
            "深入各单位了解创建工作开展情况，现场反馈发现的问题，明确整改要求和时限。",
        ),
    ],
]


def _png() -> bytes:
    from evidence.demo import _png as make

    return make()


def _pdf(title: str) -> bytes:
    from evidence.demo import _pdf as make

    return make(title, "（示例政策文件，内容为平台演示自拟。）")


def seed_bulletins(campaign: Campaign, office: User) -> int:
    """Skipped when the campaign already has bulletins; returns how many bulletins were made."""
    office.user_permissions.add(Permission.objects.get(codename="approve_bulletin"))
    office = User.objects.get(pk=office.pk)  # drop the cached permission set
    if Bulletin.objects.filter(campaign=campaign).exists():
        return 0
    today = timezone.localdate()
    made = 0
    for index, articles in enumerate(ISSUES):
        bulletin = bulletin_create(
            campaign=campaign, actor=office, issue_date=today - dt.timedelta(days=30 - 14 * index)
        )
        for headline, body in articles:
            images = [SimpleUploadedFile("推进会现场.png", _png())] if "【图1】" in body else []
            item_save(
                bulletin=bulletin, actor=office, headline=headline, body=body, images=images, captions=["推进会现场"]
            )
        if index == 1:
            item_add_progress(bulletin=bulletin, actor=office)
        bulletin_submit(bulletin=bulletin, actor=office)
        bulletin_approve(bulletin=bulletin, actor=office)
        bulletin_publish(bulletin=bulletin, actor=office)
        made += 1
    draft = bulletin_create(campaign=campaign, actor=office, issue_date=today)
    item_add_progress(bulletin=draft, actor=office)
    _posts(campaign, office, today)
    return made + 1


def _posts(campaign: Campaign, office: User, today: dt.date) -> None:
    rows = [
        (
            Post.Board.NEWS,
            "我县召开府检联动工作联席会议",
            "",
            "县政府办",
            "会议就建立常态化沟通机制、规范执法程序等达成共识。",
            True,
        ),
        (
            Post.Board.POLICY,
            "鲁山县创建省级法治政府建设示范县工作方案（示例）",
            "鲁法办〔2021〕1号",
            "县委依法治县办",
            "",
            True,
        ),
        (
            Post.Board.POLICY,
            "关于进一步提升法治政府建设工作满意度的通知（示例）",
            "鲁法政办〔2021〕2号",
            "县法治政府建设领导小组办公室",
            "",
            True,
        ),
        (
            Post.Board.ANNUAL_REPORT,
            "鲁山县人民政府关于法治政府建设情况的报告（示例）",
            "",
            "县人民政府",
            "报告全文见附件。",
            True,
        ),
        (Post.Board.NEWS, "（草稿）专栏改版说明", "", "", "尚未发布的草稿不会出现在公开专栏。", False),
    ]
    for board, title, number, source, body, publish in rows:
        attachments = [SimpleUploadedFile(f"{title[:20]}.pdf", _pdf(title))] if board != Post.Board.NEWS else []
        post = post_save(
            campaign=campaign,
            actor=office,
            board=board,
            title=title,
            doc_number=number,
            source=source,
            body=body,
            published_on=today - dt.timedelta(days=20),
            attachments=attachments,
            internal_note="内部备注：仅供创建办查看",
        )
        if publish:
            post_set_published(post=post, actor=office, published=True)
