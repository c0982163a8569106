"""一对一专项反馈清单: for one unit, every assignment not yet approved, as .docx and .xlsx.

Pure functions over plain data so that the office can regenerate a list from any query (and tests
need no database). The creation office edits the Word file before sending it, so the document uses
real fonts, a real table and no text boxes; the Excel file is for units that sort and filter.
"""

import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from docx import Document
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.shared import Cm, Pt
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from luhsan_portal.docx_fonts import docx_text, fixed_table, official_page, set_fonts

STATUS_ORDER = {"returned": 0, "not_submitted": 1, "pending": 2}
STATUS_LABELS = {"returned": "已退回", "not_submitted": "未提交", "pending": "待审核"}
DEFAULT_NOTES = {
    "returned": "请按审核意见修改后重新提交",
    "not_submitted": "请尽快提交佐证材料",
    "pending": "已提交，等待审核",
}
NOTHING_TO_DO = "所有任务均已通过或不适用，无需整改。"
COLUMNS = ("序号", "一级指标", "指标编号", "指标内容", "责任", "完成时限", "状态", "退回理由 / 说明")
CENTRED_COLUMNS = {0, 2, 4, 5, 6}
# A4 portrait minus the 2.8 + 2.6 cm side margins leaves 15.6 cm.
DOCX_WIDTHS_CM = (1.1, 2.3, 1.1, 3.7, 1.1, 2.3, 1.7, 2.3)
XLSX_WIDTHS = (6, 24, 9, 44, 7, 12, 15, 40)
TITLE_FONT, TITLE_FALLBACK = "方正小标宋简体", "宋体"
BODY_FONT, BODY_FALLBACK = "仿宋_GB2312", "仿宋"
TABLE_FONT = "仿宋"
XLSX_HEADER_ROW = 4

_WINDOWS_FORBIDDEN = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')


@dataclass(frozen=True)
class FeedbackRow:
    area: str
    indicator_code: str
    indicator_title: str
    role: str
    due_date: date | None
    status: str
    status_label: str
    overdue: bool
    last_reason: str
    last_submitted_at: datetime | None


@dataclass(frozen=True)
class FeedbackSheet:
    campaign_name: str
    office_name: str
    unit_name: str
    generated_on: date
    rows: list[FeedbackRow]


def _checked(rows: Iterable[FeedbackRow]) -> list[FeedbackRow]:
    # An approved or unknown status here means the caller's query is wrong; counting it would lie.
    rows = list(rows)
    for row in rows:
        if row.status not in STATUS_ORDER:
            raise ValueError(f"status {row.status!r} does not belong on a feedback list")
    return rows


def _code_key(code: str) -> tuple:
    # Natural order: "3" < "27" < "附1"; re.split keeps text at even and digits at odd positions.
    return tuple(int(part) if i % 2 else part for i, part in enumerate(re.split(r"(\d+)", code)))


def sorted_rows(rows: Iterable[FeedbackRow]) -> list[FeedbackRow]:
    """Order for reading: returned, then not submitted, then pending; inside each, overdue first,
    then by due date (none last), then by area in the order the areas first appear, then by code."""
    rows = _checked(rows)
    area_rank: dict[str, int] = {}
    for row in rows:
        area_rank.setdefault(row.area, len(area_rank))
    return sorted(
        rows,
        key=lambda r: (
            STATUS_ORDER[r.status],
            not r.overdue,
            r.due_date is None,
            r.due_date or date.min,
            area_rank[r.area],
            _code_key(r.indicator_code),
        ),
    )


def summary_line(sheet: FeedbackSheet) -> str:
    """One sentence with the counts per status, and the overdue ones inside each status."""
    rows = _checked(sheet.rows)
    if not rows:
        return NOTHING_TO_DO
    parts = []
    for code, label in STATUS_LABELS.items():
        group = [r for r in rows if r.status == code]
        overdue = sum(r.overdue for r in group)
        parts.append(f"{label} {len(group)} 项" + (f"（其中逾期 {overdue} 项）" if overdue else ""))
    return f"共 {len(rows)} 项未完成：{'，'.join(parts)}。"


