"""Writes of supervision: rounds and groups, visits, findings, and the rectification state machine
(DESIGN.md §3.5). Every transition is a compare-and-set on the status, so concurrent clicks end in
one state, and writes its audit row."""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from evidence.models import Evidence
from evidence.storage import prepare_uploads, storing
from luhsan_portal.access import Role
from luhsan_portal.audit import audit_record
from supervision.models import (
    ExtensionRequest,
    Finding,
    GroupMember,
    InspectionGroup,
    Rectification,
    RectificationFile,
    SupervisionRound,
    Visit,
    VisitPhoto,
)

S = Rectification.Status
ILLEGAL = _("该整改当前为“%(status)s”，不能%(action)s。")
NOT_IN_ROUND = _("您不是本轮督导的督导组成员，不能进行此操作。")
REASON_REQUIRED = _("请填写理由。")


# ---------------------------------------------------------------------------
# Who may act
# ---------------------------------------------------------------------------


def _is_office(user, county_id: int) -> bool:
    return user.is_superuser or (user.role in (Role.OFFICE, Role.ADMIN) and user.county_id in (None, county_id))


def round_member(user, round_: SupervisionRound) -> bool:
    """A current leader or member of one of the round's groups."""
    return InspectionGroup.objects.filter(
        Q(leader=user) | Q(memberships__user=user, memberships__left_at__isnull=True), round=round_
    ).exists()


def may_check(user, round_: SupervisionRound) -> bool:
    """销号, 复核, extensions: the round's supervisors or the office."""
    return _is_office(user, round_.campaign.county_id) or round_member(user, round_)


def _require(condition: bool, message: str = NOT_IN_ROUND) -> None:
    if not condition:
        raise PermissionDenied(message)


# ---------------------------------------------------------------------------
# Rounds and groups (the office)
# ---------------------------------------------------------------------------


@transaction.atomic
def round_create(
    *, campaign, title: str, start_date: dt.date, end_date: dt.date, actor, bodies: str = "", notes: str = ""
) -> SupervisionRound:
    _require(_is_office(actor, campaign.county_id), _("只有创建办可以建立督导轮次。"))
    round_ = SupervisionRound(
        campaign=campaign,
        title=title.strip(),
        start_date=start_date,
        end_date=end_date,
        bodies=bodies.strip(),
        notes=notes.strip(),
        created_by=actor,
    )
    round_.full_clean()
    round_.save()
    audit_record(actor=actor, verb="round.create", target=round_, changes={"title": (None, round_.title)})
    return round_


@transaction.atomic
def group_save(
    *,
    round_: SupervisionRound,
    name: str,
    leader,
    members: list,
    units: list,
    actor,
    group: InspectionGroup | None = None,
) -> InspectionGroup:
    """Create or change a group. Members who leave keep their membership row with the leaving time."""
    _require(_is_office(actor, round_.campaign.county_id), _("只有创建办可以组建督导组。"))
    if not name.strip():
        raise ValidationError({"name": _("请填写督导组名称。")})
    foreign = [u for u in units if u.county_id != round_.campaign.county_id]
    if foreign:
        raise ValidationError({"units": _("督导单位必须属于本县。")})
    creating = group is None
    group = group or InspectionGroup(round=round_)
    group.name, group.leader = name.strip(), leader
    group.full_clean()
    group.save()
    wanted = {m.pk for m in members if m.pk != leader.pk}
    current = {m.user_id: m for m in group.memberships.filter(left_at__isnull=True)}
    now = timezone.now()
    GroupMember.objects.filter(pk__in=[m.pk for uid, m in current.items() if uid not in wanted]).update(left_at=now)
    GroupMember.objects.bulk_create(GroupMember(group=group, user_id=uid) for uid in wanted - set(current))
    group.units.set(units)
    audit_record(
        actor=actor,
        verb="group.create" if creating else "group.update",
        target=group,
        changes={"members": (sorted(current), sorted(wanted)), "units": (None, len(units))},
    )
    return group


