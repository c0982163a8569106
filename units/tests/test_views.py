import io

import pytest
from openpyxl import load_workbook

pytestmark = pytest.mark.django_db


def test_unit_list_filters_by_kind_and_sorts(campaign, office, as_user):
    client = as_user(office)
    html = client.get("/units/?kind=street").content.decode()
    assert "琴台街道办事处" in html
    assert "鲁山县财政局" not in html
    html = client.get("/units/?sort=-lead").content.decode()
    # 司法局 and 县政府办 lead two indicators each, 财政局 one.
    assert html.index("鲁山县财政局") > html.index("鲁山县司法局")
    assert client.get("/units/?sort=nonsense&page=abc&page_size=7").status_code == 200


def test_unit_list_search_by_alias(campaign, office, as_user):
    html = as_user(office).get("/units/?q=琴台办事处").content.decode()
    assert "琴台街道办事处" in html
    assert "鲁山县司法局" not in html


def test_unit_list_paginates_with_a_page_size_choice(campaign, office, as_user):
    html = as_user(office).get("/units/?page_size=20").content.decode()
    assert "共 4 条" in html
    assert 'value="50"' in html


def test_unit_roster_export_reimports_cleanly(campaign, office, as_user):
    from units.importers import units_import

    response = as_user(office).get("/units/?export=xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [c.value for c in sheet[1]][:5] == ["单位名称", "简称", "类型", "排序", "别名"]
    result = units_import(data=response.content, county=campaign.county, dry_run=True)
    assert result.ok
    assert (result.created, result.updated) == (0, 0)


def test_unit_detail_shows_contacts_and_assignments(campaign, office, as_user):
    from units.models import UnitContact

    unit = campaign.county.units.get(short_name="司法局")
    UnitContact.objects.create(unit=unit, role="liaison", name="王海燕", phone="0375-5000002")
    html = as_user(office).get(f"/units/{unit.pk}/").content.decode()
    assert "王海燕" in html
    assert "0375-5000002" in html
    assert "权责清单动态调整并公开" in html
    assert "设为不适用" in html


@pytest.mark.parametrize(
    ("persona", "own", "other"),
    [
        ("office", 200, 200),
        ("leader", 200, 200),
        ("liaison", 200, 404),
        ("other_liaison", 404, 200),
        ("supervisor", 404, 404),
    ],
)
def test_unit_page_permission_matrix(campaign, personas, as_user, persona, own, other):
    justice = campaign.county.units.get(short_name="司法局")
    finance = campaign.county.units.get(short_name="财政局")
    client = as_user(personas[persona])
    assert client.get(f"/units/{justice.pk}/").status_code == own
    assert client.get(f"/units/{finance.pk}/").status_code == other


def test_liaison_sees_no_waive_button(campaign, liaison, as_user):
    unit = campaign.county.units.get(short_name="司法局")
    assert "设为不适用" not in as_user(liaison).get(f"/units/{unit.pk}/").content.decode()