def _clean(text: str) -> str:
    return docx_text(text)


def _cn_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _note(row: FeedbackRow) -> str:
    # An old return reason on a resubmitted item is history, not a task: say so.
    if row.status == "returned" or not row.last_reason:
        return row.last_reason or DEFAULT_NOTES[row.status]
    return f"{DEFAULT_NOTES[row.status]}（上次退回理由：{row.last_reason}）"


def _cells(number: int, row: FeedbackRow) -> list:
    due = row.due_date.isoformat() if row.due_date else "—"
    status = row.status_label + ("（逾期）" if row.overdue else "")
    return [str(number), row.area, row.indicator_code, row.indicator_title, row.role, due, status, _note(row)]


# --- Word ---


def _run(paragraph, text: str, font: str, size: float, bold: bool = False):
    run = paragraph.add_run(_clean(text))
    run.font.size = Pt(size)
    run.font.bold = bold or None  # inherit rather than write an explicit w:b=0
    set_fonts(run._element.get_or_add_rPr(), font)
    return run


def _line(document, text: str, font: str, size: float, align, before: float = 0, after: float = 0):
    paragraph = document.add_paragraph()
    paragraph.alignment = align
    paragraph.paragraph_format.space_before, paragraph.paragraph_format.space_after = Pt(before), Pt(after)
    _run(paragraph, text, font, size)
    return paragraph


def _setup_document(document, sheet: FeedbackSheet) -> None:
    official_page(document, BODY_FONT, ((TITLE_FONT, TITLE_FALLBACK), (BODY_FONT, BODY_FALLBACK)))
    props = document.core_properties
    props.title = f"{sheet.unit_name}一对一专项反馈清单"
    props.subject = sheet.campaign_name
    props.author = props.last_modified_by = sheet.office_name
    props.comments = ""


def _flag_row(row, tag: str) -> None:
    row._tr.get_or_add_trPr().append(OxmlElement(tag))


def _fill_cell(cell, text: str, column: int, bold: bool = False) -> None:
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    paragraph = cell.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER if column in CENTRED_COLUMNS or bold else WD_ALIGN_PARAGRAPH.LEFT
    _run(paragraph, text, TABLE_FONT, 10.5, bold=bold)


def feedback_docx(sheet: FeedbackSheet) -> bytes:
    """The list as an editable A4 Word document (official-document margins and fonts)."""
    document = Document()
    _setup_document(document, sheet)
    centre, day = WD_ALIGN_PARAGRAPH.CENTER, _cn_date(sheet.generated_on)
    _line(document, f"{sheet.unit_name}法治政府建设示范创建工作\n一对一专项反馈清单", TITLE_FONT, 22, centre, after=12)
    _line(document, f"{sheet.campaign_name}（截至{day}）", BODY_FONT, 16, centre, after=12)
    summary = _line(document, summary_line(sheet), BODY_FONT, 16, WD_ALIGN_PARAGRAPH.LEFT, after=6)
    summary.paragraph_format.first_line_indent = Pt(32)  # two characters, as official text is indented

    if sheet.rows:
        table = fixed_table(document, DOCX_WIDTHS_CM, rows=1)
        header = table.rows[0]
        _flag_row(header, "w:tblHeader")
        for index, (cell, text) in enumerate(zip(header.cells, COLUMNS, strict=True)):
            cell.width = Cm(DOCX_WIDTHS_CM[index])
            _fill_cell(cell, text, index, bold=True)
        for number, row in enumerate(sorted_rows(sheet.rows), start=1):
            table_row = table.add_row()
            _flag_row(table_row, "w:cantSplit")
            for index, (cell, text) in enumerate(zip(table_row.cells, _cells(number, row), strict=True)):
                _fill_cell(cell, text, index)

    _line(document, sheet.office_name, BODY_FONT, 16, WD_ALIGN_PARAGRAPH.RIGHT, before=24)
    _line(document, day, BODY_FONT, 16, WD_ALIGN_PARAGRAPH.RIGHT)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# --- Excel ---

_THIN = Side(style="thin", color="808080")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
_RETURNED_FILL = PatternFill("solid", fgColor="F8CBAD")
_OVERDUE_FONT = Font(color="C00000", bold=True)


