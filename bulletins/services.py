"""Writes of bulletins and column posts (DESIGN.md §3.6).

A bulletin goes 草稿 → 待审批 → 已审批 → 已发布; only a draft can be edited, and going back to
draft needs a reason. The issue number is taken when publishing, under a lock on the campaign's
series row, so two people publishing at once get consecutive numbers — unique and gapless. A
published bulletin never changes: a correction is a new revision that keeps the number.
"""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from bulletins.content import check_length, sanitize
from bulletins.models import Bulletin, BulletinImage, BulletinItem, Post, PostAttachment, PublicationSettings
from evidence.storage import prepare_uploads, storing
from luhsan_portal.access import Role
from luhsan_portal.audit import audit_record

B = Bulletin.Status
ONLY_DRAFTS = _("已提交或已发布的简报不能修改；请先退回草稿，已发布的请做更正。")
ILLEGAL = _("该简报当前为“%(status)s”，不能%(action)s。")


def _office(user, campaign) -> None:
    if not (
        user.is_superuser or (user.role in (Role.OFFICE, Role.ADMIN) and user.county_id in (None, campaign.county_id))
    ):
        raise PermissionDenied(_("只有创建办工作人员可以编辑简报和专栏。"))


def column_bump(campaign_id: int) -> None:
    """The public column caches its pages; a new version makes every cached page stale at once.

    Bumped now (readers stop using the old pages) and again at commit (a page cached from the
    old data while this transaction was still open is dropped too).
    """
    from django.core.cache import cache

    def bump():
        key = f"column-version:{campaign_id}"
        cache.add(key, 1, None)
        cache.incr(key)

    bump()
    transaction.on_commit(bump)


def publication_settings(campaign) -> PublicationSettings:
    """The campaign's series settings, created with the county's usual defaults on first use."""
    row, _created = PublicationSettings.objects.get_or_create(
        campaign=campaign,
        defaults={
            "title_line": f"{campaign.name} 工作简报",
            "default_bao": "市法治政府建设领导小组办公室",
            "default_song": "县省级法治政府建设示范创建指挥部政委、指挥长、副指挥长",
            "default_fa": "各乡（镇、街道），县委各部委，县直各单位",
            "default_copies": 80,
            "column_title": "创建省级法治政府示范县专栏",
        },
    )
    return row


def _check_date(campaign, issue_date: dt.date) -> None:
    if issue_date is None or not (campaign.start_date <= issue_date <= campaign.target_date + dt.timedelta(days=180)):
        raise ValidationError(
            {
                "issue_date": _("简报日期应在创建活动期间（%(start)s 至 %(end)s，含其后半年）。")
                % {"start": campaign.start_date, "end": campaign.target_date}
            }
        )


# ---------------------------------------------------------------------------
# Drafting
# ---------------------------------------------------------------------------


@transaction.atomic
def bulletin_create(*, campaign, actor, issue_date: dt.date | None = None) -> Bulletin:
    """A new draft with the series' title line and distribution pre-filled."""
    _office(actor, campaign)
    series = publication_settings(campaign)
    issue_date = issue_date or timezone.localdate()
    _check_date(campaign, issue_date)
    bulletin = Bulletin.objects.create(
        campaign=campaign,
        title_line=series.title_line,
        issue_date=issue_date,
        year=issue_date.year,
        office=campaign.office_name,
        bao=series.default_bao,
        song=series.default_song,
        fa=series.default_fa,
        editors=series.default_editors,
        copies=series.default_copies,
        created_by=actor,
    )
    audit_record(actor=actor, verb="bulletin.create", target=bulletin, changes={"status": (None, B.DRAFT.label)})
    return bulletin


def _draft(bulletin: Bulletin) -> None:
    if Bulletin.objects.filter(pk=bulletin.pk).values_list("status", flat=True).first() != B.DRAFT:
        raise ValidationError(ONLY_DRAFTS)


