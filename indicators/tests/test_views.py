"""Indicator tree, detail, responsibility matrix, unit tasks, waivers and the import flow."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from indicators.models import Assignment, ImportJob, Indicator
from luhsan_portal.models import AuditEvent
from luhsan_portal.testing import CSV_ASSIGNMENTS

pytestmark = pytest.mark.django_db


def test_tree_shows_areas_items_indicators_bonus_and_leads(campaign, office, as_user):
    html = as_user(office).get("/indicators/").content.decode()
    for text in [
        "一、政府职能依法全面履行",
        "1. 权责清单管理",
        "权责清单动态调整并公开",
        "附加指标",
        "法治建设获国家级表彰",
    ]:
        assert text in html
    assert "牵头：司法局" in html
    assert "网络检索" in html


def test_indicator_detail_shows_everything_about_it(campaign, office, as_user):
    indicator = Indicator.objects.get(framework=campaign.framework, code="1", level="3")
    html = as_user(office).get(f"/indicators/{indicator.pk}/").content.decode()
    for text in [
        "清单在门户网站公开",
        "例如：调整后同步更新",
        "公开网址",
        "鲁山县司法局",
        "鲁山县财政局",
        "2026-03-31",
    ]:
        assert text in html


def test_level_two_detail_lists_children_instead_of_units(campaign, office, as_user):
    item = Indicator.objects.get(framework=campaign.framework, code="1.", level="2")
    html = as_user(office).get(f"/indicators/{item.pk}/").content.decode()
    assert "下级指标" in html
    assert "权责清单动态调整并公开" in html


def test_liaison_sees_only_its_own_unit_on_an_indicator(campaign, liaison, as_user):
    indicator = Indicator.objects.get(framework=campaign.framework, code="1", level="3")
    html = as_user(liaison).get(f"/indicators/{indicator.pk}/").content.decode()
    assert "鲁山县司法局" in html
    assert "鲁山县财政局" not in html


def test_matrix_lists_every_assessable_indicator_and_filters(campaign, office, as_user):
    client = as_user(office)
    html = client.get("/assignments/").content.decode()
    assert "5 项指标" in html
    finance = campaign.county.units.get(short_name="财政局")
    html = client.get(f"/assignments/?unit={finance.pk}&role=lead").content.decode()
    assert "1 项指标" in html
    assert client.get("/assignments/?unit=abc").status_code == 200


def test_matrix_for_a_liaison_only_has_its_lines(campaign, liaison, as_user):
    html = as_user(liaison).get("/assignments/").content.decode()
    assert "4 项指标" in html
    assert "法治建设获国家级表彰" not in html


def test_matrix_export_round_trips_through_the_importer(campaign, office, as_user):
    import io

    from openpyxl import load_workbook

    from indicators.importing.assignments import assignments_import

    response = as_user(office).get("/assignments/?export=xlsx")
    assert response["Content-Disposition"].startswith("attachment; filename*=utf-8''")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [c.value for c in sheet[1]] == ["指标编号", "指标名称", "牵头单位", "配合单位", "完成时限"]
    result = assignments_import(data=response.content, campaign=campaign, dry_run=True)
    assert result.ok, [str(e) for e in result.errors]
    assert (result.created, result.updated, result.unchanged) == (0, 0, 10)


def test_indicator_export_round_trips(campaign, office, as_user):
    from indicators.importing.framework import framework_import

    response = as_user(office).get(f"/indicators/?framework={campaign.framework_id}&export=xlsx")
    result = framework_import(data=response.content, framework_name=campaign.framework.name, dry_run=True)
    assert result.ok, [str(e) for e in result.errors]
    assert (result.created, result.updated, result.unchanged) == (0, 0, 9)


def test_my_tasks_groups_by_area_for_the_liaison(campaign, liaison, as_user):
    html = as_user(liaison).get("/my/tasks/").content.decode()
    assert "鲁山县司法局" in html
    assert html.index("一、政府职能依法全面履行") < html.index("二、行政决策科学民主依法")
    assert "重大行政决策目录公开" in html
    assert "法治建设获国家级表彰" not in html


def test_my_tasks_is_404_for_users_without_a_unit(campaign, office, as_user):
    assert as_user(office).get("/my/tasks/").status_code == 404


def test_office_waives_with_a_reason_and_it_is_audited(campaign, office, as_user):
    assignment = Assignment.objects.get(campaign=campaign, indicator__code="4", unit__short_name="琴台街道")
    client = as_user(office)
    response = client.post(f"/assignments/{assignment.pk}/waive/", {"reason": ""})
    assert response.status_code == 302
    assignment.refresh_from_db()
    assert assignment.waived_at is None
    client.post(f"/assignments/{assignment.pk}/waive/", {"reason": "本街道无此项职能"})
    assignment = Assignment.objects.with_status().get(pk=assignment.pk)
    assert assignment.status == "waived"
    assert assignment.waived_by == office
    event = AuditEvent.objects.get(verb="assignment.waive")
    assert event.reason == "本街道无此项职能"
    assert event.changes == {"status": ["—", "不适用"]}
    html = client.get(f"/units/{assignment.unit_id}/").content.decode()
    assert "本街道无此项职能" in html
    client.post(f"/assignments/{assignment.pk}/unwaive/", {})
    assert Assignment.objects.with_status().get(pk=assignment.pk).status == "not_submitted"


@pytest.mark.parametrize("persona", ["liaison", "leader", "supervisor"])
def test_only_the_office_can_waive(campaign, personas, as_user, persona):
    assignment = Assignment.objects.get(campaign=campaign, indicator__code="1", unit__short_name="司法局")
    response = as_user(personas[persona]).post(f"/assignments/{assignment.pk}/waive/", {"reason": "x"})
    assert response.status_code == 404
    assert Assignment.objects.get(pk=assignment.pk).waived_at is None


def _upload(client, kind, content, name="清单.csv", **extra):
    data = {"kind": kind, "file": SimpleUploadedFile(name, content), **extra}
    return client.post("/imports/", data)


def test_import_preview_then_confirm_then_double_click(campaign, office, as_user):
    client = as_user(office)
    Assignment.objects.filter(campaign=campaign).delete()
    response = _upload(client, "assignments", CSV_ASSIGNMENTS.encode(), campaign=campaign.pk)
    job = ImportJob.objects.get()
    assert response["Location"] == f"/imports/{job.pk}/"
    html = client.get(f"/imports/{job.pk}/").content.decode()
    assert "新增 10 条" in html
    assert "预览，尚未写入" in html
    assert not Assignment.objects.filter(campaign=campaign).exists()
    client.post(f"/imports/{job.pk}/", {"action": "apply"})
    assert Assignment.objects.filter(campaign=campaign).count() == 10
    again = client.post(f"/imports/{job.pk}/", {"action": "apply"}, follow=True).content.decode()
    assert "该导入已执行或已取消" in again
    assert Assignment.objects.filter(campaign=campaign).count() == 10


def test_import_with_errors_shows_rows_and_cannot_be_confirmed(campaign, office, as_user):
    client = as_user(office)
    _upload(client, "assignments", "指标编号,牵头单位\n1,县司法所\n".encode(), campaign=campaign.pk)
    job = ImportJob.objects.get()
    assert job.status == "invalid"
    html = client.get(f"/imports/{job.pk}/").content.decode()
    assert "您是不是要找：鲁山县司法局" in html
    client.post(f"/imports/{job.pk}/", {"action": "apply"})
    assert ImportJob.objects.get().status == "invalid"


def test_import_form_requires_what_each_kind_needs(campaign, office, as_user):
    client = as_user(office)
    html = _upload(client, "framework", b"x", name="a.csv").content.decode()
    assert "必须填写指标体系名称" in html
    html = _upload(client, "assignments", b"x").content.decode()
    assert "必须选择创建活动" in html
    html = client.post("/imports/", {"kind": "units", "file": SimpleUploadedFile("a.csv", b"")}).content.decode()
    assert "空" in html
    assert not ImportJob.objects.exists()


def test_import_of_an_exe_is_refused_in_chinese(campaign, office, as_user):
    client = as_user(office)
    _upload(client, "units", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00", name="roster.xlsx")
    job = ImportJob.objects.get()
    assert "无法识别的文件类型" in client.get(f"/imports/{job.pk}/").content.decode()


@pytest.mark.parametrize("persona", ["liaison", "leader", "supervisor"])
def test_import_page_is_for_the_office_only(campaign, personas, as_user, persona):
    assert as_user(personas[persona]).get("/imports/").status_code == 403


def test_stale_preview_changes_nothing(campaign, office, as_user):
    """A unit removed after the preview makes the confirmation fail with the reason."""
    from units.models import Unit

    client = as_user(office)
    Assignment.objects.filter(campaign=campaign).delete()
    _upload(client, "assignments", "指标编号,牵头单位\n1,琴台街道\n".encode(), campaign=campaign.pk)
    job = ImportJob.objects.get()
    Unit.objects.filter(short_name="琴台街道").update(short_name="琴台", aliases="", name="琴台街道（已更名）")
    html = client.post(f"/imports/{job.pk}/", {"action": "apply"}, follow=True).content.decode()
    assert "数据在预览之后发生了变化" in html
    assert not Assignment.objects.filter(campaign=campaign).exists()
    assert ImportJob.objects.get().status == "previewed"
