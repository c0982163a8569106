"""Writes on evidence: submit, approve, return, withdraw, and link checks (DESIGN.md §3.1, §3.4)."""

import datetime as dt
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from evidence.models import Evidence, EvidenceAssignment, EvidenceFile, EvidenceLink
from evidence.storage import prepare_uploads, storing
from indicators.models import Assignment
from luhsan_portal.audit import audit_record
from luhsan_portal.spreadsheets import parse_date

UNCLASSIFIED_REQUIRED = _("请确认所提交材料不涉及国家秘密（不涉密）。")
NOTHING_SUBMITTED = _("请至少上传一个文件、填写一个网络链接，或写一段书面说明。")
NO_ASSIGNMENT = _("请选择材料所服务的任务。")
FOREIGN_ASSIGNMENT = _("只能为本单位的任务提交材料。")
MIXED_CAMPAIGNS = _("一份材料只能服务同一创建活动的任务。")
WAIVED_ASSIGNMENT = _("任务“%(task)s”已设为不适用，无需提交材料。")
NOT_PENDING = _("该材料当前状态为“%(status)s”，只有待审核的材料可以这样操作。")
RETURN_REASON_REQUIRED = _("退回必须填写理由。")
PREVIOUS_NOT_RETURNED = _("只能针对已退回的材料重新提交。")
PREVIOUS_ALREADY_ANSWERED = _("该退回材料已经重新提交过（v%(revision)d），请在最新版本上操作。")
TOO_MANY_FILES = _("一次最多上传 %(n)d 个文件。")


class AlreadySubmitted(ValidationError):
    """The same form was submitted twice (double click, retried request); carries the first one."""

    def __init__(self, evidence: "Evidence"):
        super().__init__(_("这份材料已经提交过了，请勿重复提交。"))
        self.evidence = evidence


@dataclass(frozen=True)
class LinkInput:
    url: str
    site: str = ""
    published_on: dt.date | None = None


def evidence_validate_links(raw: list[dict] | None) -> list[LinkInput]:
    """Links as the form or the API gives them; each needs an http(s) address."""
    links, errors = [], []
    for index, item in enumerate(raw or [], start=1):
        if not isinstance(item, dict):
            errors.append(_("第%(n)d个链接格式不对。") % {"n": index})
            continue
        url = str(item.get("url") or "").strip()
        site = str(item.get("site") or "").strip()[:100]
        published = item.get("published_on") or ""
        if not url and not site and not published:
            continue
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 1000:
            errors.append(
                _("第%(n)d个链接“%(url)s”不是有效的网址（应以 http:// 或 https:// 开头）。")
                % {"n": index, "url": url[:80]}
            )
            continue
        try:
            published_on = parse_date(published)
        except ValueError as exc:
            errors.append(_("第%(n)d个链接的发布日期：%(error)s。") % {"n": index, "error": exc})
            continue
        links.append(LinkInput(url=url, site=site, published_on=published_on))
    if errors:
        raise ValidationError({"links": errors})
    return links


def _check_assignments(*, unit, assignments: list[Assignment]) -> None:
    if not assignments:
        raise ValidationError({"assignments": NO_ASSIGNMENT})
    if any(a.unit_id != unit.pk for a in assignments):
        raise ValidationError({"assignments": FOREIGN_ASSIGNMENT})
    if len({a.campaign_id for a in assignments}) != 1:
        raise ValidationError({"assignments": MIXED_CAMPAIGNS})
    for a in assignments:
        if a.waived_at is not None:
            raise ValidationError({"assignments": WAIVED_ASSIGNMENT % {"task": a.indicator.code}})


@transaction.atomic
def _create(
    *, unit, assignments, title, prepared, stored, links, reuse, statement, note, period, previous, token, actor
) -> Evidence:
    evidence = Evidence(
        campaign_id=assignments[0].campaign_id,
        unit=unit,
        title=title,
        statement=statement,
        note=note,
        period_start=period[0],
        period_end=period[1],
        previous=previous,
        root_id=(previous.root_id or previous.pk) if previous else None,
        revision=previous.revision + 1 if previous else 1,
        unclassified=True,
        client_token=token,
        created_by=actor,
    )
    evidence.full_clean(exclude=["previous"], validate_constraints=False)
    evidence.save()
    EvidenceAssignment.objects.bulk_create(EvidenceAssignment(evidence=evidence, assignment=a) for a in assignments)
    files = [
        EvidenceFile(evidence=evidence, stored=stored[p.sha256], name=p.name, order=i) for i, p in enumerate(prepared)
    ]
    if reuse is not None:
        files += [
            EvidenceFile(evidence=evidence, stored_id=f.stored_id, name=f.name, order=len(files) + i)
            for i, f in enumerate(reuse.files.all())
        ]
        links = links + [
            LinkInput(url=link.url, site=link.site, published_on=link.published_on) for link in reuse.links.all()
        ]
    EvidenceFile.objects.bulk_create(files)
    created_links = EvidenceLink.objects.bulk_create(
        EvidenceLink(evidence=evidence, url=link.url, site=link.site, published_on=link.published_on, order=i)
        for i, link in enumerate(links)
    )
    audit_record(
        actor=actor,
        verb="evidence.submit",
        target=evidence,
        unit=unit,
        changes={
            "status": (None, Evidence.Status.PENDING.label),
            "assignments": (None, [a.indicator.code for a in assignments]),
            "files": (None, [f.name for f in files]),
            "links": (None, len(created_links)),
        },
        reason=_("回应退回的 v%(revision)d") % {"revision": previous.revision} if previous else "",
    )
    link_ids = [link.pk for link in created_links]
    if link_ids:
        transaction.on_commit(lambda: _check_links(link_ids))
    # No snapshot here: a submission changes no completion figure (dashboards read live data);
    # the stored figures are refreshed after reviews, imports and nightly.
    return evidence


