"""Dashboards and drill-downs: who sees what, links to the rows they count, fixed query counts."""

import io
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook
from rest_framework.test import APIClient

from evidence.services import evidence_approve
from reports.models import ProgressSnapshot

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("persona", "code"), [("office", 200), ("leader", 200), ("admin", 200), ("supervisor", 403)])
def test_dashboard_is_for_the_office_and_leaders(campaign, personas, as_user, persona, code):
    assert as_user(personas[persona]).get("/dashboard/").status_code == code


def test_a_liaison_is_sent_to_its_own_unit_dashboard(campaign, liaison, as_user):
    response = as_user(liaison).get("/dashboard/")
    assert response["Location"] == f"/dashboard/units/{liaison.unit_id}/"
    html = as_user(liaison).get(response["Location"]).content.decode()
    assert "鲁山县司法局" in html
    assert "本单位完成率" in html


@pytest.mark.parametrize(
    ("persona", "own", "other"), [("liaison", 200, 404), ("other_liaison", 404, 200), ("office", 200, 200)]
)
def test_unit_dashboard_scope(campaign, personas, as_user, persona, own, other):
    justice = campaign.county.units.get(short_name="司法局")
    finance = campaign.county.units.get(short_name="财政局")
    client = as_user(personas[persona])
    assert client.get(f"/dashboard/units/{justice.pk}/").status_code == own
    assert client.get(f"/dashboard/units/{finance.pk}/").status_code == other


def test_the_ranking_is_shown_to_units_only_when_the_office_chooses(campaign, liaison, as_user):
    url = f"/dashboard/units/{liaison.unit_id}/"
    assert "进度排名" not in as_user(liaison).get(url).content.decode()
    campaign.show_ranking_to_units = True
    campaign.save()
    assert "进度排名" in as_user(liaison).get(url).content.decode()


def test_liaisons_cannot_read_campaign_figures_through_the_api(campaign, liaison):
    client = APIClient()
    client.force_authenticate(liaison)
    assert client.get(f"/api/v1/campaigns/{campaign.pk}/progress/").status_code == 404


def test_progress_api_fields(campaign, office):
    client = APIClient()
    client.force_authenticate(office)
    body = client.get(f"/api/v1/campaigns/{campaign.pk}/progress/").json()
    for field in [
        "time_ratio",
        "work_ratio",
        "indicators_total",
        "indicators_complete",
        "bonus_total",
        "bonus_complete",
        "assignments_total",
        "assignments_approved",
        "double_half",
        "pace",
        "areas",
        "units",
    ]:
        assert field in body
    assert body["pace"] in ("超前", "正常", "滞后")
    assert body["areas"][0]["indicators_total"] == 2
    history = client.get(f"/api/v1/campaigns/{campaign.pk}/progress/history/").json()
    assert history["results"][-1]["indicators_total"] == 4


def test_dashboard_numbers_link_to_the_rows_they_count(campaign, office, as_user):
    html = as_user(office).get("/dashboard/").content.decode()
    assert "/dashboard/assignments/?overdue=true" in html
    assert "/dashboard/indicators/?state=complete" in html
    assert "/dashboard/units/" in html
    overdue = as_user(office).get("/dashboard/assignments/?overdue=true")
    assert overdue.status_code == 200
    assert all(a.overdue for a in overdue.context["page"])


def test_drill_down_area_to_indicators_to_assignments(campaign, office, as_user, submit):
    evidence_approve(evidence=submit(codes=("3",)), actor=office)
    area = campaign.framework.indicators.get(level="1", code="二、")
    client = as_user(office)
    html = client.get(f"/dashboard/indicators/?area={area.pk}").content.decode()
    assert "重大行政决策目录公开" in html
    assert "权责清单动态调整并公开" not in html
    assert "已完成" in html
    indicator = campaign.framework.indicators.get(level="3", code="3")
    page = client.get(f"/dashboard/assignments/?indicator={indicator.pk}")
    assert page.context["page"].paginator.count == 1


def test_assignment_list_filters_and_exports(campaign, office, as_user):
    client = as_user(office)
    unit = campaign.county.units.get(short_name="司法局")
    page = client.get(f"/dashboard/assignments/?unit={unit.pk}&done=false")
    assert page.context["page"].paginator.count == 4
    export = client.get(f"/dashboard/assignments/?unit={unit.pk}&export=xlsx")
    sheet = load_workbook(io.BytesIO(export.content)).active
    assert sheet.max_row == 5


def test_ledger_has_a_summary_and_a_sheet_per_area(campaign, office, as_user):
    book = load_workbook(io.BytesIO(as_user(office).get("/dashboard/ledger.xlsx").content))
    assert book.sheetnames == ["汇总", "一、政府职能依法全面履行", "二、行政决策科学民主依法", "附加指标"]
    first = book["一、政府职能依法全面履行"]
    assert [c.value for c in first[1]][:6] == ["序号", "一级指标", "指标编号", "指标", "单位", "责任"]


def test_compute_progress_command(campaign):
    out = StringIO()
    call_command("compute_progress", "--campaign", str(campaign.pk), "--date", "2026-06-30", stdout=out)
    assert "已保存" in out.getvalue()
    assert ProgressSnapshot.objects.filter(campaign=campaign, date="2026-06-30", kind="campaign").exists()
    call_command("compute_progress", stdout=StringIO())
    with pytest.raises(CommandError, match="格式不对"):
        call_command("compute_progress", "--date", "2026/06/30", stdout=StringIO())
    with pytest.raises(CommandError, match="找不到"):
        call_command("compute_progress", "--campaign", "999", stdout=StringIO())


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200, url
    return len(ctx.captured_queries)


def test_dashboards_run_a_fixed_number_of_queries(campaign, office, liaison, as_user, submit):
    client = as_user(office)
    api = APIClient()
    api.force_authenticate(office)
    urls = ["/dashboard/", f"/dashboard/units/{liaison.unit_id}/", "/dashboard/indicators/", "/dashboard/assignments/"]
    small = [_count(client, u) for u in urls]
    with CaptureQueriesContext(connection) as ctx:
        api.get(f"/api/v1/campaigns/{campaign.pk}/progress/")
    small_api = len(ctx.captured_queries)
    for code in ("1", "3", "3"):
        evidence_approve(evidence=submit(codes=(code,)), actor=office)
    from units.importers import units_import

    units_import(data="单位名称,简称,类型\n鲁山县档案馆,档案馆,县直单位\n".encode(), county=campaign.county)
    large = [_count(client, u) for u in urls]
    with CaptureQueriesContext(connection) as ctx:
        api.get(f"/api/v1/campaigns/{campaign.pk}/progress/")
    assert large == small
    assert len(ctx.captured_queries) == small_api
    assert small_api <= 10
    assert small == [10, 9, 9, 9]


def test_dashboard_lists_the_overdue_assignments_earliest_first(campaign, office, as_user):
    from indicators.models import Assignment

    # The fixture's due dates (March, June, September 2026) have passed: nothing is submitted.
    expected = list(
        Assignment.objects.filter(campaign=campaign)
        .with_status()
        .filter(overdue=True)
        .order_by("due_date", "indicator__sort_key", "pk")
        .values_list("pk", flat=True)
    )
    assert len(expected) >= 3
    shown = as_user(office).get("/dashboard/").context["overdue"]
    assert [a.pk for a in shown] == expected[:15]
    assert all(a.status == "not_submitted" for a in shown)
