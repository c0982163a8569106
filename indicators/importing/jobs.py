"""Upload → preview → confirm: the web flow around the importers, safe against double clicks."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from indicators.importing.assignments import assignments_import
from indicators.importing.framework import framework_import
from indicators.models import Campaign, ImportJob
from luhsan_portal.audit import audit_record
from luhsan_portal.imports import ImportResult
from units.importers import units_import
from units.models import County

JOB_NOT_PENDING = _("该导入已执行或已取消，不能再次确认。")
PREVIEW_STALE = _("数据在预览之后发生了变化，导入未执行：")


def _run(job: ImportJob, data: bytes, *, actor, dry_run: bool) -> ImportResult:
    if job.kind == ImportJob.Kind.UNITS:
        return units_import(data=data, county=job.county, actor=actor, dry_run=dry_run)
    if job.kind == ImportJob.Kind.FRAMEWORK:
        return framework_import(data=data, framework_name=job.options["framework_name"], actor=actor, dry_run=dry_run)
    campaign = Campaign.objects.select_related("county", "framework").get(pk=job.options["campaign_id"])
    return assignments_import(data=data, campaign=campaign, actor=actor, dry_run=dry_run)


@transaction.atomic
def import_job_create(*, kind: str, upload, county: County, options: dict, actor) -> ImportJob:
    """Keep the uploaded file and its dry-run report until someone confirms or cancels."""
    job = ImportJob(kind=kind, county=county, original_name=upload.name[:255], options=options, created_by=actor)
    job.file.save(f"{kind}.bin", upload, save=False)
    job.file.open("rb")
    try:
        result = _run(job, job.file.read(), actor=actor, dry_run=True)
    finally:
        job.file.close()
    job.report = result.as_dict()
    job.status = ImportJob.Status.PREVIEWED if result.ok else ImportJob.Status.INVALID
    job.save()
    return job


@transaction.atomic
def import_job_apply(*, job: ImportJob, actor) -> ImportResult:
    """Apply a previewed import once. A second click, or a stale preview, changes nothing."""
    claimed = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.PREVIEWED).update(
        status=ImportJob.Status.APPLIED, applied_at=timezone.now()
    )
    if claimed != 1:
        raise ValidationError(JOB_NOT_PENDING)
    with job.file.open("rb") as handle:
        result = _run(job, handle.read(), actor=actor, dry_run=False)
    if not result.ok:
        # Rolls back the claim too: the job stays "previewed" and the database untouched.
        raise ValidationError([PREVIEW_STALE, *(str(e) for e in result.errors[:20])])
    ImportJob.objects.filter(pk=job.pk).update(report=result.as_dict())
    job.refresh_from_db()
    audit_record(actor=actor, verb="import.apply", target=job, changes={"status": ("待确认", "已导入")})
    return result


@transaction.atomic
def import_job_cancel(*, job: ImportJob, actor) -> ImportJob:
    changed = ImportJob.objects.filter(
        pk=job.pk, status__in=[ImportJob.Status.PREVIEWED, ImportJob.Status.INVALID]
    ).update(status=ImportJob.Status.CANCELLED)
    if changed != 1:
        raise ValidationError(JOB_NOT_PENDING)
    job.refresh_from_db()
    return job