@transaction.atomic
def bulletin_update(*, bulletin: Bulletin, actor, **fields) -> Bulletin:
    """Change a draft's header: title line, date, office, 报/送/发, 编校, copies."""
    _office(actor, bulletin.campaign)
    _draft(bulletin)
    allowed = {"title_line", "issue_date", "office", "bao", "song", "fa", "editors", "copies"}
    for name, value in fields.items():
        if name in allowed:
            setattr(bulletin, name, value.strip() if isinstance(value, str) else value)
    _check_date(bulletin.campaign, bulletin.issue_date)
    bulletin.year = bulletin.issue_date.year
    if not bulletin.title_line:
        raise ValidationError({"title_line": _("请填写简报名称。")})
    if not bulletin.office:
        raise ValidationError({"office": _("请填写编发单位。")})
    bulletin.full_clean()
    bulletin.save()
    return bulletin


def item_save(
    *,
    bulletin: Bulletin,
    actor,
    headline: str,
    body: str,
    images=(),
    captions=(),
    item: BulletinItem | None = None,
    kind: str = BulletinItem.Kind.ARTICLE,
) -> BulletinItem:
    """Add (or change) an article of a draft: sanitised text and type-checked images."""
    _office(actor, bulletin.campaign)
    _draft(bulletin)
    headline = (headline or "").strip()
    body_html = sanitize(body)
    errors = {}
    if not headline:
        errors["headline"] = _("请填写标题。")
    if not body_html:
        errors["body"] = _("请填写正文。")
    if errors:
        raise ValidationError(errors)
    check_length(body_html)
    prepared = prepare_uploads(images, field="images", images_only=True)
    with storing(prepared) as rows:
        if item is None:
            order = (bulletin.items.aggregate(m=Max("order"))["m"] or 0) + 1
            item = BulletinItem.objects.create(
                bulletin=bulletin, order=order, kind=kind, headline=headline, body=body_html
            )
        else:
            item.headline, item.body = headline, body_html
            item.save(update_fields=["headline", "body"])
        start = (item.images.aggregate(m=Max("order"))["m"] or 0) + 1
        captions = list(captions)
        BulletinImage.objects.bulk_create(
            BulletinImage(
                item=item,
                stored=rows[p.sha256],
                order=start + i,
                caption=(captions[i] if i < len(captions) else "")[:200],
            )
            for i, p in enumerate(prepared)
        )
        return item


@transaction.atomic
def item_delete(*, item: BulletinItem, actor) -> None:
    _office(actor, item.bulletin.campaign)
    _draft(item.bulletin)
    item.delete()


@transaction.atomic
def item_move(*, item: BulletinItem, actor, step: int) -> None:
    """Move an article up (-1) or down (+1) in the 目录."""
    _office(actor, item.bulletin.campaign)
    _draft(item.bulletin)
    items = list(item.bulletin.items.order_by("order", "id"))
    index = next(i for i, it in enumerate(items) if it.pk == item.pk)
    target = index + step
    if 0 <= target < len(items):
        items[index], items[target] = items[target], items[index]
    for order, it in enumerate(items, start=1):
        it.order = order
    BulletinItem.objects.bulk_update(items, ["order"])


def item_add_progress(*, bulletin: Bulletin, actor) -> BulletinItem:
    """Insert the current progress figures as editable text (完成率, 双过半, lagging units)."""
    from reports.progress import campaign_progress

    p = campaign_progress(bulletin.campaign)
    day = p.today
    verdict = (
        _("时间尚未过半，暂不评判“双过半”")
        if p.double_half is None
        else (_("“双过半”目标已经实现") if p.double_half else _("“双过半”目标尚未实现"))
    )
    lagging = [u for u in p.ranking() if (u.gap or 0) < 0][:5]
    paragraphs = [
        _(
            "截至%(m)d月%(d)d日，全县%(total)d项三级指标已完成%(done)d项，工作进度%(w).1f%%，时间进度%(t).1f%%，"
            "进度%(pace)s；%(bt)d项附加指标已完成%(bd)d项。责任清单%(at)d项任务已完成%(ad)d项，完成率%(ar).1f%%。"
        )
        % {
            "m": day.month,
            "d": day.day,
            "total": p.indicators_total,
            "done": p.indicators_complete,
            "w": p.work_ratio * 100,
            "t": p.time_ratio * 100,
            "pace": p.pace,
            "bt": p.bonus_total,
            "bd": p.bonus_complete,
            "at": p.assignments_total,
            "ad": p.assignments_done,
            "ar": (p.assignment_ratio or 0) * 100,
        },
        verdict + _("；逾期未完成任务%(n)d项。") % {"n": p.assignments_overdue},
    ]
    if lagging:
        names = "、".join(f"{u.short_name}（完成率{(u.rate or 0) * 100:.0f}%）" for u in lagging)
        paragraphs.append(_("进度相对滞后的单位：%(names)s，请加快推进。") % {"names": names})
    body = "\n\n".join(paragraphs)
    headline = _("示范创建工作进展情况（截至%(y)d年%(m)d月%(d)d日）") % {"y": day.year, "m": day.month, "d": day.day}
    return item_save(bulletin=bulletin, actor=actor, headline=headline, body=body, kind=BulletinItem.Kind.PROGRESS)


