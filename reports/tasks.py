"""Celery tasks of the reports app: thin wrappers that load by id and call one service."""

import datetime as dt

from celery import shared_task
from django.db import OperationalError


@shared_task(bind=True, max_retries=3, default_retry_delay=10)
def progress_snapshot_task(self, campaign_id: int, date: str | None = None) -> int:
    """Recompute and store one campaign's figures (after imports and reviews, and nightly)."""
    from indicators.models import Campaign
    from reports.services import progress_snapshot_record

    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None:
        return 0
    try:
        return progress_snapshot_record(campaign=campaign, date=dt.date.fromisoformat(date) if date else None)
    except OperationalError as exc:  # a locked SQLite file or a dropped PostgreSQL connection
        raise self.retry(exc=exc) from exc


@shared_task
def progress_snapshot_all_task() -> int:
    """Nightly: snapshot every campaign that has not ended more than 30 days ago."""
    from django.utils import timezone

    from indicators.models import Campaign

    cutoff = timezone.localdate() - dt.timedelta(days=30)
    ids = list(Campaign.objects.filter(target_date__gte=cutoff).values_list("id", flat=True))
    for campaign_id in ids:
        progress_snapshot_task.delay(campaign_id)
    return len(ids)


# An export of a whole campaign may run for hours; the heartbeat, not a time limit, detects a dead one.
@shared_task(acks_late=True, time_limit=12 * 3600, soft_time_limit=12 * 3600 - 300)
def package_export_task(export_id: int) -> bool:
    """Build one queued package export (a redelivered or duplicate message finds nothing to claim)."""
    from reports.services import package_export_run

    return package_export_run(export_id)


@shared_task
def package_export_sweep_task() -> list[int]:
    """Every few minutes: requeue exports whose worker was killed mid-build."""
    from reports.services import package_export_sweep

    return package_export_sweep()


@shared_task(expires=600)
def office_renditions_task() -> int:
    """Every 10 minutes: PDF renditions of newly uploaded office files, so exports need not wait for LibreOffice."""
    from reports.packages.renditions import prepare_missing

    return prepare_missing()
