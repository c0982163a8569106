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