# ---------------------------------------------------------------------------
# Visits and findings (supervisors on site, or the office)
# ---------------------------------------------------------------------------


def _with_files(files, images_only: bool, write):
    """Type-check and store the uploads, then run ``write(prepared, stored)`` in the same transaction."""
    prepared = prepare_uploads(files, images_only=images_only)
    with storing(prepared) as stored:
        return write(prepared, stored)


def visit_record(
    *,
    group: InspectionGroup,
    unit,
    date: dt.date,
    actor,
    interviewed: list[dict] | None = None,
    materials_checked: str = "",
    evidence: list[Evidence] | None = None,
    places_inspected: str = "",
    notes: str = "",
    photos=(),
) -> Visit:
    """Record a visit with the 三必 checklist and photos."""
    round_ = group.round
    _require(_is_office(actor, round_.campaign.county_id) or round_member(actor, round_))
    if not group.units.filter(pk=unit.pk).exists():
        raise ValidationError({"unit": _("该单位不在本督导组的督导名单中。")})
    people = [
        {"name": str(p.get("name", "")).strip()[:30], "post": str(p.get("post", "")).strip()[:50]}
        for p in interviewed or []
        if str(p.get("name", "")).strip()
    ]
    if evidence and any(e.unit_id != unit.pk for e in evidence):
        raise ValidationError({"evidence": _("只能关联被督导单位自己的材料。")})

    def write(prepared, stored):
        visit = Visit(
            group=group,
            unit=unit,
            date=date,
            interviewed=people,
            materials_checked=materials_checked.strip(),
            places_inspected=places_inspected.strip(),
            notes=notes.strip(),
            created_by=actor,
        )
        visit.full_clean()
        visit.save()
        visit.evidence_checked.set(evidence or [])
        VisitPhoto.objects.bulk_create(VisitPhoto(visit=visit, stored=stored[p.sha256], name=p.name) for p in prepared)
        audit_record(actor=actor, verb="visit.record", target=visit, unit=unit, changes={"date": (None, str(date))})
        return visit

    return _with_files(photos, True, write)


@transaction.atomic
def finding_record(
    *,
    round_: SupervisionRound,
    unit,
    description: str,
    requirement: str,
    deadline: dt.date,
    actor,
    indicators: list | None = None,
    category: str = Finding.Category.MATERIALS,
    severity: str = Finding.Severity.MINOR,
    visit: Visit | None = None,
) -> Finding:
    """Record a problem at a unit and its rectification order (整改意见, 整改时限)."""
    office = _is_office(actor, round_.campaign.county_id)
    _require(office or round_member(actor, round_))
    if not office and not round_.groups.filter(Q(leader=actor) | Q(memberships__user=actor), units=unit).exists():
        raise ValidationError({"unit": _("该单位不在您所在督导组的督导名单中。")})
    errors = {}
    if not (description or "").strip():
        errors["description"] = _("请描述发现的问题。")
    if not (requirement or "").strip():
        errors["requirement"] = _("请填写整改意见。")
    if deadline is None or deadline < timezone.localdate():
        errors["deadline"] = _("整改时限不能早于今天。")
    if errors:
        raise ValidationError(errors)
    finding = Finding(
        round=round_,
        visit=visit,
        unit=unit,
        description=description.strip(),
        category=category,
        severity=severity,
        created_by=actor,
    )
    finding.full_clean()
    finding.save()
    finding.indicators.set(indicators or [])
    rectification = Rectification.objects.create(
        finding=finding, unit=unit, requirement=requirement.strip(), deadline=deadline, original_deadline=deadline
    )
    audit_record(
        actor=actor,
        verb="rectification.order",
        target=rectification,
        unit=unit,
        changes={"status": (None, S.OPEN.label), "deadline": (None, str(deadline))},
    )
    return finding


# ---------------------------------------------------------------------------
# The rectification state machine
# ---------------------------------------------------------------------------


