"""The office downloads a unit's feedback list (and all of them at once); figures match the data."""

import io
import zipfile

import pytest
from docx import Document
from openpyxl import load_workbook

from evidence.services import evidence_approve, evidence_return
from luhsan_portal.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_a_units_list_has_its_open_assignments_returned_first(campaign, office, as_user, submit):
    approved = submit(codes=("3",))
    evidence_approve(evidence=approved, actor=office)
    returned = submit(codes=("2",))
    evidence_return(evidence=returned, actor=office, reason="缺少正式印发文件")
    unit = campaign.county.units.get(short_name="司法局")
    response = as_user(office).get(f"/feedback/{unit.pk}.docx")
    assert response.status_code == 200
    assert "filename*=utf-8''" in response["Content-Disposition"]
    document = Document(io.BytesIO(response.content))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "鲁山县司法局" in text
    assert "共 3 项未完成" in text
    table = document.tables[0]
    codes = [row.cells[2].text for row in table.rows[1:]]
    assert codes[0] == "2"  # the returned one first
    assert "3" not in codes  # approved: not on the list
    assert "缺少正式印发文件" in table.rows[1].cells[7].text
    assert AuditEvent.objects.filter(verb="feedback.export").count() == 1


def test_excel_list_matches(campaign, office, as_user):
    unit = campaign.county.units.get(short_name="琴台街道")
    sheet = load_workbook(io.BytesIO(as_user(office).get(f"/feedback/{unit.pk}.xlsx").content)).active
    values = [row for row in sheet.iter_rows(min_row=5, values_only=True) if row[0]]
    assert [v[2] for v in values] == ["1", "4"]


def test_all_units_in_one_zip(campaign, office, as_user):
    response = as_user(office).get("/feedback/all.docx.zip")
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert len(names) == 4
    assert any("鲁山县司法局" in n for n in names)


@pytest.mark.parametrize("persona", ["liaison", "leader", "supervisor"])
def test_feedback_lists_are_for_the_office(campaign, personas, as_user, persona):
    unit = campaign.county.units.get(short_name="司法局")
    assert as_user(personas[persona]).get(f"/feedback/{unit.pk}.docx").status_code == 403
    assert as_user(personas[persona]).get("/feedback/").status_code == 403
