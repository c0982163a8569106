"""督导情况通报 (supervision/report.py): read the Word file back and check what the office will see."""

import io
import time
from datetime import date, timedelta

from docx import Document
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from supervision.report import (
    CATEGORY_COLUMNS,
    FINDING_COLUMNS,
    GROUP_COLUMNS,
    NO_FINDINGS,
    ReportFinding,
    ReportGroup,
    RoundReport,
    category_rows,
    cn_ordinal,
    date_range,
    round_report_docx,
)

OFFICE = "鲁山县创建省级法治政府建设示范县指挥部办公室"
DUE = date(2024, 2, 15)


def finding(unit, category, severity="一般", status="待整改", description=None, **changes):
    values = {
        "unit": unit,
        "category": category,
        "severity": severity,
        "description": description or f"{unit}{category}问题",
        "requirement": f"{category}整改意见",
        "deadline": DUE,
        "original_deadline": DUE,
        "status": status,
        "overdue": False,
        "indicators": ["27 行政执法公示"],
    }
    values.update(changes)
    return ReportFinding(**values)


FINDINGS = [
    finding("鲁山县司法局", "材料归档", "较重", description="执法案卷未按年度归档"),
    finding("鲁山县司法局", "执法规范", "严重", description="行政执法公示不及时", overdue=True, indicators=[]),
    finding("鲁山县公安局", "组织领导", status="已销号"),
    finding(
        "鲁山县司法局",
        "材料归档",
        status="整改中",
        description="佐证材料缺少会议纪要",
        deadline=date(2024, 3, 1),
        original_deadline=DUE,
    ),
    finding("鲁山县公安局", "执法规范", "较重", status="已销号"),
    finding("鲁山县财政局", "其他", status="待复核", indicators=["27 行政执法公示", "附1 法治宣传"]),
]
GROUPS = [
    ReportGroup(
        name="第一督导组",
        leader="张三",
        members=["李四", "王五"],
        planned_units=["鲁山县司法局", "鲁山县公安局", "鲁山县财政局", "鲁山县教育局"],
        visited_units=["鲁山县司法局", "鲁山县公安局", "鲁山县财政局"],
    ),
    ReportGroup(
        name="第二督导组",
        leader="赵六",
        members=["钱七"],
        planned_units=["鲁山县民政局", "鲁山县交通运输局", "鲁山县卫健委"],
        visited_units=[],
    ),
]


def make_report(groups=GROUPS, findings=FINDINGS):
    return RoundReport(
        campaign_name="鲁山县创建省级法治政府建设示范县",
        office_name=OFFICE,
        title="2024年第一轮督导",
        start_date=date(2024, 1, 8),
        end_date=date(2024, 1, 12),
        bodies="县人大办、县政府办、县纪委监委、县委政法委",
        issued_on=date(2024, 1, 12),
        groups=groups,
        findings=findings,
    )


def read(report):
    return Document(io.BytesIO(round_report_docx(report)))


def texts(document):
    return [p.text for p in document.paragraphs]


def rows(table):
    return [[cell.text for cell in row.cells] for row in table.rows]


def heading_index(document, text):
    return next(i for i, p in enumerate(document.paragraphs) if p.text == text)


def test_title_issuing_line_and_closing():
    paragraphs = texts(read(make_report()))
    assert paragraphs[0] == "关于2024年第一轮督导情况的通报"
    assert paragraphs[1] == f"{OFFICE}\n2024年1月12日"
    assert paragraphs[-2:] == [OFFICE, "2024年1月12日"]


def test_title_run_font_and_size():
    title = read(make_report()).paragraphs[0].runs[0]
    assert title.font.size == Pt(22)
    assert title._element.rPr.rFonts.get(qn("w:eastAsia")) == "方正小标宋简体"


def test_sections_in_order():
    document = read(make_report())
    paragraphs = texts(document)
    headings = [p for p in paragraphs if p[:2] in {"一、", "二、", "三、", "四、", "五、"}]
    assert headings == ["一、基本情况", "二、督导组安排", "三、发现的主要问题", "四、整改要求", "五、下一步工作"]
    assert "逾期未整改的，将在工作简报中通报" in paragraphs[heading_index(document, "五、下一步工作") + 1]


def test_summary_paragraph_counts():
    document = read(make_report())
    summary = document.paragraphs[heading_index(document, "一、基本情况") + 1].text
    assert summary.startswith("2024年1月8日至1月12日")
    assert "县人大办、县政府办、县纪委监委、县委政法委" in summary
    assert "组成2个督导组，对7个单位开展2024年第一轮督导" in summary
    assert "已走访3个单位，尚有4个单位未走访" in summary
    assert "专班人员必谈、关键资料必查、固定场所必看" in summary
    assert "本轮共发现问题6个，涉及3个单位，其中已销号2个，逾期1个。" in summary


