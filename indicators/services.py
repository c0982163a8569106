"""Writes on campaigns and assignments. Imports live in ``indicators.importing``."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from indicators.models import Assignment, Campaign, CampaignStage, Framework
from luhsan_portal.audit import audit_record
from units.models import County

WAIVE_REASON_REQUIRED = _("设为不适用必须填写理由。")
ALREADY_WAIVED = _("该任务已是“不适用”。")
NOT_WAIVED = _("该任务不是“不适用”，无需恢复。")


@transaction.atomic
def campaign_create(
    *,
    name: str,
    framework: Framework,
    start_date: dt.date,
    target_date: dt.date,
    county: County | None = None,
    office_name: str = "",
    stages: list[tuple[str, dt.date, dt.date]] | None = None,
    actor=None,
) -> Campaign:
    """Create a campaign of ``county`` (the deployment's default county if omitted) with its stages."""
    county = county or County.objects.default()
    campaign = Campaign(
        county=county,
        name=name,
        framework=framework,
        start_date=start_date,
        target_date=target_date,
        office_name=office_name or _("%(name)s指挥部办公室") % {"name": name},
    )
    campaign.full_clean()
    campaign.save()
    for order, (stage_name, start, end) in enumerate(stages or [], start=1):
        stage = CampaignStage(campaign=campaign, name=stage_name, start_date=start, end_date=end, order=order)
        stage.full_clean()
        stage.save()
    audit_record(actor=actor, verb="campaign.create", target=campaign, changes={"name": (None, name)})
    return campaign


def _recompute_after_commit(campaign_id: int) -> None:
    from reports.services import progress_recompute_on_commit

    progress_recompute_on_commit(campaign_id)


@transaction.atomic
def assignment_waive(*, assignment: Assignment, actor, reason: str) -> Assignment:
    """Mark an assignment 不适用 with the office's reason; it then counts as done (DESIGN.md §3.1)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": WAIVE_REASON_REQUIRED})
    now = timezone.now()
    # Compare-and-set so that two office members waiving at once record one waiver.
    changed = Assignment.objects.filter(pk=assignment.pk, waived_at__isnull=True).update(
        waived_at=now, waived_by=actor, waive_reason=reason, updated_at=now
    )
    if changed != 1:
        raise ValidationError(ALREADY_WAIVED)
    assignment.waived_at, assignment.waived_by, assignment.waive_reason = now, actor, reason
    audit_record(
        actor=actor,
        verb="assignment.waive",
        target=assignment,
        changes={"status": ("—", "不适用")},
        reason=reason,
        unit=assignment.unit,
    )
    _recompute_after_commit(assignment.campaign_id)
    return assignment


@transaction.atomic
def assignment_unwaive(*, assignment: Assignment, actor, reason: str = "") -> Assignment:
    """Undo a waiver; the assignment's status is derived from its submissions again."""
    now = timezone.now()
    changed = Assignment.objects.filter(pk=assignment.pk, waived_at__isnull=False).update(
        waived_at=None, waived_by=None, waive_reason="", updated_at=now
    )
    if changed != 1:
        raise ValidationError(NOT_WAIVED)
    old_reason = assignment.waive_reason
    assignment.waived_at, assignment.waived_by, assignment.waive_reason = None, None, ""
    audit_record(
        actor=actor,
        verb="assignment.unwaive",
        target=assignment,
        changes={"status": ("不适用", "—"), "waive_reason": (old_reason, "")},
        reason=reason,
        unit=assignment.unit,
    )
    _recompute_after_commit(assignment.campaign_id)
    return assignment
