import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook

from indicators.importing.framework import framework_import
from indicators.models import Framework, Indicator
from luhsan_portal.models import AuditEvent
from luhsan_portal.testing import CSV_FRAMEWORK

pytestmark = pytest.mark.django_db


def _xlsx(rows, *, merge=(), sheets=None) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "指标体系"
    for row in rows:
        ws.append(row)
    for cell_range in merge:
        ws.merge_cells(cell_range)
    for title, extra_rows in (sheets or {}).items():
        extra = wb.create_sheet(title)
        for row in extra_rows:
            extra.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


OFFICIAL = [
    ["市县法治政府建设示范指标体系"],
    ["一级指标", "二级指标", "序号", "三级指标", "测评方式", "分值"],
    [
        "一、政府职能依法全面履行",
        "1.依法全面履行政府职能",
        1,
        "推行权责清单制度并实行动态管理",
        "材料审查、网络检索",
        1,
    ],
    [None, None, 2, "全面实行行政许可事项清单管理", "材料审查", 1.5],
    [None, "2.持续优化法治化营商环境", 3, "落实优化营商环境条例", "实地核查", 1],
    ["二、依法行政制度体系健全完善", "（一）规范性文件管理", 4, "行政规范性文件合法性审核全覆盖", "材料审查", 2],
    [None, None, 5, "规范性文件统一登记统一编号统一发布", "网络检索", 1],
    ["附加指标", None, "附1", "法治政府建设工作获得国家级表彰", "材料审查", 2],
]


def test_long_layout_builds_the_tree_with_codes_methods_and_guidance():
    result = framework_import(data=CSV_FRAMEWORK.encode(), framework_name="测试体系")
    assert result.ok and result.applied
    assert result.created == 9
    framework = Framework.objects.get(name="测试体系")
    nodes = Indicator.objects.filter(framework=framework)
    assert nodes.filter(level="1").count() == 2
    assert nodes.filter(level="2").count() == 2
    assert nodes.filter(level="3").count() == 4
    assert nodes.filter(level="bonus").count() == 1
    first = nodes.get(level="3", code="1")
    assert first.parent.code == "1." and first.area.code == "一、"
    assert [m.name for m in first.evaluation_methods.all()] == ["材料审查", "网络检索"]
    assert first.guidance.startswith("例如")
    assert first.required_evidence == ["调整文件", "公开网址"]
    assert nodes.get(level="bonus").parent is None
    # Level-2 "1." and level-3 "1" coexist in one framework.
    assert nodes.filter(code__in=["1", "1."]).count() == 2
    assert AuditEvent.objects.filter(verb="framework.import").count() == 1


def test_reimporting_the_same_file_changes_nothing():
    framework_import(data=CSV_FRAMEWORK.encode(), framework_name="测试体系")
    before = list(Indicator.objects.values_list("id", "updated_at"))
    again = framework_import(data=CSV_FRAMEWORK.encode(), framework_name="测试体系")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 9)
    assert list(Indicator.objects.values_list("id", "updated_at")) == before


def test_official_layout_with_merged_cells_and_prefixes():
    data = _xlsx(OFFICIAL, merge=["A3:A5", "B3:B4", "A6:A7", "B6:B7"])
    result = framework_import(data=data, framework_name="官方表格")
    assert result.ok, [str(e) for e in result.errors]
    nodes = Indicator.objects.filter(framework__name="官方表格")
    assert list(nodes.filter(level="1").order_by("sort_key").values_list("code", "title")) == [
        ("一、", "政府职能依法全面履行"),
        ("二、", "依法行政制度体系健全完善"),
    ]
    assert list(nodes.filter(level="2").order_by("sort_key").values_list("code", flat=True)) == ["1.", "2.", "（一）"]
    assert nodes.get(level="3", code="2").parent.title == "依法全面履行政府职能"
    assert nodes.get(level="3", code="5").area.code == "二、"
    assert nodes.get(level="bonus").code == "附1"
    assert float(nodes.get(level="3", code="2").points) == 1.5