def test_group_table_and_unit_lists():
    document = read(make_report())
    assert rows(document.tables[0]) == [
        list(GROUP_COLUMNS),
        ["1", "第一督导组", "张三", "李四、王五", "4/3"],
        ["2", "第二督导组", "赵六", "钱七", "3/0"],
    ]
    paragraphs = texts(document)
    assert (
        "第一督导组（组长：张三）督导单位：鲁山县司法局、鲁山县公安局、鲁山县财政局、鲁山县教育局（未走访）。"
        in paragraphs
    )
    assert any(p.startswith("第二督导组") and p.count("（未走访）") == 3 for p in paragraphs)


def test_category_table_counts_and_total():
    assert rows(read(make_report()).tables[1]) == [
        list(CATEGORY_COLUMNS),
        ["组织领导", "1", "0", "1"],
        ["材料归档", "2", "1", "0"],
        ["执法规范", "2", "2", "1"],
        ["其他", "1", "0", "0"],
        ["合计", "6", "3", "2"],
    ]


def test_unknown_category_comes_after_the_fixed_ones():
    names = [
        row[0] for row in category_rows([finding("甲", "新类别"), finding("甲", "其他"), finding("甲", "组织领导")])
    ]
    assert names == ["组织领导", "其他", "新类别", "合计"]


def test_unit_headings_and_rectification_tables():
    document = read(make_report())
    paragraphs = texts(document)
    assert [p for p in paragraphs if p.startswith("（") and p[1] in "一二三四"] == [
        "（一）鲁山县司法局",
        "（二）鲁山县公安局",
        "（三）鲁山县财政局",
    ]
    justice = rows(document.tables[2])
    assert justice[0] == list(FINDING_COLUMNS)
    assert [row[0] for row in justice[1:]] == ["1", "2", "3"]
    assert justice[1][1] == "执法案卷未按年度归档\n〔材料归档·较重；涉及指标：27 行政执法公示〕"
    assert justice[1][3:] == ["2024-02-15", "待整改"]
    assert justice[2][1] == "行政执法公示不及时\n〔执法规范·严重〕"
    assert justice[2][4] == "待整改（逾期）"
    assert justice[3][3] == "2024-03-01（原定 2024-02-15，已延期）"
    assert justice[3][4] == "整改中"
    assert rows(document.tables[4])[1][1].endswith("涉及指标：27 行政执法公示、附1 法治宣传〕")
    assert len(document.tables) == 5


def test_headings_use_official_fonts_and_stay_with_what_follows():
    document = read(make_report())
    for text, font in (("一、基本情况", "黑体"), ("（一）鲁山县司法局", "楷体_GB2312")):
        heading = document.paragraphs[heading_index(document, text)]
        assert heading.runs[0]._element.rPr.rFonts.get(qn("w:eastAsia")) == font
        assert heading.paragraph_format.keep_with_next
    body = document.paragraphs[heading_index(document, "一、基本情况") + 1]
    assert body.runs[0]._element.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋_GB2312"
    assert body.runs[0].font.size == Pt(16)
    assert body.paragraph_format.first_line_indent == Pt(32)


def test_every_run_carries_an_east_asian_font():
    document = read(make_report())
    runs = [run for p in document.paragraphs for run in p.runs]
    runs += [
        run for t in document.tables for row in t.rows for cell in row.cells for p in cell.paragraphs for run in p.runs
    ]
    assert runs
    for run in runs:
        assert run._element.rPr.rFonts.get(qn("w:eastAsia")), run.text
    cell_run = document.tables[2].rows[1].cells[1].paragraphs[0].runs[0]
    assert cell_run._element.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋"
    assert cell_run.font.size == Pt(10.5)


def test_table_headers_repeat_rows_do_not_split_and_header_is_bold():
    for table in read(make_report()).tables:
        assert table.style.name == "Table Grid"
        header, *body = table.rows
        assert header._tr.trPr.find(qn("w:tblHeader")) is not None
        assert all(run.bold for cell in header.cells for run in cell.paragraphs[0].runs)
        for row in body:
            assert row._tr.trPr.find(qn("w:cantSplit")) is not None
            assert row._tr.trPr.find(qn("w:tblHeader")) is None


def test_total_row_is_bold():
    total = read(make_report()).tables[1].rows[-1]
    assert all(run.bold for cell in total.cells for run in cell.paragraphs[0].runs)


