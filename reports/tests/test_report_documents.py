"""生成报告: the office downloads the progress report and the annual report draft; every figure in
them is the one the progress API gives."""

import io

import pytest
from django.utils import timezone
from docx import Document

from evidence.services import evidence_approve, evidence_return
from luhsan_portal.models import AuditEvent
from reports.documents import ANNUAL_SECTIONS
from reports.selectors import report_figures

pytestmark = pytest.mark.django_db


@pytest.fixture
def activity(campaign, submit, office):
    """Indicator 1 and 3 complete for 司法局's part, one returned submission."""
    for code in ("1", "3"):
        evidence_approve(evidence=submit(codes=(code,)), actor=office)
    evidence_return(evidence=submit(codes=("2",)), actor=office, reason="缺少正式文件")


def _pct(value: float) -> str:
    return f"{value * 100:.1f}".removesuffix(".0") + "%"


def _text(content: bytes) -> str:
    document = Document(io.BytesIO(content))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def test_progress_report_figures_match_the_api(campaign, activity, office, as_user):
    client = as_user(office)
    api = client.get(f"/api/v1/campaigns/{campaign.pk}/progress/").json()
    today = timezone.localdate()
    response = client.post("/reports/documents/", {"kind": "progress", "as_of": today.isoformat()})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.wordprocessingml")
    text = _text(response.content)
    assert f"共分解任务{api['assignments_total']}项，已完成{api['assignments_approved']}项" in text
    assert f"三级指标已完成{api['indicators_complete']}项" in text
    assert f"工作进度为{_pct(api['work_ratio'])}，时间进度为{_pct(api['time_ratio'])}" in text
    verdict = "实现“双过半”目标" if api["double_half"] else "未实现“双过半”目标"
    assert verdict in text
    for area in api["areas"]:
        assert f"{area['code']}{area['title']}" in text
    # The office writes the next steps itself: headed blanks.
    assert "五、下一步工作" in text and text.count("（请填写）") == 4
    assert AuditEvent.objects.filter(verb="report.generate").count() == 1


def test_annual_report_has_the_five_required_sections_in_order(campaign, activity, office, as_user):
    response = as_user(office).post("/reports/documents/", {"kind": "annual", "as_of": "2026-11-20", "year": 2026})
    document = Document(io.BytesIO(response.content))
    headings = [p.text for p in document.paragraphs if p.text in ANNUAL_SECTIONS]
    assert headings == list(ANNUAL_SECTIONS)
    text = _text(response.content)
    assert "2026年法治政府建设情况的报告" in text
    assert "【请补充：" in text
    figures = report_figures(campaign, today=timezone.localdate(), year=2026)
    assert figures.evidence_returned == 1 and figures.evidence_approved == 2
    assert f"退回补正{figures.evidence_returned}份" in text or f"退回{figures.evidence_returned}份" in text


def test_a_past_date_reports_that_days_figures(campaign, submit, office, as_user):
    evidence_approve(evidence=submit(codes=("3",)), actor=office)
    before = report_figures(campaign, today=campaign.start_date)
    now = report_figures(campaign)
    assert before.assignments_done == 0
    assert now.assignments_done == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "progress", "as_of": "2099-01-01"}, "不能生成未来日期的报告"),
        ({"kind": "progress", "as_of": "2025-06-01"}, "这一天创建活动还没有开始"),
        ({"kind": "progress", "as_of": "不是日期"}, "输入一个有效的日期"),
        ({"kind": "weekly", "as_of": "2026-11-01"}, "选择一个有效的选项"),
    ],
)
def test_bad_input_gets_a_chinese_message(campaign, office, as_user, data, message):
    response = as_user(office).post("/reports/documents/", data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not AuditEvent.objects.filter(verb="report.generate").exists()


def test_reports_are_for_the_office_and_county_leaders(campaign, personas, as_user):
    assert as_user(personas["leader"]).get("/reports/documents/").status_code == 200
    assert as_user(personas["admin"]).get("/reports/documents/").status_code == 200
    for persona in ("liaison", "other_liaison", "supervisor"):
        assert as_user(personas[persona]).get("/reports/documents/").status_code == 403