def evidence_submit(
    *,
    unit,
    assignments: list[Assignment],
    title: str,
    actor,
    unclassified: bool,
    files=(),
    links: list[dict] | None = None,
    statement: str = "",
    note: str = "",
    period_start: dt.date | None = None,
    period_end: dt.date | None = None,
    previous: Evidence | None = None,
    reuse: Evidence | None = None,
    client_token: str = "",
) -> Evidence:
    """Submit evidence for one or more of ``unit``'s assignments; it waits for review.

    Files are type-checked and hashed before anything is written; if anything fails afterwards,
    blobs this call wrote are removed again, so a failed upload leaves no record and no file.
    ``previous`` makes this the next revision of a returned submission; ``reuse`` attaches the
    files and links of an earlier submission of the same unit without uploading them again.
    ``client_token`` (the form's hidden token) makes a repeated request answer ``AlreadySubmitted``.
    """
    client_token = (client_token or "")[:64]
    if client_token:
        earlier = Evidence.objects.filter(created_by=actor, client_token=client_token).first()
        if earlier is not None:
            raise AlreadySubmitted(earlier)
    if not unclassified:
        raise ValidationError({"unclassified": UNCLASSIFIED_REQUIRED})
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": _("请填写材料标题。")})
    _check_assignments(unit=unit, assignments=assignments)
    parsed_links = evidence_validate_links(links)
    files = list(files)
    from django.conf import settings

    if len(files) > settings.EVIDENCE_MAX_FILES:
        raise ValidationError({"files": TOO_MANY_FILES % {"n": settings.EVIDENCE_MAX_FILES}})
    if previous is not None:
        if previous.unit_id != unit.pk or previous.status != Evidence.Status.RETURNED:
            raise ValidationError(PREVIOUS_NOT_RETURNED)
        if Evidence.objects.filter(previous=previous).exists():
            raise ValidationError(PREVIOUS_ALREADY_ANSWERED % {"revision": previous.revision + 1})
    if reuse is not None and reuse.unit_id != unit.pk:
        raise ValidationError({"reuse": FOREIGN_ASSIGNMENT})
    if not files and not parsed_links and not (statement or "").strip() and reuse is None:
        raise ValidationError(NOTHING_SUBMITTED)
    if period_start and period_end and period_start > period_end:
        raise ValidationError({"period_end": _("材料所属期间的开始日期不能晚于结束日期。")})

    prepared = prepare_uploads(files)
    try:
        with storing(prepared) as stored:
            return _create(
                unit=unit,
                assignments=assignments,
                title=title[:200],
                prepared=prepared,
                stored=stored,
                links=parsed_links,
                reuse=reuse,
                statement=(statement or "").strip(),
                note=(note or "").strip(),
                period=(period_start, period_end),
                previous=previous,
                token=client_token,
                actor=actor,
            )
    except IntegrityError as exc:
        # Lost a race: the same form arrived twice at once, or two resubmissions of one return.
        earlier = Evidence.objects.filter(created_by=actor, client_token=client_token).first() if client_token else None
        if earlier is not None:
            raise AlreadySubmitted(earlier) from exc
        if previous is not None:
            raise ValidationError(PREVIOUS_ALREADY_ANSWERED % {"revision": previous.revision + 1}) from exc
        raise


def _check_links(link_ids: list[int]) -> None:
    from django.conf import settings

    from evidence.tasks import link_check_task

    if settings.LINK_CHECK_ENABLED:
        if settings.CELERY_TASK_ALWAYS_EAGER:
            # The embedded default has no worker: a slow or unreachable site must not hold up
            # the liaison's submit request, so the checks run beside it.
            threading.Thread(target=_check_links_now, args=(link_ids,), daemon=True).start()
        else:
            for link_id in link_ids:
                link_check_task.delay(link_id)


