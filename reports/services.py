"""Writes of the reports app: progress snapshots and province-platform package exports."""

import datetime as dt
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from indicators.models import Campaign
from luhsan_portal.access import Action, can
from luhsan_portal.audit import audit_record
from reports.models import PackageExport, PackageVolume, ProgressSnapshot
from reports.packages.builder import build_package
from reports.packages.collect import Options, scope_evidence_ids
from reports.progress import campaign_progress


def progress_recompute_on_commit(campaign_id: int) -> None:
    """Recompute the campaign's figures once the current transaction commits — once per
    transaction, however many reviews or submissions it contains (a bulk approval, an import)."""
    from reports.tasks import progress_snapshot_task

    connection = transaction.get_connection()
    # Django keeps pending callbacks in ``run_on_commit`` as (savepoints, callable, robust).
    if connection.in_atomic_block and any(
        getattr(callback, "recompute_campaign", None) == campaign_id and not getattr(callback, "ran", False)
        for _sids, callback, _robust in connection.run_on_commit
    ):
        return

    def recompute() -> None:
        recompute.ran = True
        progress_snapshot_task.delay(campaign_id)

    recompute.recompute_campaign = campaign_id
    transaction.on_commit(recompute)


@transaction.atomic
def progress_snapshot_record(*, campaign: Campaign, date: dt.date | None = None) -> int:
    """Store (or replace) the campaign's, areas' and units' figures for ``date``; returns rows written.

    Re-running for the same day replaces that day's rows, so the job is idempotent.
    """
    date = date or timezone.localdate()
    progress = campaign_progress(campaign, today=date)
    rows = [
        ProgressSnapshot(
            campaign=campaign,
            date=date,
            kind=ProgressSnapshot.Kind.CAMPAIGN,
            scope_key="campaign",
            time_ratio=progress.time_ratio,
            work_ratio=progress.work_ratio,
            indicators_total=progress.indicators_total,
            indicators_complete=progress.indicators_complete,
            assignments_total=progress.assignments_total,
            assignments_done=progress.assignments_done,
            figures={
                "bonus_total": progress.bonus_total,
                "bonus_complete": progress.bonus_complete,
                "double_half": progress.double_half,
                "pace": progress.pace,
                "assignments_overdue": progress.assignments_overdue,
            },
        )
    ]
    rows += [
        ProgressSnapshot(
            campaign=campaign,
            date=date,
            kind=ProgressSnapshot.Kind.AREA,
            scope_key=f"area:{area.area_id}",
            area_id=area.area_id,
            time_ratio=progress.time_ratio,
            work_ratio=area.rate,
            indicators_total=area.total,
            indicators_complete=area.complete,
        )
        for area in progress.areas
    ]
    rows += [
        ProgressSnapshot(
            campaign=campaign,
            date=date,
            kind=ProgressSnapshot.Kind.UNIT,
            scope_key=f"unit:{unit.unit_id}",
            unit_id=unit.unit_id,
            time_ratio=progress.time_ratio,
            work_ratio=unit.rate,
            assignments_total=unit.total,
            assignments_done=unit.done,
            figures={"due": unit.due, "overdue": unit.overdue},
        )
        for unit in progress.units
        if unit.total
    ]
    ProgressSnapshot.objects.filter(campaign=campaign, date=date).delete()
    ProgressSnapshot.objects.bulk_create(rows)
    return len(rows)


# ---------------------------------------------------------------------------
# Province-platform packages (DESIGN.md §3.7)
# ---------------------------------------------------------------------------

PACKAGE_SCOPE_DENIED = _("您无权导出这一范围：其中有您无权查看的材料。")
PACKAGE_NOTHING = _("所选范围内没有可导出的材料。")
PACKAGE_INTERRUPTED = _("生成过程意外中断（进程被终止），已自动重新排队。")
PACKAGE_GAVE_UP = _("生成过程多次意外中断，已停止重试。请联系系统管理员检查服务器磁盘和后台任务。")


def package_folder(export: PackageExport) -> Path:
    return Path(settings.PACKAGE_ROOT) / f"export-{export.pk:06d}"


def package_scope_check(*, user, options: Options) -> int:
    """How many evidence items the scope holds; refuses a scope holding items the user may not see."""
    from evidence.models import Evidence

    campaign = Campaign.objects.filter(pk=options.campaign_id).only("county_id").first()
    if campaign is None or not can(user, Action.MANAGE, county_id=campaign.county_id):
        raise PermissionDenied(_("只有本县创建办工作人员和系统管理员可以导出材料包。"))
    in_scope = Evidence.objects.filter(pk__in=scope_evidence_ids(options))
    total = in_scope.count()
    if in_scope.for_user(user, Action.VIEW).count() != total:
        raise PermissionDenied(PACKAGE_SCOPE_DENIED)
    return total


