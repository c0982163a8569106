"""The progress ledger (台账) as .xlsx: a summary sheet plus one sheet per level-1 area.

Rows are ``reports.selectors.assignment_rows`` (status, latest submission and review annotated);
the summary's figures are ``campaign_progress``'s, so the ledger agrees with the dashboard.
"""

import io
import re

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from indicators.querysets import AssignmentStatus

HEADER = [
    "序号",
    "一级指标",
    "指标编号",
    "指标",
    "单位",
    "责任",
    "完成时限",
    "状态",
    "逾期",
    "最近提交",
    "最近审核",
    "审核结果",
    "审核人",
    "退回理由",
]
WIDTHS = [6, 22, 8, 40, 22, 6, 12, 8, 6, 17, 17, 8, 10, 36]
STATUS_LABELS = dict(AssignmentStatus.choices)
REVIEW_LABELS = {"approved": "通过", "returned": "退回"}
BOLD = Font(bold=True)
HEAD_FILL = PatternFill("solid", fgColor="E6EEFB")
RED = Font(color="C8102E", bold=True)


def _local(value):
    return timezone.localtime(value).replace(tzinfo=None) if value else None


def _sheet_title(text: str, used: set[str]) -> str:
    title = re.sub(r"[\[\]:*?/\\]", "", text)[:28] or "工作表"
    base, n = title, 2
    while title in used:
        title = f"{base[:26]}{n}"
        n += 1
    used.add(title)
    return title


def _write_rows(sheet, rows) -> None:
    sheet.append(HEADER)
    for cell in sheet[sheet.max_row]:
        cell.font, cell.fill = BOLD, HEAD_FILL
    header_row = sheet.max_row
    for index, a in enumerate(rows, start=1):
        area = a.indicator.area
        sheet.append(
            [
                index,
                f"{area.code}{area.title}" if area else "附加指标",
                a.indicator.code,
                a.indicator.title,
                a.unit.name,
                a.get_role_display(),
                a.due_date,
                STATUS_LABELS.get(a.status, a.status),
                "是" if a.overdue else "",
                _local(a.last_submitted_at),
                _local(a.last_review_at),
                REVIEW_LABELS.get(a.last_review_status or "", ""),
                a.last_reviewer or "",
                a.return_reason or "",
            ]
        )
        row = sheet.max_row
        sheet.cell(row, 7).number_format = "yyyy-mm-dd"
        sheet.cell(row, 10).number_format = sheet.cell(row, 11).number_format = "yyyy-mm-dd hh:mm"
        if a.overdue:
            sheet.cell(row, 9).font = RED
        for col in (4, 14):
            sheet.cell(row, col).alignment = Alignment(wrap_text=True, vertical="top")
    for col, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(col)].width = width
    sheet.freeze_panes = sheet.cell(header_row + 1, 1)
    sheet.auto_filter.ref = f"A{header_row}:{get_column_letter(len(HEADER))}{sheet.max_row}"


def _summary(sheet, campaign, progress) -> None:
    sheet.append([f"{campaign.name} 进度台账"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([f"生成时间：{timezone.localtime():%Y-%m-%d %H:%M}"])
    sheet.append([])
    figures = [
        ("三级指标", progress.indicators_total),
        ("已完成三级指标", progress.indicators_complete),
        ("工作进度（已完成三级指标 ÷ 全部三级指标）", round(progress.work_ratio, 4)),
        ("附加指标", progress.bonus_total),
        ("已完成附加指标", progress.bonus_complete),
        ("任务数", progress.assignments_total),
        ("已完成任务（已通过或不适用）", progress.assignments_done),
        ("任务完成率", round(progress.assignment_ratio or 0, 4)),
        ("时间进度", round(progress.time_ratio, 4)),
        ("双过半", "未到时间过半" if progress.double_half is None else ("达标" if progress.double_half else "未达标")),
        ("进度", progress.pace),
        ("逾期任务", progress.assignments_overdue),
    ]
    for label, value in figures:
        sheet.append([label, value])
        if isinstance(value, float):
            sheet.cell(sheet.max_row, 2).number_format = "0.0%"
    sheet.append([])
    sheet.append(["一级指标", "三级指标数", "已完成", "完成率"])
    for cell in sheet[sheet.max_row]:
        cell.font, cell.fill = BOLD, HEAD_FILL
    for area in progress.areas:
        sheet.append([f"{area.code}{area.title}", area.total, area.complete, round(area.rate or 0, 4)])
        sheet.cell(sheet.max_row, 4).number_format = "0.0%"
    sheet.append([])
    sheet.append(["单位", "类型", "任务数", "已完成", "完成率", "应完成（已到期）比例", "差距", "逾期"])
    for cell in sheet[sheet.max_row]:
        cell.font, cell.fill = BOLD, HEAD_FILL
    for unit in progress.ranking():
        sheet.append(
            [
                unit.name,
                unit.kind,
                unit.total,
                unit.done,
                round(unit.rate or 0, 4),
                round(unit.expected or 0, 4),
                round(unit.gap or 0, 4),
                unit.overdue,
            ]
        )
        for col in (5, 6, 7):
            sheet.cell(sheet.max_row, col).number_format = "0.0%"
    sheet.column_dimensions["A"].width = 44
    for col in "BCDEFGH":
        sheet.column_dimensions[col].width = 14


def ledger_xlsx(*, campaign, rows: list, progress=None) -> bytes:
    """The ledger; with ``progress`` a summary sheet and one sheet per area, else one sheet of rows."""
    workbook = Workbook()
    first = workbook.active
    if progress is None:
        first.title = "任务清单"
        _write_rows(first, rows)
    else:
        first.title = "汇总"
        _summary(first, campaign, progress)
        used = {"汇总"}
        groups: dict[str, list] = {}
        for a in rows:
            area = a.indicator.area
            groups.setdefault(f"{area.code}{area.title}" if area else "附加指标", []).append(a)
        for name, items in groups.items():
            _write_rows(workbook.create_sheet(_sheet_title(name, used)), items)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
