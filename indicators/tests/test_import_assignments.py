import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from indicators.importing.assignments import assignments_import
from indicators.models import Assignment
from luhsan_portal.testing import CSV_ASSIGNMENTS

pytestmark = pytest.mark.django_db


def test_list_creates_lead_and_co_assignments_with_due_dates(campaign):
    rows = {
        (a.indicator.code, a.unit.short_name): (a.role, a.due_date)
        for a in Assignment.objects.filter(campaign=campaign).select_related("indicator", "unit")
    }
    assert rows[("1", "司法局")] == ("lead", dt.date(2026, 3, 31))
    assert rows[("1", "琴台街道")] == ("co", dt.date(2026, 3, 31))
    assert rows[("2", "县政府办")] == ("lead", dt.date(2026, 6, 30))
    assert rows[("3", "司法局")] == ("lead", dt.date(2026, 9, 30))
    assert rows[("4", "财政局")] == ("lead", None)
    assert rows[("附1", "县政府办")] == ("lead", dt.date(2026, 12, 31))
    assert len(rows) == 10


def test_reimport_changes_nothing(campaign):
    again = assignments_import(data=CSV_ASSIGNMENTS.encode(), campaign=campaign)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 10)


def test_changed_due_date_is_an_update(campaign):
    changed = CSV_ASSIGNMENTS.replace("2026-03-31", "2026-04-30")
    result = assignments_import(data=changed.encode(), campaign=campaign)
    assert (result.created, result.updated) == (0, 3)
    assert Assignment.objects.get(
        campaign=campaign, indicator__code="1", unit__short_name="司法局"
    ).due_date == dt.date(2026, 4, 30)


@pytest.mark.parametrize(
    ("csv", "message"),
    [
        ("指标编号,牵头单位,配合单位\n1,县司法所,\n", "您是不是要找：鲁山县司法局"),
        ("指标编号,牵头单位,配合单位\n1,司法局,司法局\n", "重复出现"),
        ("指标编号,牵头单位,配合单位\n1,司法局,\n1,财政局,司法局\n", "另见第2行"),
        ("指标编号,牵头单位,配合单位\n1,,财政局\n", "没有牵头单位"),
        ("指标编号,牵头单位,配合单位\n99,司法局,\n", "不存在"),
        ("指标编号,牵头单位,配合单位\n1.,司法局,\n", None),
        ("指标编号,牵头单位,配合单位\n一、,司法局,\n", "一级或二级指标"),
        ("指标编号,牵头单位,配合单位,完成时限\n1,司法局,,明年三月\n", "无法识别日期"),
        ("指标编号,牵头单位,配合单位,完成时限\n1,司法局,,2026-02-30\n", "不存在"),
    ],
)
def test_bad_rows_are_reported_by_row_and_nothing_is_written(county, framework, csv, message):
    from indicators.services import campaign_create

    campaign = campaign_create(
        name="空活动",
        framework=framework,
        start_date=dt.date(2026, 1, 1),
        target_date=dt.date(2026, 12, 31),
        county=county,
    )
    result = assignments_import(data=csv.encode(), campaign=campaign)
    if message is None:
        # "1." means level-3 indicator 1 to people who type codes loosely.
        assert result.ok, [str(e) for e in result.errors]
        return
    assert not result.ok
    assert any(message in str(e) and "第" in str(e) for e in result.errors), [str(e) for e in result.errors]
    assert not Assignment.objects.filter(campaign=campaign).exists()


def test_bonus_codes_are_found_with_or_without_the_prefix(county, framework):
    from indicators.services import campaign_create

    campaign = campaign_create(
        name="附加",
        framework=framework,
        start_date=dt.date(2026, 1, 1),
        target_date=dt.date(2026, 12, 31),
        county=county,
    )
    result = assignments_import(data="指标编号,牵头单位\n附加1,司法局\n".encode(), campaign=campaign)
    assert result.ok, [str(e) for e in result.errors]
    assert Assignment.objects.get(campaign=campaign).indicator.level == "bonus"


def test_query_count_does_not_grow_with_rows(county, framework):
    """Bulk writes: 2 rows and 10 rows cost the same number of queries."""
    from indicators.services import campaign_create

    counts = []
    for name, rows in (
        ("小", "1,司法局,财政局\n"),
        ("大", "1,司法局,财政局、琴台街道\n2,县政府办,司法局\n3,司法局,\n4,财政局,司法局、琴台街道\n附1,县政府办,\n"),
    ):
        campaign = campaign_create(
            name=name,
            framework=framework,
            start_date=dt.date(2026, 1, 1),
            target_date=dt.date(2026, 12, 31),
            county=county,
        )
        with CaptureQueriesContext(connection) as ctx:
            assert assignments_import(data=("指标编号,牵头单位,配合单位\n" + rows).encode(), campaign=campaign).ok
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def test_import_enqueues_the_progress_recompute_after_commit(county, framework, django_capture_on_commit_callbacks):
    from indicators.services import campaign_create
    from reports.models import ProgressSnapshot

    campaign = campaign_create(
        name="快照",
        framework=framework,
        start_date=dt.date(2026, 1, 1),
        target_date=dt.date(2026, 12, 31),
        county=county,
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assignments_import(data=CSV_ASSIGNMENTS.encode(), campaign=campaign)
    assert len(callbacks) == 1
    assert not ProgressSnapshot.objects.filter(campaign=campaign).exists()
    callbacks[0]()
    assert ProgressSnapshot.objects.filter(campaign=campaign, kind="campaign").exists()


def test_command_prints_errors_and_exits_non_zero(tmp_path, campaign, capsys):
    path = tmp_path / "list.csv"
    path.write_text("指标编号,牵头单位\n1,不存在的局\n", encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("import_assignments", str(path), "--campaign", str(campaign.pk))
    assert "第2行" in capsys.readouterr().err


def test_command_refuses_an_unknown_campaign(tmp_path, campaign):
    path = tmp_path / "list.csv"
    path.write_text(CSV_ASSIGNMENTS, encoding="utf-8")
    with pytest.raises(CommandError, match="找不到编号为 9999"):
        call_command("import_assignments", str(path), "--campaign", "9999")