def item_add_round(*, bulletin: Bulletin, actor, round_) -> BulletinItem:
    """Insert a summary of a supervision round as editable text."""
    from supervision.report import summary_paragraph
    from supervision.selectors import round_report_data

    if round_.campaign_id != bulletin.campaign_id:
        raise ValidationError(_("只能插入本创建活动的督导轮次。"))
    data = round_report_data(round_)
    headline = _("%(title)s情况") % {"title": round_.title}
    return item_save(
        bulletin=bulletin,
        actor=actor,
        headline=headline,
        body=summary_paragraph(data),
        kind=BulletinItem.Kind.SUPERVISION,
    )


# ---------------------------------------------------------------------------
# Approval and publication
# ---------------------------------------------------------------------------


def _move(
    *, bulletin: Bulletin, allowed: tuple, new: str, actor, verb: str, action: str, reason: str = "", **fields
) -> Bulletin:
    changed = Bulletin.objects.filter(pk=bulletin.pk, status__in=allowed).update(
        status=new, updated_at=timezone.now(), **fields
    )
    if changed != 1:
        current = Bulletin.objects.filter(pk=bulletin.pk).values_list("status", flat=True).first()
        raise ValidationError(ILLEGAL % {"status": B(current).label, "action": action})
    old = bulletin.status
    bulletin.refresh_from_db()
    audit_record(
        actor=actor, verb=verb, target=bulletin, changes={"status": (B(old).label, B(new).label)}, reason=reason
    )
    return bulletin


@transaction.atomic
def bulletin_submit(*, bulletin: Bulletin, actor) -> Bulletin:
    _office(actor, bulletin.campaign)
    if not bulletin.items.exists():
        raise ValidationError(_("简报还没有任何文章，不能提交审批。"))
    return _move(
        bulletin=bulletin,
        allowed=(B.DRAFT,),
        new=B.SUBMITTED,
        actor=actor,
        verb="bulletin.submit",
        action=_("提交审批"),
    )


@transaction.atomic
def bulletin_approve(*, bulletin: Bulletin, actor) -> Bulletin:
    _office(actor, bulletin.campaign)
    if not actor.has_perm("bulletins.approve_bulletin"):
        raise PermissionDenied(_("您没有审批简报的权限（需由创建办负责人审批）。"))
    return _move(
        bulletin=bulletin,
        allowed=(B.SUBMITTED,),
        new=B.APPROVED,
        actor=actor,
        verb="bulletin.approve",
        action=_("审批"),
        approved_by=actor,
        approved_at=timezone.now(),
    )


@transaction.atomic
def bulletin_return(*, bulletin: Bulletin, actor, reason: str) -> Bulletin:
    """Back to draft from 待审批 or 已审批, with the reason the author will read."""
    _office(actor, bulletin.campaign)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("退回草稿必须填写理由。")})
    return _move(
        bulletin=bulletin,
        allowed=(B.SUBMITTED, B.APPROVED),
        new=B.DRAFT,
        actor=actor,
        verb="bulletin.return",
        action=_("退回草稿"),
        reason=reason.strip(),
        return_reason=reason.strip(),
        approved_by=None,
        approved_at=None,
    )