def _move(
    *, rectification: Rectification, allowed: tuple, new: str, actor, verb: str, action: str, reason: str = "", **fields
) -> Rectification:
    changed = Rectification.objects.filter(pk=rectification.pk, status__in=allowed).update(
        status=new, updated_at=timezone.now(), **fields
    )
    if changed != 1:
        current = Rectification.objects.filter(pk=rectification.pk).values_list("status", flat=True).first()
        raise ValidationError(ILLEGAL % {"status": S(current).label, "action": action})
    old = rectification.status
    rectification.refresh_from_db()
    audit_record(
        actor=actor,
        verb=verb,
        target=rectification,
        unit=rectification.unit,
        changes={"status": (S(old).label, S(new).label)},
        reason=reason,
    )
    return rectification


def _own_unit(actor, rectification: Rectification) -> None:
    _require(
        actor.is_superuser or actor.unit_id == rectification.unit_id or _is_office(actor, rectification.unit.county_id),
        _("只能处理本单位的整改。"),
    )


@transaction.atomic
def rectification_acknowledge(*, rectification: Rectification, actor) -> Rectification:
    """The unit signs for the order: 待整改 → 整改中."""
    _own_unit(actor, rectification)
    return _move(
        rectification=rectification,
        allowed=(S.OPEN,),
        new=S.IN_PROGRESS,
        actor=actor,
        verb="rectification.acknowledge",
        action=_("签收"),
    )


@transaction.atomic
def rectification_save_draft(*, rectification: Rectification, actor, description: str) -> Rectification:
    """The unit saves its response without submitting it: the order is 整改中."""
    _own_unit(actor, rectification)
    return _move(
        rectification=rectification,
        allowed=(S.OPEN, S.IN_PROGRESS),
        new=S.IN_PROGRESS,
        actor=actor,
        verb="rectification.draft",
        action=_("保存"),
        response=(description or "").strip(),
    )


def rectification_respond(
    *, rectification: Rectification, actor, description: str, evidence: list[Evidence] | None = None, files=()
) -> Rectification:
    """The unit reports what it did, with evidence (new files, or reused submissions): → 待复核."""
    _own_unit(actor, rectification)
    if not (description or "").strip():
        raise ValidationError({"description": _("请说明整改情况。")})
    if evidence and any(e.unit_id != rectification.unit_id for e in evidence):
        raise ValidationError({"evidence": _("只能引用本单位的材料。")})

    def write(prepared, stored):
        moved = _move(
            rectification=rectification,
            allowed=(S.OPEN, S.IN_PROGRESS),
            new=S.AWAITING_CHECK,
            actor=actor,
            verb="rectification.respond",
            action=_("提交整改情况"),
            response=description.strip(),
            responded_by=actor,
            responded_at=timezone.now(),
        )
        moved.response_evidence.add(*(evidence or []))
        RectificationFile.objects.bulk_create(
            RectificationFile(rectification=moved, stored=stored[p.sha256], name=p.name, uploaded_by=actor)
            for p in prepared
        )
        return moved

    return _with_files(files, False, write)


@transaction.atomic
def rectification_close(*, rectification: Rectification, actor) -> Rectification:
    """销号 after re-checking the response."""
    _require(may_check(actor, rectification.finding.round))
    now = timezone.now()
    return _move(
        rectification=rectification,
        allowed=(S.AWAITING_CHECK,),
        new=S.CLOSED,
        actor=actor,
        verb="rectification.close",
        action=_("销号"),
        checked_by=actor,
        checked_at=now,
        closed_at=now,
    )


@transaction.atomic
def rectification_reject(*, rectification: Rectification, actor, reason: str) -> Rectification:
    """复核不通过: back to 整改中 with the reason."""
    _require(may_check(actor, rectification.finding.round))
    if not (reason or "").strip():
        raise ValidationError({"reason": REASON_REQUIRED})
    return _move(
        rectification=rectification,
        allowed=(S.AWAITING_CHECK,),
        new=S.IN_PROGRESS,
        actor=actor,
        verb="rectification.reject",
        action=_("复核"),
        reason=reason.strip(),
        checked_by=actor,
        checked_at=timezone.now(),
        check_reason=reason.strip(),
    )