@transaction.atomic
def package_export_request(*, options: Options, actor) -> PackageExport:
    """Queue an export for the background worker; the page follows its progress."""
    if not package_scope_check(user=actor, options=options):
        raise ValidationError(PACKAGE_NOTHING)
    export = PackageExport.objects.create(campaign_id=options.campaign_id, options=options.as_dict(), created_by=actor)
    audit_record(actor=actor, verb="package.export", target=export, changes={"options": (None, options.as_dict())})
    transaction.on_commit(lambda: _package_dispatch(export.pk))
    return export


def _package_dispatch(export_id: int) -> None:
    from reports.tasks import package_export_task

    package_export_task.delay(export_id)


def _claim(export_id: int) -> bool:
    """Take the job: a queued one, or a running one whose worker stopped beating (killed)."""
    now = timezone.now()
    stale = now - dt.timedelta(seconds=settings.PACKAGE_EXPORT_STALE_SECONDS)
    claimable = Q(status=PackageExport.Status.QUEUED) | Q(status=PackageExport.Status.RUNNING, heartbeat_at__lt=stale)
    return (
        PackageExport.objects.filter(claimable, pk=export_id).update(
            status=PackageExport.Status.RUNNING,
            attempts=F("attempts") + 1,
            started_at=now,
            heartbeat_at=now,
            files_done=0,
            bytes_done=0,
            error="",
        )
        == 1
    )


def package_export_run(export_id: int) -> bool:
    """Build a claimed export into its folder. Returns False when there was nothing to claim.

    Not one transaction: progress rows must be visible to the page while the build runs. The
    folder appears only when complete (the builder renames it into place), and the job is marked
    done only after that, so a kill at any point leaves a job that is retried, never a half-package.
    """
    if not _claim(export_id):
        return False
    export = PackageExport.objects.select_related("created_by").get(pk=export_id)

    def progress(files_done: int, files_total: int, bytes_done: int, bytes_total: int) -> None:
        PackageExport.objects.filter(pk=export_id).update(
            files_done=files_done,
            files_total=files_total,
            bytes_done=bytes_done,
            bytes_total=bytes_total,
            heartbeat_at=timezone.now(),
        )

    try:
        built = build_package(
            Options.from_dict(export.options),
            package_folder(export),
            generated_by=export.created_by.display_name,
            progress=progress,
        )
    except Exception as exc:
        PackageExport.objects.filter(pk=export_id).update(
            status=PackageExport.Status.FAILED,
            error=_("生成失败：%(error)s") % {"error": exc},
            finished_at=timezone.now(),
        )
        raise
    with transaction.atomic():
        PackageVolume.objects.filter(export_id=export_id).delete()
        PackageVolume.objects.bulk_create(
            PackageVolume(
                export_id=export_id,
                number=v.number,
                title=v.title[:200],
                file_name=v.file_name,
                sha256=v.sha256,
                size=v.size,
                file_count=v.file_count,
                merged=v.merged,
            )
            for v in built.volumes
        )
        PackageExport.objects.filter(pk=export_id).update(
            status=PackageExport.Status.DONE,
            folder=str(built.folder),
            files_done=built.files_total,
            files_total=built.files_total,
            bytes_done=F("bytes_total"),
            size=built.size,
            index_sha256=built.index_sha256,
            finished_at=timezone.now(),
            heartbeat_at=timezone.now(),
        )
    return True


def package_export_sweep() -> list[int]:
    """Requeue exports whose worker died (no heartbeat for a while); give up after a few attempts."""
    stale = timezone.now() - dt.timedelta(seconds=settings.PACKAGE_EXPORT_STALE_SECONDS)
    dead = PackageExport.objects.filter(status=PackageExport.Status.RUNNING, heartbeat_at__lt=stale)
    retried = []
    for export in dead.only("pk", "attempts"):
        if export.attempts >= settings.PACKAGE_EXPORT_MAX_ATTEMPTS:
            PackageExport.objects.filter(pk=export.pk, status=PackageExport.Status.RUNNING).update(
                status=PackageExport.Status.FAILED, error=PACKAGE_GAVE_UP, finished_at=timezone.now()
            )
            continue
        requeued = PackageExport.objects.filter(
            pk=export.pk, status=PackageExport.Status.RUNNING, heartbeat_at__lt=stale
        ).update(status=PackageExport.Status.QUEUED, error=PACKAGE_INTERRUPTED)
        if requeued:
            retried.append(export.pk)
            _package_dispatch(export.pk)
    return retried
