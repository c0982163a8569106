"""Supervision pages and API: the office's rounds and board, the supervisor's visit and finding,
the unit's response, the permission matrix and fixed query counts."""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from docx import Document
from rest_framework.test import APIClient

from conftest import make_user, unit_named
from supervision.models import Finding, Rectification, SupervisionRound, Visit

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_office_creates_a_round_and_a_group_by_kind(campaign, office, supervisor, as_user, county):
    client = as_user(office)
    response = client.post(
        "/supervision/rounds/",
        {"title": "第二轮督导", "start_date": "2026-12-01", "end_date": "2026-12-10", "bodies": "县政府办、县委政法委"},
    )
    round_ = SupervisionRound.objects.get(title="第二轮督导")
    assert response["Location"] == f"/supervision/rounds/{round_.pk}/"
    client.post(
        f"/supervision/rounds/{round_.pk}/groups/new/",
        {
            "name": "第一督导组",
            "leader": supervisor.pk,
            "kinds": ["street"],
            "units": [unit_named(county, "司法局").pk],
        },
    )
    group = round_.groups.get()
    assert sorted(u.short_name for u in group.units.all()) == ["司法局", "琴台街道"]
    html = client.get(f"/supervision/rounds/{round_.pk}/").content.decode()
    assert "0 / 2" in html


def test_round_dates_in_the_wrong_order_are_refused(campaign, office, as_user):
    html = (
        as_user(office)
        .post("/supervision/rounds/", {"title": "x", "start_date": "2026-12-10", "end_date": "2026-12-01"})
        .content.decode()
    )
    assert "开始日期不能晚于结束日期" in html
    assert not SupervisionRound.objects.exists()


def test_supervisor_records_a_visit_and_a_finding(round_, supervisor, as_user, county, png_bytes, submit):
    evidence = submit()
    group = round_.groups.get()
    justice = unit_named(county, "司法局")
    client = as_user(supervisor)
    assert "鲁山县司法局" in client.get("/supervision/").content.decode()
    response = client.post(
        f"/supervision/visits/new/?group={group.pk}&unit={justice.pk}",
        {
            "date": timezone.localdate().isoformat(),
            "person_name": ["王海燕", "李主任"],
            "person_post": ["联络员", "副局长"],
            "materials_checked": "创建台账",
            "evidence": [evidence.pk],
            "places_inspected": "办事大厅",
            "photos": [SimpleUploadedFile("现场.png", png_bytes)],
        },
    )
    visit = Visit.objects.get()
    assert response["Location"] == f"/supervision/visits/{visit.pk}/"
    assert visit.interviewed == [{"name": "王海燕", "post": "联络员"}, {"name": "李主任", "post": "副局长"}]
    assert list(visit.evidence_checked.all()) == [evidence]
    deadline = (timezone.localdate() + dt.timedelta(days=7)).isoformat()
    client.post(
        f"/supervision/visits/{visit.pk}/",
        {
            "description": "公示栏未更新",
            "category": "venues",
            "severity": "minor",
            "requirement": "一周内更新",
            "deadline": deadline,
        },
    )
    finding = Finding.objects.get()
    assert (finding.visit, finding.rectification.status) == (visit, "open")
    photo = visit.photos.get()
    assert client.get(f"/supervision/visits/{visit.pk}/photos/{photo.pk}/").status_code == 200


def test_liaison_responds_with_a_file_and_the_supervisor_closes(order, liaison, supervisor, as_user, pdf_bytes):
    unit_client = as_user(liaison)
    page = unit_client.get("/supervision/rectifications/").content.decode()
    assert "一周内更新执法公示栏并上传照片" in page
    unit_client.post(f"/supervision/rectifications/{order.pk}/acknowledge/")
    assert Rectification.objects.get(pk=order.pk).status == "in_progress"
    unit_client.post(
        f"/supervision/rectifications/{order.pk}/respond/",
        {"description": "已更新公示栏", "files": [SimpleUploadedFile("整改报告.pdf", pdf_bytes)]},
    )
    order.refresh_from_db()
    assert order.status == "awaiting_check"
    assert order.files.get().name == "整改报告.pdf"
    as_user(supervisor).post(f"/supervision/rectifications/{order.pk}/close/")
    assert Rectification.objects.get(pk=order.pk).status == "closed"


def test_an_illegal_step_in_the_browser_is_a_chinese_message(order, supervisor, as_user):
    html = as_user(supervisor).post(f"/supervision/rectifications/{order.pk}/close/", follow=True).content.decode()
    assert "不能销号" in html
    assert Rectification.objects.get(pk=order.pk).status == "open"


def test_extension_request_and_decision_through_the_pages(order, liaison, office, as_user):
    later = (order.deadline + dt.timedelta(days=14)).isoformat()
    as_user(liaison).post(f"/supervision/rectifications/{order.pk}/extend/", {"deadline": later, "reason": "需要施工"})
    as_user(office).post(f"/supervision/rectifications/{order.pk}/decide/", {"approve": "true", "reason": "同意"})
    order.refresh_from_db()
    assert order.deadline.isoformat() == later
    assert "已延期" in as_user(liaison).get(f"/supervision/rectifications/{order.pk}/").content.decode()