def test_page_is_a4_with_official_margins_and_tables_fit():
    document = read(make_report())
    section = document.sections[0]
    # Stored in twips, so compare centimetres after rounding.
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)
    margins = (section.top_margin, section.bottom_margin, section.left_margin, section.right_margin)
    assert [round(m.cm, 2) for m in margins] == [3.7, 3.5, 2.8, 2.6]
    text_width = Cm(21 - 2.8 - 2.6).twips
    for table in document.tables:
        widths = [int(col.get(qn("w:w"))) for col in table._tbl.tblGrid.findall(qn("w:gridCol"))]
        assert abs(sum(widths) - text_width) <= len(widths)


def test_font_fallbacks_registered():
    document = read(make_report())
    fonts = document.part.part_related_by(RT.FONT_TABLE).blob.decode()
    for name, fallback in (("方正小标宋简体", "宋体"), ("仿宋_GB2312", "仿宋"), ("楷体_GB2312", "楷体")):
        assert f'w:name="{name}"' in fonts and f'w:val="{fallback}"' in fonts


def test_report_without_findings():
    document = read(make_report(findings=[]))
    paragraphs = texts(document)
    assert NO_FINDINGS in paragraphs
    assert "本轮共发现问题" not in "".join(paragraphs)
    assert not any("整改要求" in p for p in paragraphs)
    assert not any(p.startswith("（一）") for p in paragraphs)
    # The section is left out and the next one takes its number, so the numbering has no gap.
    assert [p for p in paragraphs if p[:2] in {"四、", "五、"}] == ["四、下一步工作"]
    assert len(document.tables) == 1  # only the group table


def test_report_without_groups_or_findings():
    paragraphs = texts(read(make_report(groups=[], findings=[])))
    assert "本轮未安排督导组。" in paragraphs
    assert any("组成0个督导组" in p for p in paragraphs)


def test_control_characters_and_markup_do_not_break_the_file():
    report = make_report(findings=[finding("甲单位", "其他", description="a\x01b <c> & d\r\ne", requirement="x\x0by")])
    table = read(report).tables[2]
    assert table.rows[1].cells[1].text.startswith("ab <c> & d\ne")
    assert table.rows[1].cells[2].text == "xy"


def test_helpers():
    assert date_range(date(2024, 1, 8), date(2024, 1, 12)) == "2024年1月8日至1月12日"
    assert date_range(date(2023, 12, 28), date(2024, 1, 3)) == "2023年12月28日至2024年1月3日"
    assert date_range(date(2024, 1, 8), date(2024, 1, 8)) == "2024年1月8日"
    numbers = (1, 10, 11, 19, 20, 21, 43, 99, 100, 105, 110, 115, 172, 999, 1000)
    assert [cn_ordinal(n) for n in numbers] == [
        "一",
        "十",
        "十一",
        "十九",
        "二十",
        "二十一",
        "四十三",
        "九十九",
        "一百",
        "一百零五",
        "一百一十",
        "一百一十五",
        "一百七十二",
        "九百九十九",
        "1000",
    ]


def big_report(groups=4, units=43, per_unit=5):
    """A county-sized round: the units shared out between the groups, each unit with the same number of findings."""
    categories = ["组织领导", "制度建设", "材料归档", "宣传氛围", "阵地建设", "执法规范", "其他"]
    names = [f"鲁山县第{u + 1}单位" for u in range(units)]
    shares = [names[g::groups] for g in range(groups)]
    # Every group still has its last unit to visit, so each planned/visited pair differs.
    teams = [
        ReportGroup(f"第{cn_ordinal(g + 1)}督导组", "组长", ["成员甲", "成员乙"], s, s[:-1])
        for g, s in enumerate(shares)
    ]
    findings = [
        finding(
            names[n // per_unit],
            categories[n % 7],
            ("一般", "较重", "严重")[n % 3],
            ("待整改", "整改中", "待复核", "已销号")[n % 4],
            description="台账资料不完整，部分会议记录缺少签到表和影像资料，需补充完善。" * 2,
            deadline=DUE + timedelta(days=n % 2 * 10),
            overdue=n % 5 == 0,
        )
        for n in range(units * per_unit)
    ]
    return make_report(groups=teams, findings=findings)


def test_large_round_renders_quickly():
    report = big_report()
    started = time.perf_counter()
    data = round_report_docx(report)
    elapsed = time.perf_counter() - started
    print(f"\n4 groups, 43 units, {len(report.findings)} findings: {elapsed:.3f} s, {len(data):,} bytes")
    assert elapsed < 5
    document = Document(io.BytesIO(data))
    assert len(document.tables) == 2 + 43
    assert "（四十三）鲁山县第43单位" in texts(document)
    assert rows(document.tables[0])[1][-1] == "11/10"
    assert rows(document.tables[1])[-1] == ["合计", "215", "143", "53"]
    assert sum(len(t.rows) - 1 for t in document.tables[2:]) == 215