def test_official_layout_bonus_on_its_own_sheet():
    rows = OFFICIAL[:-1]
    data = _xlsx(
        rows,
        sheets={
            "附加指标": [
                ["一级指标", "二级指标", "序号", "三级指标", "测评方式"],
                [None, None, "1", "获得表彰", "材料审查"],
            ]
        },
    )
    result = framework_import(data=data, framework_name="官方表格")
    assert result.ok, [str(e) for e in result.errors]
    assert Indicator.objects.filter(framework__name="官方表格", level="bonus").count() == 1


def test_dry_run_reports_but_writes_nothing():
    result = framework_import(data=CSV_FRAMEWORK.encode(), framework_name="测试体系", dry_run=True)
    assert result.ok and not result.applied and result.created == 9
    assert not Framework.objects.filter(name="测试体系").exists()


@pytest.mark.parametrize(
    ("csv", "message"),
    [
        ("层级,编号,上级编号,名称\n1,一、,,甲\n2,1.,一、,乙\n3,1,1.,丙\n3,1,1.,丁\n", "与第4行重复"),
        ("层级,编号,上级编号,名称\n1,一、,,甲\n2,1.,一、,乙\n3,1,,丙\n", "缺少上级编号"),
        ("层级,编号,上级编号,名称\n1,一、,,甲\n2,1.,一、,乙\n3,1,9.,丙\n", "上级编号“9.”不是文件中的二级指标"),
        ("层级,编号,上级编号,名称\n4,一、,,甲\n", "层级“4”无效"),
        (
            "层级,编号,上级编号,名称,测评方式\n1,一、,,甲,\n2,1.,一、,乙,\n3,1,1.,丙,电话抽查\n",
            "测评方式“电话抽查”无效",
        ),
        ("层级,编号,上级编号,名称,分值\n1,一、,,甲,\n2,1.,一、,乙,\n3,1,1.,丙,一分\n", "不是数字"),
        ("编号,名称\n1,甲\n", "找不到表头"),
    ],
)
def test_bad_files_are_rejected_with_row_numbers_and_nothing_written(csv, message):
    result = framework_import(data=csv.encode(), framework_name="坏文件")
    assert not result.ok
    assert any(message in str(e) for e in result.errors), [str(e) for e in result.errors]
    assert not Framework.objects.filter(name="坏文件").exists()
    assert Indicator.objects.count() == 0


def test_command_imports_and_is_idempotent(tmp_path, capsys):
    path = tmp_path / "framework.csv"
    path.write_text(CSV_FRAMEWORK, encoding="utf-8")
    call_command("import_indicators", str(path), "--framework", "命令导入")
    assert "新增 9 条" in capsys.readouterr().out
    call_command("import_indicators", str(path), "--framework", "命令导入")
    assert "不变 9 条" in capsys.readouterr().out


def test_command_dry_run_writes_nothing(tmp_path, capsys):
    path = tmp_path / "framework.csv"
    path.write_text(CSV_FRAMEWORK, encoding="utf-8")
    call_command("import_indicators", str(path), "--framework", "预览", "--dry-run")
    assert "预览" in capsys.readouterr().out
    assert not Framework.objects.filter(name="预览").exists()


def test_command_exits_non_zero_with_row_messages(tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text("层级,编号,上级编号,名称\n1,一、,,甲\n3,1,9.,丙\n", encoding="utf-8")
    with pytest.raises(CommandError, match="未导入任何数据"):
        call_command("import_indicators", str(path), "--framework", "坏")
    assert "第3行" in capsys.readouterr().err


def test_command_refuses_a_wrong_file_type(tmp_path, capsys):
    path = tmp_path / "fake.xlsx"
    path.write_bytes(b"MZ\x90\x00 this is an executable")
    with pytest.raises(CommandError):
        call_command("import_indicators", str(path), "--framework", "坏")
    assert "无法识别的文件类型" in capsys.readouterr().err