def test_round_report_is_a_word_document_with_the_round(round_, order, office, as_user):
    response = as_user(office).get(f"/supervision/rounds/{round_.pk}/report.docx")
    document = Document(io.BytesIO(response.content))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "关于2026年第一轮督导情况的通报" in text
    assert "本轮共发现问题1个" in text
    assert "鲁山县司法局" in text


# Matrix: 司法局's order (round_ has one group led by `supervisor`, visiting 司法局 and 琴台街道).
@pytest.mark.parametrize(
    ("persona", "see", "close"),
    [
        ("office", 200, 200),
        ("supervisor", 200, 200),
        ("liaison", 200, 403),
        ("other_liaison", 404, 404),
        ("leader", 200, 403),
    ],
)
def test_rectification_permission_matrix(order, personas, persona, see, close, as_user):
    from supervision.services import rectification_respond

    rectification_respond(rectification=order, actor=personas["liaison"], description="已整改")
    client = api(personas[persona])
    assert client.get(f"/api/v1/rectifications/{order.pk}/").status_code == see
    assert as_user(personas[persona]).get(f"/supervision/rectifications/{order.pk}/").status_code == see
    assert client.post(f"/api/v1/rectifications/{order.pk}/close/").status_code == close


def test_a_supervisor_of_another_round_sees_nothing(order, county):
    outsider = make_user("outsider", "supervisor", county=county)
    assert api(outsider).get("/api/v1/rectifications/").json()["count"] == 0
    assert api(outsider).get(f"/api/v1/rectifications/{order.pk}/").status_code == 404
    assert api(outsider).get("/api/v1/rounds/").json()["count"] == 0


def test_api_fields_filters_and_commands(round_, order, liaison, supervisor, office):
    rounds = api(office).get(f"/api/v1/rounds/?campaign={round_.campaign_id}").json()["results"]
    assert {"id", "campaign", "title", "start_date", "end_date"} <= set(rounds[0])
    findings = api(office).get(f"/api/v1/findings/?round={round_.pk}").json()["results"]
    assert {"id", "round", "unit", "indicators", "description"} <= set(findings[0])
    rows = api(liaison).get(f"/api/v1/rectifications/?round={round_.pk}&status=open").json()["results"]
    assert {"id", "finding", "unit", "requirement", "deadline", "status", "overdue"} <= set(rows[0])
    assert (rows[0]["status"], rows[0]["overdue"]) == ("open", False)
    response = api(liaison).post(
        f"/api/v1/rectifications/{order.pk}/respond/", {"description": "已整改"}, format="json"
    )
    assert (response.status_code, response.json()["status"]) == (200, "awaiting_check")
    response = api(supervisor).post(f"/api/v1/rectifications/{order.pk}/reject/", {}, format="json")
    assert response.status_code == 400
    response = api(supervisor).post(f"/api/v1/rectifications/{order.pk}/reject/", {"reason": "照片不清"}, format="json")
    assert response.json()["status"] == "in_progress"
    later = (order.deadline + dt.timedelta(days=5)).isoformat()
    api(liaison).post(
        f"/api/v1/rectifications/{order.pk}/extend/", {"deadline": later, "reason": "施工"}, format="json"
    )
    response = api(supervisor).post(
        f"/api/v1/rectifications/{order.pk}/extension/decide/", {"approve": True, "reason": "同意"}, format="json"
    )
    assert response.json()["deadline"] == later
    wrong = api(supervisor).post(f"/api/v1/rectifications/{order.pk}/close/")
    assert wrong.status_code == 400
    assert "不能销号" in wrong.json()["detail"]
    for resource in ("groups", "visits"):
        assert api(office).get(f"/api/v1/{resource}/").status_code == 200


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200, url
    return len(ctx.captured_queries)


def test_board_and_visit_pages_run_a_fixed_number_of_queries(round_, order, office, supervisor, as_user, county):
    from supervision.services import finding_record, visit_record

    group = round_.groups.get()
    visit = visit_record(group=group, unit=unit_named(county, "司法局"), date=timezone.localdate(), actor=supervisor)
    finding_record(
        round_=round_,
        unit=unit_named(county, "司法局"),
        visit=visit,
        description="首个问题",
        requirement="整改",
        deadline=timezone.localdate() + dt.timedelta(days=3),
        actor=supervisor,
    )
    pages = [
        (as_user(office), f"/supervision/rounds/{round_.pk}/"),
        (as_user(supervisor), "/supervision/"),
        (as_user(supervisor), f"/supervision/visits/{visit.pk}/"),
        (as_user(office), "/supervision/rectifications/"),
    ]
    small = [_count(c, u) for c, u in pages]
    for n in range(3):
        finding_record(
            round_=round_,
            unit=unit_named(county, "琴台街道"),
            visit=visit,
            description=f"问题{n}",
            requirement="整改",
            deadline=timezone.localdate() + dt.timedelta(days=3),
            actor=supervisor,
        )
        visit_record(group=group, unit=unit_named(county, "琴台街道"), date=timezone.localdate(), actor=supervisor)
    large = [_count(c, u) for c, u in pages]
    assert small == large
    assert small == [8, 6, 10, 5]
