"""一对一专项反馈清单 rendered from plain data and read back with the libraries a reader would use."""

import datetime as dt
import io
import zipfile

import pytest
from docx import Document
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from openpyxl import load_workbook

from reports.feedback import (
    COLUMNS,
    NOTHING_TO_DO,
    XLSX_HEADER_ROW,
    FeedbackRow,
    FeedbackSheet,
    feedback_docx,
    feedback_xlsx,
    feedback_zip,
    sorted_rows,
    summary_line,
)

AREA_1 = "一、政府职能依法全面履行"
AREA_2 = "二、依法行政制度体系完善"
LABELS = {"returned": "已退回", "not_submitted": "未提交", "pending": "待审核"}


def make_row(code, area, status, due=None, overdue=False, reason="", title=None):
    return FeedbackRow(
        area=area,
        indicator_code=code,
        indicator_title=title or f"指标{code}：依法制定并公开权责清单，实行动态调整",
        role="牵头" if code != "5" else "配合",
        due_date=due,
        status=status,
        status_label=LABELS[status],
        overdue=overdue,
        last_reason=reason,
        last_submitted_at=dt.datetime(2024, 1, 5, 9, 30, tzinfo=dt.UTC) if status != "not_submitted" else None,
    )


# Deliberately shuffled; AREA_2 comes first here, so it ranks first among otherwise equal rows.
ROWS = [
    make_row("27", AREA_2, "pending", due=dt.date(2024, 3, 31)),
    make_row("3", AREA_1, "not_submitted", due=dt.date(2024, 1, 10), overdue=True),
    make_row("附1", AREA_1, "returned", reason="佐证材料缺少盖章页"),
    make_row("12", AREA_2, "returned", due=dt.date(2024, 2, 1), overdue=True, reason="=附件不全，请补充会议纪要"),
    make_row("27", AREA_1, "not_submitted"),
    make_row("5", AREA_2, "not_submitted", due=dt.date(2024, 1, 10), overdue=True),
    make_row("10", AREA_1, "not_submitted", due=dt.date(2024, 2, 15)),
    make_row("8", AREA_1, "pending", reason="原材料缺少签字"),
]
EXPECTED_ORDER = [("12", AREA_2), ("附1", AREA_1), ("5", AREA_2), ("3", AREA_1), ("10", AREA_1), ("27", AREA_1)]
EXPECTED_ORDER += [("27", AREA_2), ("8", AREA_1)]
EXPECTED_CODES = [code for code, _area in EXPECTED_ORDER]
EXPECTED_STATUS = [
    "已退回（逾期）",
    "已退回",
    "未提交（逾期）",
    "未提交（逾期）",
    "未提交",
    "未提交",
    "待审核",
    "待审核",
]
EXPECTED_NOTES = [
    "=附件不全，请补充会议纪要",
    "佐证材料缺少盖章页",
    *["请尽快提交佐证材料"] * 4,
    "已提交，等待审核",
    "已提交，等待审核（上次退回理由：原材料缺少签字）",
]
SUMMARY = "共 8 项未完成：已退回 2 项（其中逾期 1 项），未提交 4 项（其中逾期 2 项），待审核 2 项。"


def make_sheet(rows=ROWS, unit="鲁山县司法局"):
    return FeedbackSheet(
        campaign_name="鲁山县创建省级法治政府建设示范县",
        office_name="鲁山县创建省级法治政府建设示范县指挥部办公室",
        unit_name=unit,
        generated_on=dt.date(2024, 1, 12),
        rows=list(rows),
    )


def read_docx(data):
    return Document(io.BytesIO(data))


def read_xlsx(data):
    return load_workbook(io.BytesIO(data))["反馈清单"]


# --- ordering and summary ---


def test_sorted_rows_order():
    assert [(r.indicator_code, r.area) for r in sorted_rows(ROWS)] == EXPECTED_ORDER