def _check_links_now(link_ids: list[int]) -> None:
    from django.db import connection

    from evidence.tasks import link_check_task

    try:
        for link_id in link_ids:
            link_check_task(link_id)
    finally:
        connection.close()


def _transition(*, evidence: Evidence, new: str, actor, verb: str, fields: dict, reason: str = "") -> Evidence:
    """Move a pending submission to ``new`` with a compare-and-set, so concurrent decisions
    (two reviewers, a reviewer and a withdrawing liaison) end in exactly one of them."""
    changed = Evidence.objects.filter(pk=evidence.pk, status=Evidence.Status.PENDING).update(
        status=new, updated_at=timezone.now(), **fields
    )
    if changed != 1:
        current = Evidence.objects.filter(pk=evidence.pk).values_list("status", flat=True).first()
        raise ValidationError(NOT_PENDING % {"status": Evidence.Status(current).label if current else "—"})
    evidence.refresh_from_db()
    audit_record(
        actor=actor,
        verb=verb,
        target=evidence,
        unit=evidence.unit,
        changes={"status": (Evidence.Status.PENDING.label, Evidence.Status(new).label)},
        reason=reason,
    )
    if new != Evidence.Status.WITHDRAWN:
        _recompute(evidence.campaign_id)
    return evidence


def _recompute(campaign_id: int) -> None:
    from reports.services import progress_recompute_on_commit

    progress_recompute_on_commit(campaign_id)


@transaction.atomic
def evidence_approve(*, evidence: Evidence, actor) -> Evidence:
    """通过: the whole submission, and with it every assignment it serves."""
    now = timezone.now()
    return _transition(
        evidence=evidence,
        new=Evidence.Status.APPROVED,
        actor=actor,
        verb="evidence.approve",
        fields={"reviewed_by": actor, "reviewed_at": now},
    )


@transaction.atomic
def evidence_return(*, evidence: Evidence, actor, reason: str) -> Evidence:
    """退回 with a reason the unit will read; the unit answers with a new revision."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": RETURN_REASON_REQUIRED})
    return _transition(
        evidence=evidence,
        new=Evidence.Status.RETURNED,
        actor=actor,
        verb="evidence.return",
        fields={"reviewed_by": actor, "reviewed_at": timezone.now(), "review_reason": reason[:2000]},
        reason=reason,
    )


@transaction.atomic
def evidence_withdraw(*, evidence: Evidence, actor, reason: str = "") -> Evidence:
    """The unit takes back a submission not yet reviewed; it stays on record as withdrawn."""
    reason = (reason or "").strip()
    return _transition(
        evidence=evidence,
        new=Evidence.Status.WITHDRAWN,
        actor=actor,
        verb="evidence.withdraw",
        fields={"withdrawn_by": actor, "withdrawn_at": timezone.now(), "withdraw_reason": reason[:1000]},
        reason=reason,
    )


def evidence_bulk_approve(*, evidences: list[Evidence], actor) -> tuple[int, list[str]]:
    """Approve several submissions; each is its own transaction so one conflict skips only itself."""
    approved, skipped = 0, []
    for evidence in evidences:
        try:
            evidence_approve(evidence=evidence, actor=actor)
            approved += 1
        except ValidationError as exc:
            skipped.append(f"{evidence.title}：{' '.join(exc.messages)}")
    return approved, skipped


def evidence_log_download(*, evidence_file: EvidenceFile, actor, inline: bool) -> None:
    """Every download (or in-browser preview) of evidence is on the audit trail."""
    audit_record(
        actor=actor,
        verb="evidence.preview" if inline else "evidence.download",
        target=evidence_file.evidence,
        unit=evidence_file.evidence.unit,
        changes={"file": (None, evidence_file.name)},
    )


@transaction.atomic
def link_check_record(*, link: EvidenceLink, proxy: str | None, timeout: float) -> EvidenceLink:
    """Check one link now (status, final address, title, time) and store the result."""
    from evidence.linkcheck import check_url

    result = check_url(link.url, proxy=proxy or None, timeout=timeout)
    old = link.check_status
    link.check_status = result.status
    link.status_code = result.status_code
    link.final_url = result.final_url[:1000]
    link.page_title = result.title[:300]
    link.check_error = result.error[:200]
    link.checked_at = result.checked_at
    link.save(update_fields=["check_status", "status_code", "final_url", "page_title", "check_error", "checked_at"])
    if old != result.status and result.status == EvidenceLink.CheckStatus.BROKEN:
        audit_record(
            actor=None,
            verb="evidence.link_broken",
            target=link.evidence,
            unit=None,
            changes={"link": (link.url, result.error)},
        )
    return link
