"""The figures of DESIGN.md §3.2–§3.3 computed once; here checked on small hand-made cases."""

import datetime as dt

import pytest

from indicators.models import Assignment
from indicators.services import assignment_waive
from reports.models import ProgressSnapshot
from reports.progress import campaign_progress, double_half, pace, time_ratio
from reports.services import progress_snapshot_record

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (dt.date(2025, 12, 1), 0.0),
        (dt.date(2026, 1, 1), 0.0),
        (dt.date(2026, 7, 2), 182 / 364),
        (dt.date(2026, 12, 31), 1.0),
        (dt.date(2027, 3, 1), 1.0),
    ],
)
def test_time_ratio_is_clamped(today, expected):
    assert time_ratio(dt.date(2026, 1, 1), dt.date(2026, 12, 31), today) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("t", "w", "verdict"), [(0.49, 0.9, None), (0.5, 0.5, True), (0.5, 0.49, False), (1.0, 0.2, False)]
)
def test_double_half_is_judged_from_the_half_way_date(t, w, verdict):
    assert double_half(t, w) is verdict


@pytest.mark.parametrize(
    ("t", "w", "words"), [(0.3, 0.4, "超前"), (0.3, 0.35, "正常"), (0.3, 0.3, "正常"), (0.5, 0.2, "滞后")]
)
def test_pace(t, w, words):
    assert pace(t, w) == words


def test_nothing_done_yet(campaign):
    progress = campaign_progress(campaign, today=dt.date(2026, 7, 2))
    assert (progress.indicators_total, progress.indicators_complete) == (4, 0)
    assert (progress.bonus_total, progress.bonus_complete) == (1, 0)
    assert (progress.assignments_total, progress.assignments_done) == (10, 0)
    assert progress.work_ratio == 0
    assert progress.double_half is False
    assert [a.total for a in progress.areas] == [2, 2]


def test_waiving_every_assignment_of_an_indicator_completes_it(campaign, office):
    for assignment in Assignment.objects.filter(campaign=campaign, indicator__code="3"):
        assignment_waive(assignment=assignment, actor=office, reason="无此职能")
    progress = campaign_progress(campaign)
    assert progress.indicators_complete == 1
    assert progress.work_ratio == 0.25
    justice = next(u for u in progress.units if u.short_name == "司法局")
    assert (justice.total, justice.done) == (4, 1)
    assert progress.areas[1].complete == 1


def test_unit_without_assignments_has_no_rate_and_is_not_ranked(campaign):
    from units.models import Unit, UnitKind

    Unit.objects.create(county=campaign.county, name="鲁山县档案馆", short_name="档案馆", kind=UnitKind.objects.first())
    progress = campaign_progress(campaign, today=dt.date(2026, 7, 2))
    archive = next(u for u in progress.units if u.short_name == "档案馆")
    assert archive.rate is None
    assert "档案馆" not in [u.short_name for u in progress.ranking()]


def test_snapshot_is_idempotent_per_day(campaign):
    day = dt.date(2026, 7, 2)
    first = progress_snapshot_record(campaign=campaign, date=day)
    second = progress_snapshot_record(campaign=campaign, date=day)
    assert first == second
    assert ProgressSnapshot.objects.filter(campaign=campaign, date=day).count() == first
    row = ProgressSnapshot.objects.get(campaign=campaign, date=day, kind="campaign")
    assert row.indicators_total == 4
    assert row.figures["double_half"] is False


def test_campaign_wide_statuses_equal_the_per_row_ones(campaign, submit, office, liaison):
    """with_status(campaign=…) (hashed sets, for whole-campaign figures) is the same rule as the
    per-row form, live and for a past moment."""
    import datetime as dt

    from django.utils import timezone

    from evidence.services import evidence_approve, evidence_return, evidence_withdraw
    from indicators.models import Assignment
    from indicators.querysets import is_overdue
    from indicators.services import assignment_waive

    evidence_approve(evidence=submit(codes=("1",)), actor=office)
    evidence_return(evidence=submit(codes=("2",)), actor=office, reason="缺少文件")
    submit(codes=("3",))
    evidence_withdraw(evidence=submit(codes=("4",)), actor=liaison)
    assignment_waive(
        assignment=Assignment.objects.filter(campaign=campaign).exclude(unit__short_name="司法局").first(),
        actor=office,
        reason="本单位无此职能",
    )
    for kwargs in ({}, {"as_of": timezone.now() - dt.timedelta(minutes=1)}, {"as_of": timezone.now()}):
        rows = Assignment.objects.filter(campaign=campaign).order_by("id")
        per_row = list(rows.with_status(**kwargs).values_list("id", "status", "overdue"))
        wide = list(rows.with_status(campaign=campaign, **kwargs).values_list("id", "status", "overdue"))
        assert per_row == wide
        # The Python form of the overdue rule (whole-campaign counts) agrees with the SQL one.
        today = timezone.localdate() + dt.timedelta(days=400)  # every due date passed
        rows = Assignment.objects.filter(campaign=campaign).with_status(today=today, **kwargs)
        for due_date, status, overdue in rows.values_list("due_date", "status", "overdue"):
            assert is_overdue(status, due_date, today) == overdue
        statuses = {status for _id, status, _overdue in per_row}
        if not kwargs:
            assert statuses >= {"approved", "returned", "pending", "waived", "not_submitted"}
