"""Evidence pages: the liaison's submit flow, the office's review, downloads, the permission matrix."""

import datetime as dt
import hashlib
import zlib
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from evidence.models import Evidence, StoredFile
from evidence.services import evidence_return
from luhsan_portal.models import AuditEvent

pytestmark = pytest.mark.django_db


def post_evidence(client, assignment, *, files, **fields):
    data = {
        "token": fields.pop("token", ""),
        "assignments": [assignment.pk],
        "title": "权责清单调整文件",
        "unclassified": "on",
        "files": files,
        **fields,
    }
    return client.post(f"/evidence/new/?assignment={assignment.pk}", data)


def test_liaison_submits_two_files_and_a_link(campaign, liaison, as_user, justice_assignments, pdf_bytes, png_bytes):
    client = as_user(liaison)
    task = justice_assignments["1"]
    page = client.get(f"/evidence/new/?assignment={task.pk}").content.decode()
    assert "我确认所提交材料不涉及国家秘密" in page
    response = post_evidence(
        client,
        task,
        files=[SimpleUploadedFile("清单.pdf", pdf_bytes), SimpleUploadedFile("现场照片.png", png_bytes)],
        link_url=["https://www.hnls.gov.cn/channels/52319.html"],
        link_site=["鲁山县人民政府网"],
        link_published_on=["2024-01-12"],
        period_start="2024-01-01",
        period_end="2024-06-30",
    )
    evidence = Evidence.objects.get()
    assert response["Location"] == f"/evidence/{evidence.pk}/"
    assert [f.name for f in evidence.files.all()] == ["清单.pdf", "现场照片.png"]
    # Hashed while the bytes arrived: the SHA-256 names the blob, the CRC-32 lets exports copy it in the kernel.
    assert [(f.stored.sha256, f.stored.crc32) for f in evidence.files.all()] == [
        (hashlib.sha256(data).hexdigest(), zlib.crc32(data)) for data in (pdf_bytes, png_bytes)
    ]
    assert evidence.links.get().site == "鲁山县人民政府网"
    html = client.get("/my/tasks/").content.decode()
    assert "待审核" in html


