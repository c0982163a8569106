"""The read-only API of DESIGN.md §5.2: fields, filters, pagination, scope, token login."""

import pytest
from rest_framework.test import APIClient

from indicators.models import Assignment, Indicator

pytestmark = pytest.mark.django_db


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def test_token_login_returns_a_token_that_works(campaign, office):
    client = APIClient()
    response = client.post("/api/v1/auth/token/", {"username": "office", "password": "pw-123456"}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/campaigns/").status_code == 200


def test_token_login_with_a_wrong_password_answers_in_chinese(campaign, office):
    response = APIClient().post("/api/v1/auth/token/", {"username": "office", "password": "x"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert "提交的数据有误" in body["detail"]


def test_unauthenticated_requests_are_refused_in_chinese(campaign):
    response = APIClient().get("/api/v1/assignments/")
    assert response.status_code == 401
    assert "身份认证信息未提供" in response.json()["detail"]


def test_campaign_fields(campaign, office):
    row = api(office).get("/api/v1/campaigns/").json()["results"][0]
    assert {"id", "name", "framework", "start_date", "target_date"} <= set(row)
    assert row["start_date"] == "2026-01-01"
    assert row["framework"] == campaign.framework_id


def test_framework_fields(campaign, liaison):
    rows = api(liaison).get("/api/v1/frameworks/").json()["results"]
    assert rows == [{"id": campaign.framework_id, "name": "测试指标体系", "version": "", "is_sample": False}]


def test_indicator_fields_and_filters(campaign, liaison):
    client = api(liaison)
    body = client.get(f"/api/v1/indicators/?framework={campaign.framework_id}&level=3").json()
    assert body["count"] == 4
    first = body["results"][0]
    assert first["code"] == "1"
    assert first["level"] == "3"
    assert first["evaluation_methods"] == ["材料审查", "网络检索"]
    assert first["points"] == 1.0
    assert isinstance(first["parent"], int)
    assert {"id", "framework", "title"} <= set(first)
    bonus = client.get("/api/v1/indicators/?level=bonus").json()["results"]
    assert [(b["code"], b["parent"], b["points"]) for b in bonus] == [("附1", None, 2.0)]
    area = client.get("/api/v1/indicators/?level=1").json()["results"][0]
    assert area["points"] is None


def test_unit_fields_and_kind_filter(campaign, office):
    client = api(office)
    streets = client.get("/api/v1/units/?kind=street").json()["results"]
    assert [(u["name"], u["short_name"], u["kind"]) for u in streets] == [("琴台街道办事处", "琴台街道", "street")]
    assert client.get("/api/v1/units/?kind=county_department").json()["count"] == 3


def test_assignment_fields_filters_and_statuses(campaign, office):
    client = api(office)
    body = client.get(f"/api/v1/assignments/?campaign={campaign.pk}").json()
    assert body["count"] == 10
    row = body["results"][0]
    assert set(row) >= {"id", "campaign", "indicator", "unit", "role", "due_date", "status", "overdue"}
    assert row["status"] == "not_submitted"
    assert row["role"] in ("lead", "co")
    unit = campaign.county.units.get(short_name="司法局")
    assert client.get(f"/api/v1/assignments/?unit={unit.pk}").json()["count"] == 4
    indicator = Indicator.objects.get(framework=campaign.framework, code="1", level="3")
    assert client.get(f"/api/v1/assignments/?indicator={indicator.pk}").json()["count"] == 3
    assert client.get("/api/v1/assignments/?status=waived").json()["count"] == 0
    assert client.get("/api/v1/assignments/?status=not_submitted").json()["count"] == 10


def test_overdue_follows_the_due_date(campaign, office):
    import datetime as dt

    from django.utils import timezone

    today = timezone.localdate()
    Assignment.objects.filter(campaign=campaign).update(due_date=today + dt.timedelta(days=5))
    late = Assignment.objects.filter(campaign=campaign, indicator__code="1").order_by("pk")
    late.filter(pk=late[0].pk).update(due_date=today - dt.timedelta(days=1))
    Assignment.objects.filter(campaign=campaign, indicator__code="2").update(due_date=None)
    rows = api(office).get("/api/v1/assignments/?overdue=true&page_size=100").json()["results"]
    assert [r["id"] for r in rows] == [late[0].pk]


def test_pagination_and_page_size_cap(campaign, office):
    client = api(office)
    body = client.get("/api/v1/assignments/?page_size=3").json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert len(body["results"]) == 3
    assert body["next"] is not None
    assert len(client.get("/api/v1/assignments/?page_size=5000").json()["results"]) == 10


def test_liaison_lists_only_its_unit_and_gets_404_elsewhere(campaign, liaison):
    client = api(liaison)
    rows = client.get("/api/v1/assignments/?page_size=100").json()["results"]
    own = campaign.county.units.get(short_name="司法局")
    assert {r["unit"] for r in rows} == {own.pk}
    foreign = Assignment.objects.exclude(unit=own).first()
    response = client.get(f"/api/v1/assignments/{foreign.pk}/")
    assert response.status_code == 404
    assert response.json()["detail"]
    other_unit = campaign.county.units.exclude(pk=own.pk).first()
    assert client.get(f"/api/v1/units/{other_unit.pk}/").status_code == 404


def test_api_is_read_only(campaign, office):
    response = api(office).post("/api/v1/units/", {"name": "x"}, format="json")
    assert response.status_code == 405


def test_schema_and_docs_are_served_with_local_assets(campaign, office, as_user):
    client = as_user(office)
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/assignments/" in schema.content
    docs = client.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/" in docs
    assert "cdn" not in docs.lower()