def test_sorted_rows_codes_in_natural_order():
    rows = [make_row(code, AREA_1, "pending") for code in ("附1", "27", "3", "附10", "附2")]
    assert [r.indicator_code for r in sorted_rows(rows)] == ["3", "27", "附1", "附2", "附10"]


def test_unknown_status_is_refused():
    approved = FeedbackRow(AREA_1, "1", "x", "牵头", None, "approved", "已通过", False, "", None)
    with pytest.raises(ValueError, match="approved"):
        sorted_rows([approved])
    with pytest.raises(ValueError, match="approved"):
        summary_line(make_sheet([approved]))


def test_summary_line_counts():
    assert summary_line(make_sheet()) == SUMMARY


def test_summary_line_without_overdue_or_rows():
    assert summary_line(make_sheet([make_row("1", AREA_1, "pending")])) == (
        "共 1 项未完成：已退回 0 项，未提交 0 项，待审核 1 项。"
    )
    assert summary_line(make_sheet([])) == NOTHING_TO_DO == "所有任务均已通过或不适用，无需整改。"


# --- Word ---


def test_docx_title_subtitle_summary_and_closing():
    doc = read_docx(feedback_docx(make_sheet()))
    texts = [p.text for p in doc.paragraphs]
    assert texts[0] == "鲁山县司法局法治政府建设示范创建工作\n一对一专项反馈清单"
    assert texts[1] == "鲁山县创建省级法治政府建设示范县（截至2024年1月12日）"
    assert SUMMARY in texts
    assert texts[-2:] == ["鲁山县创建省级法治政府建设示范县指挥部办公室", "2024年1月12日"]
    assert all(p.alignment == 2 for p in doc.paragraphs[-2:])  # RIGHT
    title_run = doc.paragraphs[0].runs[0]
    assert title_run.font.size == Pt(22)
    assert title_run._element.rPr.rFonts.get(qn("w:eastAsia")) == "方正小标宋简体"


def test_docx_page_is_a4_with_official_margins():
    section = read_docx(feedback_docx(make_sheet())).sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)
    margins = (section.top_margin, section.bottom_margin, section.left_margin, section.right_margin)
    assert [round(m.cm, 2) for m in margins] == [3.7, 3.5, 2.8, 2.6]


def test_docx_table_rows_in_sorted_order():
    doc = read_docx(feedback_docx(make_sheet()))
    assert len(doc.tables) == 1
    table = doc.tables[0]
    assert [c.text for c in table.rows[0].cells] == list(COLUMNS)
    body = [[c.text for c in row.cells] for row in table.rows[1:]]
    assert len(body) == len(ROWS)
    assert [r[0] for r in body] == [str(n) for n in range(1, 9)]
    assert [r[2] for r in body] == EXPECTED_CODES
    assert [r[1] for r in body] == [area for _code, area in EXPECTED_ORDER]
    assert [r[5] for r in body] == ["2024-02-01", "—", "2024-01-10", "2024-01-10", "2024-02-15", "—", "2024-03-31", "—"]
    assert [r[6] for r in body] == EXPECTED_STATUS
    assert [r[7] for r in body] == EXPECTED_NOTES
    assert body[2][4] == "配合"


def test_docx_header_row_repeats_and_table_has_grid():
    table = read_docx(feedback_docx(make_sheet())).tables[0]
    trpr = table.rows[0]._tr.trPr
    assert trpr is not None and trpr.find(qn("w:tblHeader")) is not None
    assert all(row._tr.trPr.find(qn("w:tblHeader")) is None for row in table.rows[1:])
    assert table.style.name == "Table Grid"
    assert all(run.bold for cell in table.rows[0].cells for run in cell.paragraphs[0].runs)
    assert round(sum(col.width.cm for col in table.columns), 1) == 15.6
    grid_total = sum(int(col.get(qn("w:w"))) for col in table._tbl.tblGrid.findall(qn("w:gridCol")))
    assert table._tbl.tblPr.find(qn("w:tblW")).get(qn("w:w")) == str(grid_total)