def _text_cell(ws, row: int, column: int, value):
    cell = ws.cell(row=row, column=column, value=_clean(value) if isinstance(value, str) else value)
    # A reason typed as "=..." must stay text, not become a (broken or hostile) formula.
    if isinstance(value, str) and cell.data_type == "f":
        cell.data_type = "s"
    return cell


def feedback_xlsx(sheet: FeedbackSheet) -> bytes:
    """The list as one Excel sheet: real dates, filter and frozen header, printable on A4 landscape."""
    wb = Workbook()
    ws = wb.active
    ws.title = "反馈清单"
    last = get_column_letter(len(COLUMNS))
    lines = [
        (f"{sheet.unit_name} 一对一专项反馈清单", Font(bold=True, size=16), 30),
        (f"{sheet.campaign_name}　{sheet.office_name}　{_cn_date(sheet.generated_on)}", Font(size=11), 20),
        (summary_line(sheet), Font(size=11), 36),
    ]
    for number, (text, font, height) in enumerate(lines, start=1):
        ws.merge_cells(f"A{number}:{last}{number}")
        cell = _text_cell(ws, number, 1, text)
        cell.font = font
        cell.alignment = Alignment(horizontal="center" if number == 1 else "left", vertical="center", wrap_text=True)
        ws.row_dimensions[number].height = height

    for column, text in enumerate(COLUMNS, start=1):
        cell = _text_cell(ws, XLSX_HEADER_ROW, column, text)
        cell.font, cell.fill, cell.border = Font(bold=True), _HEADER_FILL, _BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(column)].width = XLSX_WIDTHS[column - 1]

    for offset, row in enumerate(sorted_rows(sheet.rows), start=1):
        values = _cells(offset, row)
        values[0] = offset
        values[5] = row.due_date or "—"
        for column, value in enumerate(values, start=1):
            cell = _text_cell(ws, XLSX_HEADER_ROW + offset, column, value)
            cell.border = _BORDER
            horizontal = "center" if column - 1 in CENTRED_COLUMNS else "left"
            cell.alignment = Alignment(horizontal=horizontal, vertical="center", wrap_text=True)
        if row.due_date:
            ws.cell(row=XLSX_HEADER_ROW + offset, column=6).number_format = "yyyy-mm-dd"
        status = ws.cell(row=XLSX_HEADER_ROW + offset, column=7)
        if row.status == "returned":
            status.fill = _RETURNED_FILL
        if row.overdue:
            status.font = _OVERDUE_FONT

    last_row = XLSX_HEADER_ROW + len(sheet.rows)
    ws.freeze_panes = f"A{XLSX_HEADER_ROW + 1}"
    ws.auto_filter.ref = f"A{XLSX_HEADER_ROW}:{last}{last_row}"
    ws.print_title_rows = f"{XLSX_HEADER_ROW}:{XLSX_HEADER_ROW}"
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# --- All units at once ---


def _safe_name(name: str) -> str:
    return _WINDOWS_FORBIDDEN.sub("", name).strip() or "未命名单位"


def feedback_zip(sheets: list[FeedbackSheet], fmt: str) -> bytes:
    """One file per unit, "<两位序号>-<单位>-一对一专项反馈清单.<fmt>", in one zip.

    Names are stored as UTF-8 with the language-encoding flag (zipfile sets it for any non-ASCII
    name), which is what lets Windows Explorer show them in Chinese instead of mojibake."""
    render = {"docx": feedback_docx, "xlsx": feedback_xlsx}.get(fmt)
    if render is None:
        raise ValueError(f"unknown format {fmt!r}; expected 'docx' or 'xlsx'")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for number, sheet in enumerate(sheets, start=1):
            name = f"{number:02d}-{_safe_name(sheet.unit_name)}-一对一专项反馈清单.{fmt}"
            # Dated by the list, not the clock, so the same data gives the same archive.
            day = sheet.generated_on
            info = zipfile.ZipInfo(name, date_time=(day.year, day.month, day.day, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, render(sheet))
    return buffer.getvalue()
