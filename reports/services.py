"""Writes of the reports app: storing progress snapshots."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from indicators.models import Campaign
from reports.models import ProgressSnapshot
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