def test_docx_runs_carry_east_asian_font():
    doc = read_docx(feedback_docx(make_sheet()))
    runs = [run for p in doc.paragraphs for run in p.runs]
    table_runs = [run for row in doc.tables[0].rows for cell in row.cells for p in cell.paragraphs for run in p.runs]
    assert runs and table_runs
    for run in runs + table_runs:
        fonts = run._element.rPr.rFonts
        assert fonts.get(qn("w:eastAsia")) and fonts.get(qn("w:eastAsia")) == fonts.get(qn("w:ascii"))
    assert {run._element.rPr.rFonts.get(qn("w:eastAsia")) for run in table_runs} == {"仿宋"}
    assert {run.font.size for run in table_runs} == {Pt(10.5)}
    assert doc.paragraphs[1].runs[0]._element.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋_GB2312"


def test_docx_declares_font_fallbacks_and_chinese_defaults():
    doc = read_docx(feedback_docx(make_sheet()))
    font_table = doc.part.part_related_by(RT.FONT_TABLE).blob.decode()
    assert 'w:name="方正小标宋简体"' in font_table and 'w:altName w:val="宋体"' in font_table
    assert 'w:name="仿宋_GB2312"' in font_table and 'w:altName w:val="仿宋"' in font_table
    defaults = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    assert defaults.find(qn("w:rFonts")).get(qn("w:eastAsiaTheme")) is None
    assert defaults.find(qn("w:lang")).get(qn("w:eastAsia")) == "zh-CN"


def test_docx_empty_sheet_has_sentence_and_no_table():
    doc = read_docx(feedback_docx(make_sheet([])))
    assert doc.tables == []
    assert NOTHING_TO_DO in [p.text for p in doc.paragraphs]


def test_control_characters_do_not_break_either_format():
    rows = [make_row("1", AREA_1, "returned", reason="缺少\x0b盖章页\x00\r\n请补充")]
    doc = read_docx(feedback_docx(make_sheet(rows)))
    assert doc.tables[0].rows[1].cells[7].text == "缺少盖章页\n请补充"
    ws = read_xlsx(feedback_xlsx(make_sheet(rows)))
    assert ws.cell(row=XLSX_HEADER_ROW + 1, column=8).value == "缺少盖章页\n请补充"


# --- Excel ---


def test_xlsx_layout_and_values():
    ws = read_xlsx(feedback_xlsx(make_sheet()))
    assert ws["A1"].value == "鲁山县司法局 一对一专项反馈清单"
    assert "A1:H1" in {str(r) for r in ws.merged_cells.ranges}
    assert "鲁山县创建省级法治政府建设示范县" in ws["A2"].value and "2024年1月12日" in ws["A2"].value
    assert ws["A3"].value == SUMMARY
    assert [c.value for c in ws[XLSX_HEADER_ROW]] == list(COLUMNS)
    assert all(c.font.b for c in ws[XLSX_HEADER_ROW])
    body = [[c.value for c in row] for row in ws.iter_rows(min_row=XLSX_HEADER_ROW + 1)]
    assert [r[0] for r in body] == list(range(1, 9))
    assert [r[2] for r in body] == EXPECTED_CODES
    assert [r[6] for r in body] == EXPECTED_STATUS
    assert [r[7] for r in body] == EXPECTED_NOTES
    assert ws.max_row == XLSX_HEADER_ROW + len(ROWS)


def test_xlsx_due_dates_are_real_dates():
    ws = read_xlsx(feedback_xlsx(make_sheet()))
    first = ws.cell(row=XLSX_HEADER_ROW + 1, column=6)
    assert isinstance(first.value, dt.date)
    assert first.value == dt.datetime(2024, 2, 1)
    assert first.number_format == "yyyy-mm-dd" and first.is_date
    assert ws.cell(row=XLSX_HEADER_ROW + 2, column=6).value == "—"


