import datetime as dt

import pytest

from reports.models import ProgressSnapshot
from reports.tasks import progress_snapshot_all_task, progress_snapshot_task


@pytest.mark.django_db
def test_task_loads_by_id_and_stores_the_day(campaign):
    rows = progress_snapshot_task(campaign.pk, "2026-07-02")
    assert rows == ProgressSnapshot.objects.filter(campaign=campaign, date=dt.date(2026, 7, 2)).count()


@pytest.mark.django_db
def test_task_for_a_deleted_campaign_does_nothing():
    assert progress_snapshot_task(99999) == 0


@pytest.mark.django_db
def test_nightly_job_covers_running_campaigns(campaign, settings):
    assert progress_snapshot_all_task() in (0, 1)


@pytest.mark.worker
def test_snapshot_through_a_real_worker_and_redis(campaign, celery_worker_process):
    """JSON serialisation, the broker round trip and the worker's own DB connection, for real."""
    result = progress_snapshot_task.delay(campaign.pk, "2026-07-02")
    rows = result.get(timeout=60)
    assert rows > 0
    assert ProgressSnapshot.objects.filter(campaign=campaign, date=dt.date(2026, 7, 2), kind="campaign").exists()