@transaction.atomic
def bulletin_publish(*, bulletin: Bulletin, actor) -> Bulletin:
    """Publish an approved bulletin and give it the next issue number of its series."""
    _office(actor, bulletin.campaign)
    # Serialise publications of one series: the lock is held until this transaction commits.
    series = PublicationSettings.objects.select_for_update().get(pk=publication_settings(bulletin.campaign).pk)
    bulletin.refresh_from_db()
    if bulletin.revision_of_id:
        original = bulletin.revision_of
        scope, number = original.number_scope, original.number
    else:
        scope = "all" if series.numbering == PublicationSettings.Numbering.CONTINUOUS else str(bulletin.year)
        last = Bulletin.objects.filter(campaign=bulletin.campaign, number_scope=scope, revision=1).aggregate(
            m=Max("number")
        )["m"]
        number = (last or 0) + 1
    published = _move(
        bulletin=bulletin,
        allowed=(B.APPROVED,),
        new=B.PUBLISHED,
        actor=actor,
        verb="bulletin.publish",
        action=_("发布"),
        number=number,
        number_scope=scope,
        published_by=actor,
        published_at=timezone.now(),
    )
    column_bump(bulletin.campaign_id)
    return published


@transaction.atomic
def bulletin_correct(*, bulletin: Bulletin, actor, note: str) -> Bulletin:
    """Start a correction of a published issue: a new draft revision with the same number once published."""
    _office(actor, bulletin.campaign)
    if bulletin.status != B.PUBLISHED:
        raise ValidationError(_("只有已发布的简报需要更正；草稿可以直接修改。"))
    if not (note or "").strip():
        raise ValidationError({"note": _("请填写更正说明。")})
    latest = bulletin.revisions.order_by("-revision").first() or bulletin
    original = bulletin.revision_of or bulletin
    copy = Bulletin.objects.create(
        campaign=bulletin.campaign,
        title_line=latest.title_line,
        issue_date=latest.issue_date,
        year=latest.year,
        office=latest.office,
        bao=latest.bao,
        song=latest.song,
        fa=latest.fa,
        editors=latest.editors,
        copies=latest.copies,
        revision_of=original,
        revision=max(latest.revision, bulletin.revision) + 1,
        correction_note=note.strip(),
        created_by=actor,
    )
    for item in latest.items.prefetch_related("images"):
        new_item = BulletinItem.objects.create(
            bulletin=copy, order=item.order, kind=item.kind, headline=item.headline, body=item.body
        )
        BulletinImage.objects.bulk_create(
            BulletinImage(item=new_item, stored_id=img.stored_id, caption=img.caption, order=img.order)
            for img in item.images.all()
        )
    audit_record(
        actor=actor,
        verb="bulletin.correct",
        target=copy,
        reason=note.strip(),
        changes={"revision": (None, copy.revision)},
    )
    return copy


# ---------------------------------------------------------------------------
# Column posts
# ---------------------------------------------------------------------------


def post_save(
    *,
    campaign,
    actor,
    board: str,
    title: str,
    body: str = "",
    doc_number: str = "",
    source: str = "",
    published_on: dt.date | None = None,
    internal_note: str = "",
    attachments=(),
    post: Post | None = None,
) -> Post:
    """Create or change a column post; attachments are stored like evidence (type-checked)."""
    _office(actor, campaign)
    if not (title or "").strip():
        raise ValidationError({"title": _("请填写标题。")})
    body_html = sanitize(body)
    check_length(body_html)
    prepared = prepare_uploads(attachments, field="attachments")
    with storing(prepared) as rows:
        post = post or Post(campaign=campaign, created_by=actor)
        post.board, post.title, post.body = board, title.strip(), body_html
        post.doc_number, post.source, post.published_on = doc_number.strip(), source.strip(), published_on
        post.internal_note = internal_note.strip()
        post.full_clean()
        post.save()
        PostAttachment.objects.bulk_create(
            PostAttachment(post=post, stored=rows[p.sha256], name=p.name) for p in prepared
        )
        audit_record(actor=actor, verb="post.save", target=post, changes={"title": (None, post.title)})
        column_bump(campaign.pk)
        return post


@transaction.atomic
def post_set_published(*, post: Post, actor, published: bool) -> Post:
    _office(actor, post.campaign)
    old = post.status
    post.status = Post.Status.PUBLISHED if published else Post.Status.DRAFT
    if published and not post.published_on:
        post.published_on = timezone.localdate()
    post.save(update_fields=["status", "published_on", "updated_at"])
    audit_record(
        actor=actor,
        verb="post.publish" if published else "post.unpublish",
        target=post,
        changes={"status": (Post.Status(old).label, post.get_status_display())},
    )
    column_bump(post.campaign_id)
    return post