def test_form_errors_are_chinese_and_nothing_is_saved(campaign, liaison, as_user, justice_assignments, exe_bytes):
    client = as_user(liaison)
    task = justice_assignments["1"]
    response = client.post(
        f"/evidence/new/?assignment={task.pk}",
        {"assignments": [task.pk], "title": "x", "files": [SimpleUploadedFile("a.pdf", exe_bytes)]},
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "请确认所提交材料不涉及国家秘密" in html
    response = post_evidence(client, task, files=[SimpleUploadedFile("a.pdf", exe_bytes)])
    assert "可执行程序" in response.content.decode()
    assert not Evidence.objects.exists()
    assert not StoredFile.objects.exists()


def test_an_oversize_file_is_dropped_while_uploading_with_a_message(
    campaign, liaison, as_user, justice_assignments, pdf_bytes, settings
):
    settings.EVIDENCE_MAX_FILE_BYTES = len(pdf_bytes) - 1
    response = post_evidence(
        as_user(liaison), justice_assignments["1"], files=[SimpleUploadedFile("大文件.pdf", pdf_bytes)]
    )
    html = response.content.decode()
    assert "“大文件.pdf”超过" in html
    assert not Evidence.objects.exists()
    assert not StoredFile.objects.exists()


def test_double_submit_of_one_form_creates_one_submission(campaign, liaison, as_user, justice_assignments, pdf_bytes):
    client = as_user(liaison)
    task = justice_assignments["1"]
    for _ in range(2):
        response = post_evidence(client, task, files=[SimpleUploadedFile("a.pdf", pdf_bytes)], token="same-token")
    assert Evidence.objects.count() == 1
    assert response.status_code == 302


def test_office_returns_with_a_template_reason_and_the_liaison_resubmits(
    campaign, liaison, office, as_user, justice_assignments, submit, pdf_bytes
):
    v1 = submit()
    office_client = as_user(office)
    detail = office_client.get(f"/evidence/{v1.pk}/").content.decode()
    assert "材料与本指标测评要点不对应" in detail  # a template reason to pick
    office_client.post(f"/evidence/{v1.pk}/return/", {"reason": ""})
    assert Evidence.objects.get(pk=v1.pk).status == "pending"
    office_client.post(f"/evidence/{v1.pk}/return/", {"reason": "缺少正式印发文件"})
    liaison_client = as_user(liaison)
    tasks = liaison_client.get("/my/tasks/").content.decode()
    assert "退回理由：缺少正式印发文件" in tasks
    form = liaison_client.get(f"/evidence/new/?previous={v1.pk}").content.decode()
    assert "缺少正式印发文件" in form
    assert "重新提交（v2）" in form
    response = post_evidence(
        liaison_client, justice_assignments["1"], files=[SimpleUploadedFile("正式.pdf", pdf_bytes)]
    )
    assert response.status_code == 302  # a plain new submission also works
    v2_response = liaison_client.post(
        f"/evidence/new/?previous={v1.pk}",
        {
            "assignments": [justice_assignments["1"].pk],
            "title": "正式版",
            "unclassified": "on",
            "files": [SimpleUploadedFile("正式版.pdf", pdf_bytes)],
        },
    )
    v2 = Evidence.objects.get(previous=v1)
    assert v2_response["Location"] == f"/evidence/{v2.pk}/"
    office_client.post(f"/evidence/{v2.pk}/approve/")
    assert Evidence.objects.get(pk=v2.pk).status == "approved"
    page = liaison_client.get(f"/evidence/{v1.pk}/").content.decode()
    assert "查看新版本 v2" in page


def test_download_keeps_the_chinese_name_and_is_logged(campaign, office, as_user, submit):
    evidence = submit()
    item = evidence.files.get()
    response = as_user(office).get(f"/evidence/{evidence.pk}/files/{item.pk}/")
    assert response.status_code == 200
    assert quote("权责清单.pdf") in response["Content-Disposition"]
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    event = AuditEvent.objects.get(verb="evidence.download")
    assert (event.actor, event.changes["file"][1]) == (office, "权责清单.pdf")


def test_pdf_and_images_preview_inline_other_types_download(campaign, office, as_user, submit, docx_bytes):
    evidence = submit()
    pdf = evidence.files.get()
    client = as_user(office)
    inline = client.get(f"/evidence/{evidence.pk}/files/{pdf.pk}/?inline=1")
    assert inline["Content-Disposition"].startswith("inline")
    assert inline["Content-Type"] == "application/pdf"
    word = submit(files=[SimpleUploadedFile("总结.docx", docx_bytes)], codes=("3",))
    item = word.files.get()
    forced = client.get(f"/evidence/{word.pk}/files/{item.pk}/?inline=1")
    assert forced["Content-Disposition"].startswith("attachment")


def test_review_queue_filters_and_bulk_approves(campaign, office, as_user, submit, justice_assignments):
    a = submit(codes=("1",), title="网络检索材料")
    b = submit(codes=("3",), title="目录公开材料")
    Evidence.objects.filter(pk=b.pk).update(created_at=b.created_at - dt.timedelta(days=10))
    client = as_user(office)
    html = client.get("/review/").content.decode()
    assert "网络检索材料" in html
    assert "目录公开材料" in html
    html = client.get("/review/?age=7").content.decode()
    assert "目录公开材料" in html
    assert "网络检索材料" not in html
    web = client.get("/review/?method=site_check").content.decode()
    assert "网络检索材料" not in web
    client.post("/review/bulk-approve/", {"evidence": [a.pk, b.pk]})
    assert set(Evidence.objects.values_list("status", flat=True)) == {"approved"}
    assert "没有符合条件的材料" in client.get("/review/").content.decode()


@pytest.mark.parametrize("persona", ["liaison", "leader", "supervisor"])
def test_the_review_queue_is_for_the_office(campaign, personas, as_user, persona):
    assert as_user(personas[persona]).get("/review/").status_code == 403


# Matrix: who may see / download / approve / withdraw 司法局's submission on indicator 1,
# where 司法局 leads, 财政局 and 琴台街道 are co-units; and 财政局's submission on indicator 1.
@pytest.mark.parametrize(
    ("persona", "see_own", "see_co", "can_approve", "can_withdraw"),
    [
        ("office", 200, 200, True, False),
        ("liaison", 200, 200, False, True),
        ("other_liaison", 404, 200, False, False),
        ("leader", 200, 200, False, False),
        ("supervisor", 404, 404, False, False),
        ("anonymous", 302, 302, False, False),
    ],
)
def test_evidence_permission_matrix(
    campaign, personas, as_user, submit, pdf_bytes, persona, see_own, see_co, can_approve, can_withdraw
):
    from evidence.services import evidence_submit
    from indicators.models import Assignment

    own, own_too = submit(), submit(codes=("3",))
    finance_task = Assignment.objects.select_related("indicator", "unit").get(
        campaign=campaign, indicator__code="1", unit__short_name="财政局"
    )
    co = evidence_submit(
        unit=finance_task.unit,
        assignments=[finance_task],
        title="财政局配合材料",
        actor=personas["other_liaison"],
        unclassified=True,
        files=[SimpleUploadedFile("配合.pdf", pdf_bytes)],
    )
    client = as_user(personas[persona])
    assert client.get(f"/evidence/{own.pk}/").status_code == see_own
    assert client.get(f"/evidence/{own.pk}/files/{own.files.get().pk}/").status_code == see_own
    # 司法局 leads indicator 1, so its liaison sees what the co-unit 财政局 submitted.
    assert client.get(f"/evidence/{co.pk}/").status_code == see_co
    response = client.post(f"/evidence/{own.pk}/approve/")
    assert (Evidence.objects.get(pk=own.pk).status == "approved") is can_approve
    if not can_approve and persona != "anonymous":
        assert response.status_code == 404
    response = client.post(f"/evidence/{own_too.pk}/withdraw/")
    assert (Evidence.objects.get(pk=own_too.pk).status == "withdrawn") is can_withdraw
    if not can_withdraw and persona != "anonymous":
        assert response.status_code == 404


def test_a_co_unit_liaison_does_not_see_the_lead_units_evidence_elsewhere(campaign, other_liaison, as_user, submit):
    """财政局 is co on indicator 1 but does not lead it: 司法局's evidence on 3 stays hidden."""
    hidden = submit(codes=("3",))
    assert as_user(other_liaison).get(f"/evidence/{hidden.pk}/").status_code == 404


def test_indicator_history_shows_who_did_what(campaign, office, as_user, submit):
    evidence = submit()
    evidence_return(evidence=evidence, actor=office, reason="扫描件不清晰")
    indicator = evidence.assignments.get().indicator
    html = as_user(office).get(f"/indicators/{indicator.pk}/history/").content.decode()
    assert "扫描件不清晰" in html
    assert "提交材料" in html
    assert "退回" in html


def test_lead_liaison_sees_co_unit_submissions_on_its_task_page(
    campaign, liaison, personas, as_user, justice_assignments, pdf_bytes
):
    from evidence.services import evidence_submit
    from indicators.models import Assignment

    finance_task = Assignment.objects.select_related("indicator", "unit").get(
        campaign=campaign, indicator__code="1", unit__short_name="财政局"
    )
    evidence_submit(
        unit=finance_task.unit,
        assignments=[finance_task],
        title="财政局配合材料",
        actor=personas["other_liaison"],
        unclassified=True,
        files=[SimpleUploadedFile("配合.pdf", pdf_bytes)],
    )
    html = as_user(liaison).get(f"/assignments/{justice_assignments['1'].pk}/evidence/").content.decode()
    assert "配合单位提交的材料" in html
    assert "财政局配合材料" in html


def test_broken_links_are_listed_for_the_office_and_the_unit(campaign, office, liaison, as_user, submit):
    evidence = submit(files=[], links=[{"url": "https://www.hnls.gov.cn/gone.html", "site": "县政府网"}])
    evidence.links.update(check_status="broken", check_error="服务器返回 404", status_code=404)
    for user in (office, liaison):
        html = as_user(user).get("/links/").content.decode()
        assert "gone.html" in html
        assert "服务器返回 404" in html
        assert "有 1 个材料链接检测失效" in as_user(user).get("/").content.decode()


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_review_queue_and_task_pages_run_a_fixed_number_of_queries(
    campaign, office, liaison, as_user, submit, pdf_bytes
):
    submit()
    office_client, liaison_client = as_user(office), as_user(liaison)
    small = (
        _count(office_client, "/review/"),
        _count(liaison_client, "/my/tasks/"),
        _count(office_client, "/api/v1/evidence/"),
    )
    for code in ("1", "3", "3", "1"):
        submit(codes=(code,), links=[{"url": "https://www.hnls.gov.cn/a.html"}])
    large = (
        _count(office_client, "/review/"),
        _count(liaison_client, "/my/tasks/"),
        _count(office_client, "/api/v1/evidence/"),
    )
    assert small == large
    assert small == (11, 6, 7)