def test_xlsx_reason_starting_with_equals_stays_text():
    ws = read_xlsx(feedback_xlsx(make_sheet()))
    cell = ws.cell(row=XLSX_HEADER_ROW + 1, column=8)
    assert cell.data_type == "s" and cell.value == "=附件不全，请补充会议纪要"


def test_xlsx_freeze_filter_and_print_setup():
    ws = read_xlsx(feedback_xlsx(make_sheet()))
    assert ws.freeze_panes == f"A{XLSX_HEADER_ROW + 1}"
    assert ws.auto_filter.ref == f"A{XLSX_HEADER_ROW}:H{XLSX_HEADER_ROW + len(ROWS)}"
    assert ws.print_title_rows == f"${XLSX_HEADER_ROW}:${XLSX_HEADER_ROW}"
    assert ws.page_setup.orientation == "landscape"
    assert str(ws.page_setup.paperSize) == str(ws.PAPERSIZE_A4)
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
    assert ws.column_dimensions["D"].width > ws.column_dimensions["A"].width


def test_xlsx_status_colours_and_wrapping():
    ws = read_xlsx(feedback_xlsx(make_sheet()))
    returned_overdue = ws.cell(row=XLSX_HEADER_ROW + 1, column=7)
    returned = ws.cell(row=XLSX_HEADER_ROW + 2, column=7)
    pending = ws.cell(row=XLSX_HEADER_ROW + 7, column=7)
    assert returned_overdue.fill.fgColor.rgb.endswith("F8CBAD") and returned.fill.fgColor.rgb.endswith("F8CBAD")
    assert returned_overdue.font.color.rgb.endswith("C00000")
    assert returned.font.color is None or returned.font.color.rgb != "FFC00000"
    assert pending.fill.fill_type is None
    assert ws.cell(row=XLSX_HEADER_ROW + 3, column=7).font.color.rgb.endswith("C00000")  # 未提交（逾期）
    assert ws.cell(row=XLSX_HEADER_ROW + 1, column=4).alignment.wrap_text


def test_xlsx_empty_sheet_has_sentence_and_no_rows():
    ws = read_xlsx(feedback_xlsx(make_sheet([])))
    assert ws["A3"].value == NOTHING_TO_DO
    assert ws.max_row == XLSX_HEADER_ROW


# --- zip ---


@pytest.mark.parametrize("fmt", ["docx", "xlsx"])
def test_zip_one_file_per_unit_with_chinese_names(fmt):
    sheets = [
        make_sheet(unit="鲁山县司法局"),
        make_sheet(ROWS[:2], unit="鲁山县发展和改革委员会/物价局"),
        make_sheet([], unit='鲁山县市场监督管理局:食药*"科"'),
    ]
    archive = zipfile.ZipFile(io.BytesIO(feedback_zip(sheets, fmt)))
    assert archive.namelist() == [
        f"01-鲁山县司法局-一对一专项反馈清单.{fmt}",
        f"02-鲁山县发展和改革委员会物价局-一对一专项反馈清单.{fmt}",
        f"03-鲁山县市场监督管理局食药科-一对一专项反馈清单.{fmt}",
    ]
    for info in archive.infolist():
        assert info.flag_bits & 0x800  # UTF-8 name flag: Explorer shows Chinese, not mojibake
        data = archive.read(info)
        if fmt == "docx":
            assert read_docx(data).paragraphs[0].text.endswith("一对一专项反馈清单")
        else:
            assert read_xlsx(data)["A1"].value.endswith("一对一专项反馈清单")
    assert archive.testzip() is None


def test_zip_rejects_unknown_format():
    with pytest.raises(ValueError, match="pdf"):
        feedback_zip([make_sheet()], "pdf")


def test_docx_widths_fit_the_text_area():
    section = read_docx(feedback_docx(make_sheet())).sections[0]
    text_width = section.page_width - section.left_margin - section.right_margin
    assert abs(text_width - Cm(15.6)) < Cm(0.01)