@transaction.atomic
def rectification_reopen(*, rectification: Rectification, actor, reason: str) -> Rectification:
    """The office reopens a closed order: back to 整改中 with the reason."""
    _require(_is_office(actor, rectification.unit.county_id), _("只有创建办可以重新打开已销号的整改。"))
    if not (reason or "").strip():
        raise ValidationError({"reason": REASON_REQUIRED})
    return _move(
        rectification=rectification,
        allowed=(S.CLOSED,),
        new=S.IN_PROGRESS,
        actor=actor,
        verb="rectification.reopen",
        action=_("重新打开"),
        reason=reason.strip(),
        closed_at=None,
        check_reason=reason.strip(),
    )


@transaction.atomic
def rectification_extension_request(
    *, rectification: Rectification, actor, deadline: dt.date, reason: str
) -> ExtensionRequest:
    """延期申请: the unit asks for a later deadline; the original stays in history."""
    _own_unit(actor, rectification)
    rectification.refresh_from_db()
    if rectification.status == S.CLOSED:
        raise ValidationError(_("已销号的整改不能申请延期。"))
    if not (reason or "").strip():
        raise ValidationError({"reason": REASON_REQUIRED})
    if deadline is None or deadline <= rectification.deadline:
        raise ValidationError(
            {"deadline": _("申请的时限必须晚于当前整改时限（%(d)s）。") % {"d": rectification.deadline}}
        )
    try:
        with transaction.atomic():
            request = ExtensionRequest.objects.create(
                rectification=rectification,
                previous_deadline=rectification.deadline,
                requested_deadline=deadline,
                reason=reason.strip(),
                requested_by=actor,
            )
    except IntegrityError as exc:
        raise ValidationError(_("已有一份待审批的延期申请。")) from exc
    audit_record(
        actor=actor,
        verb="rectification.extension_request",
        target=rectification,
        unit=rectification.unit,
        changes={"deadline": (str(rectification.deadline), str(deadline))},
        reason=reason.strip(),
    )
    return request


@transaction.atomic
def rectification_extension_decide(
    *, rectification: Rectification, actor, approve: bool, reason: str
) -> ExtensionRequest:
    """Approve or refuse the pending extension request, with a reason."""
    _require(may_check(actor, rectification.finding.round))
    if not (reason or "").strip():
        raise ValidationError({"reason": REASON_REQUIRED})
    pending = ExtensionRequest.objects.filter(
        rectification=rectification, status=ExtensionRequest.Status.PENDING
    ).first()
    if pending is None:
        raise ValidationError(_("没有待审批的延期申请。"))
    new = ExtensionRequest.Status.APPROVED if approve else ExtensionRequest.Status.REFUSED
    changed = ExtensionRequest.objects.filter(pk=pending.pk, status=ExtensionRequest.Status.PENDING).update(
        status=new,
        decided_by=actor,
        decided_at=timezone.now(),
        decision_reason=reason.strip(),
        updated_at=timezone.now(),
    )
    if changed != 1:
        raise ValidationError(_("该延期申请已经审批过了。"))
    old_deadline = rectification.deadline
    if approve:
        Rectification.objects.filter(pk=rectification.pk).update(
            deadline=pending.requested_deadline, updated_at=timezone.now()
        )
    pending.refresh_from_db()
    rectification.refresh_from_db()
    audit_record(
        actor=actor,
        verb="rectification.extension_" + ("approve" if approve else "refuse"),
        target=rectification,
        unit=rectification.unit,
        changes={"deadline": (str(old_deadline), str(rectification.deadline))},
        reason=reason.strip(),
    )
    return pending
