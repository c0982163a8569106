"""The evidence API of DESIGN.md §5.2: create (multipart), list/filter, approve, return, withdraw, download."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from evidence.models import Evidence
from luhsan_portal.models import AuditEvent

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def create(client, assignments, files=(), **fields):
    data = {"assignments": [a.pk for a in assignments], "title": "权责清单调整文件", "unclassified": "true", **fields}
    if files:
        data["files"] = list(files)
    return client.post("/api/v1/evidence/", data, format="multipart")


def test_create_with_several_files_and_links(campaign, liaison, justice_assignments, pdf_bytes, png_bytes):
    links = [{"url": "https://www.hnls.gov.cn/a.html", "site": "鲁山县人民政府网", "published_on": "2024-01-12"}]
    response = create(
        api(liaison),
        [justice_assignments["1"], justice_assignments["3"]],
        files=[SimpleUploadedFile("清单.pdf", pdf_bytes), SimpleUploadedFile("照片.png", png_bytes)],
        links=json.dumps(links, ensure_ascii=False),
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) >= {
        "id",
        "unit",
        "assignments",
        "title",
        "status",
        "previous",
        "files",
        "links",
        "created_by",
        "created_at",
    }
    assert body["status"] == "pending"
    assert body["previous"] is None
    assert body["assignments"] == sorted([justice_assignments["1"].pk, justice_assignments["3"].pk])
    assert [(f["name"], f["size"]) for f in body["files"]] == [
        ("清单.pdf", len(pdf_bytes)),
        ("照片.png", len(png_bytes)),
    ]
    assert len(body["files"][0]["sha256"]) == 64
    assert body["links"][0]["url"] == "https://www.hnls.gov.cn/a.html"
    assert body["links"][0]["check_status"] == "unchecked"
    assert body["links"][0]["published_on"] == "2024-01-12"
    assert body["created_by"] == liaison.pk


def test_create_with_json_body_and_a_statement(campaign, liaison, justice_assignments):
    response = api(liaison).post(
        "/api/v1/evidence/",
        {"assignments": [justice_assignments["1"].pk], "title": "说明", "unclassified": True, "statement": "已完成"},
        format="json",
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"unclassified": "false"}, "unclassified", "不涉密"),
        ({"links": "not json"}, "links", "JSON"),
        ({"links": '[{"url": "javascript:alert(1)"}]'}, "links", "不是有效的网址"),
        ({"title": ""}, "title", ""),
    ],
)
def test_create_errors_are_json_in_chinese(campaign, liaison, justice_assignments, pdf_bytes, fields, field, message):
    response = create(
        api(liaison), [justice_assignments["1"]], files=[SimpleUploadedFile("a.pdf", pdf_bytes)], **fields
    )
    assert response.status_code == 400
    body = response.json()
    assert "detail" in body
    assert field in body["errors"]
    assert message in json.dumps(body["errors"], ensure_ascii=False)
    assert not Evidence.objects.exists()


def test_create_refuses_a_renamed_executable(campaign, liaison, justice_assignments, exe_bytes):
    response = create(api(liaison), [justice_assignments["1"]], files=[SimpleUploadedFile("报告.pdf", exe_bytes)])
    assert response.status_code == 400
    assert "可执行" in json.dumps(response.json(), ensure_ascii=False)


def test_another_units_assignment_is_not_accepted(campaign, other_liaison, justice_assignments, pdf_bytes):
    response = create(api(other_liaison), [justice_assignments["1"]], files=[SimpleUploadedFile("a.pdf", pdf_bytes)])
    assert response.status_code == 400
    assert "assignments" in response.json()["errors"]


def test_list_filters_and_scope(campaign, office, liaison, other_liaison, submit, justice_assignments):
    first = submit()
    submit(codes=("3",))
    assert api(office).get("/api/v1/evidence/").json()["count"] == 2
    assert api(liaison).get(f"/api/v1/evidence/?assignment={justice_assignments['1'].pk}").json()["count"] == 1
    assert api(office).get("/api/v1/evidence/?status=approved").json()["count"] == 0
    unit = justice_assignments["1"].unit
    assert api(office).get(f"/api/v1/evidence/?unit={unit.pk}").json()["count"] == 2
    # 财政局 is a co-unit on indicator 1, not its lead: it sees none of 司法局's submissions.
    assert api(other_liaison).get("/api/v1/evidence/").json()["count"] == 0
    assert api(other_liaison).get(f"/api/v1/evidence/{first.pk}/").status_code == 404


def test_approve_return_withdraw_commands(campaign, office, liaison, submit):
    a, b, c = submit(), submit(codes=("3",)), submit(codes=("3",), title="第三份")
    response = api(office).post(f"/api/v1/evidence/{a.pk}/approve/")
    assert (response.status_code, response.json()["status"]) == (200, "approved")
    response = api(office).post(f"/api/v1/evidence/{b.pk}/return/", {}, format="json")
    assert response.status_code == 400
    assert "退回必须填写理由" in json.dumps(response.json(), ensure_ascii=False)
    response = api(office).post(f"/api/v1/evidence/{b.pk}/return/", {"reason": "材料不完整"}, format="json")
    assert response.json()["status"] == "returned"
    response = api(liaison).post(f"/api/v1/evidence/{c.pk}/withdraw/", {"reason": "传错了"}, format="json")
    assert response.json()["status"] == "withdrawn"
    again = api(office).post(f"/api/v1/evidence/{a.pk}/approve/")
    assert again.status_code == 400
    assert "只有待审核的材料" in again.json()["detail"]


def test_a_liaison_cannot_approve_and_gets_404(campaign, liaison, submit):
    evidence = submit()
    assert api(liaison).post(f"/api/v1/evidence/{evidence.pk}/approve/").status_code == 404
    assert Evidence.objects.get(pk=evidence.pk).status == "pending"


def test_resubmission_links_to_the_returned_one(campaign, office, liaison, submit, justice_assignments, pdf_bytes):
    v1 = submit()
    api(office).post(f"/api/v1/evidence/{v1.pk}/return/", {"reason": "不完整"}, format="json")
    response = create(
        api(liaison), [justice_assignments["1"]], files=[SimpleUploadedFile("v2.pdf", pdf_bytes)], previous=v1.pk
    )
    assert response.json()["previous"] == v1.pk
    assert response.json()["revision"] == 2


def test_download_through_the_api_is_logged(campaign, office, submit, pdf_bytes):
    evidence = submit()
    file_id = evidence.files.get().pk
    response = api(office).get(f"/api/v1/evidence/{evidence.pk}/files/{file_id}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == pdf_bytes
    assert "filename*=utf-8''" in response["Content-Disposition"]
    assert AuditEvent.objects.filter(verb="evidence.download").count() == 1


def test_assignment_status_in_the_api_follows_reviews(campaign, office, submit, justice_assignments):
    evidence = submit()
    url = f"/api/v1/assignments/{justice_assignments['1'].pk}/"
    assert api(office).get(url).json()["status"] == "pending"
    api(office).post(f"/api/v1/evidence/{evidence.pk}/approve/")
    assert api(office).get(url).json()["status"] == "approved"
    assert api(office).get("/api/v1/assignments/?status=approved").json()["count"] == 1
