import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from luhsan_portal.testing import CSV_UNITS
from units.importers import units_import
from units.models import County, Unit
from units.selectors import UnitResolver

pytestmark = pytest.mark.django_db


@pytest.fixture
def empty_county():
    return County.objects.create(name="鲁山县")


def test_roster_import_creates_units_with_kind_and_aliases(empty_county):
    result = units_import(data=CSV_UNITS.encode(), county=empty_county)
    assert result.ok
    assert result.created == 4
    justice = Unit.objects.get(name="鲁山县司法局")
    assert justice.kind.code == "county_department"
    assert justice.alias_list == ["县司法局"]
    assert Unit.objects.get(short_name="琴台街道").kind.code == "street"


def test_roster_reimport_changes_nothing_and_keeps_units_not_in_file(empty_county):
    units_import(data=CSV_UNITS.encode(), county=empty_county)
    from units.models import UnitKind

    Unit.objects.create(county=empty_county, name="鲁山县信访局", short_name="信访局", kind=UnitKind.objects.first())
    again = units_import(data=CSV_UNITS.encode(), county=empty_county)
    assert (again.created, again.updated, again.unchanged, again.kept) == (0, 0, 4, 1)


@pytest.mark.parametrize(
    ("csv", "message"),
    [
        ("单位名称,简称,类型\n鲁山县司法局,司法局,县直\n鲁山县司法局,司法局,县直单位\n", "与第2行重复"),
        ("单位名称,简称,类型\n鲁山县司法局,司法局,部门\n", "类型“部门”无效"),
        ("单位名称,简称,类型\n鲁山县司法局,司法局,县直单位\n鲁山县财政局,司法局,县直单位\n", "已被第2行"),
        ("单位名称,简称,类型,排序\n鲁山县司法局,司法局,县直单位,第一\n", "排序“第一”不是整数"),
        ("简称,类型\n司法局,县直单位\n", "找不到表头"),
    ],
)
def test_bad_rosters_write_nothing(empty_county, csv, message):
    result = units_import(data=csv.encode(), county=empty_county)
    assert not result.ok
    assert any(message in str(e) for e in result.errors), [str(e) for e in result.errors]
    assert Unit.objects.count() == 0


def test_resolver_understands_full_short_alias_and_county_prefix(county):
    resolver = UnitResolver(county)
    for written in ["鲁山县司法局", "司法局", "县司法局", "鲁山司法局", " 司法局 ", "司法局、"]:
        assert resolver.resolve(written).name == "鲁山县司法局", written
    assert resolver.resolve("县政府办").short_name == "县政府办"
    assert resolver.resolve("琴台办事处").short_name == "琴台街道"
    assert resolver.resolve("公安局") is None


def test_resolver_suggests_the_closest_names(county):
    message = UnitResolver(county).unknown_message("县司法所")
    assert "找不到单位“县司法所”" in message
    assert "鲁山县司法局" in message


def test_import_units_command_dry_run_and_errors(tmp_path, capsys, empty_county):
    good = tmp_path / "units.csv"
    good.write_text(CSV_UNITS, encoding="utf-8")
    call_command("import_units", str(good), "--dry-run")
    assert Unit.objects.count() == 0
    call_command("import_units", str(good))
    assert Unit.objects.count() == 4
    bad = tmp_path / "bad.csv"
    bad.write_text("单位名称,简称,类型\n鲁山县公安局,公安局,警察\n", encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("import_units", str(bad))
    assert "第2行" in capsys.readouterr().err
    assert Unit.objects.count() == 4
