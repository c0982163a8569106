"""Reading the spreadsheets offices actually have (.xlsx and .csv) into plain rows.

The importers of units, indicator frameworks and responsibility lists all start here: the file
type is recognised by content, the header row is found even below a title line, merged cells
arrive as blanks (the importers forward-fill where the layout means it), and every row keeps the
row number a person sees in Excel so that messages can point at it.
"""

import csv
import datetime as dt
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _

HEADER_SEARCH_ROWS = 10


class SpreadsheetError(Exception):
    """The file as a whole cannot be read (wrong type, empty, no header, too large)."""


@dataclass
class Row:
    number: int
    values: dict[str, Any]
    sheet: str = ""

    def text(self, column: str) -> str:
        return cell_text(self.values.get(column))

    @property
    def label(self) -> str:
        return (
            _("第%(n)d行") % {"n": self.number}
            if not self.sheet
            else _("“%(sheet)s”表第%(n)d行")
            % {
                "sheet": self.sheet,
                "n": self.number,
            }
        )


@dataclass
class Table:
    sheet: str
    columns: list[str]
    rows: list[Row] = field(default_factory=list)


@dataclass
class RowError:
    row: int | None
    message: str
    sheet: str = ""

    def as_dict(self) -> dict:
        return {"row": self.row, "sheet": self.sheet, "message": self.message}

    def __str__(self) -> str:
        if self.row is None:
            return self.message
        where = _("第%(n)d行") % {"n": self.row}
        if self.sheet:
            where = _("“%(sheet)s”表") % {"sheet": self.sheet} + where
        return f"{where}：{self.message}"


def normalize_header(value: Any) -> str:
    """Header cells vary in spacing, width and markers: ``* 单位 名称\\n`` means ``单位名称``."""
    text = unicodedata.normalize("NFKC", cell_text(value))
    return re.sub(r"[\s*※]", "", text)


def normalize_name(value: Any) -> str:
    """Names compared for identity: full-width folded, whitespace and trailing punctuation removed."""
    text = unicodedata.normalize("NFKC", cell_text(value))
    return re.sub(r"\s+", "", text).strip("、,，;；.。")


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).replace("\u3000", " ").strip()


def split_list(value: Any) -> list[str]:
    """Several names in one cell, joined by 、 ， , ； ; / or line breaks."""
    return [part for part in (p.strip() for p in re.split(r"[、,，;；/\n\r]+", cell_text(value))) if part]


def parse_decimal(value: Any) -> Decimal | None:
    text = cell_text(value).removesuffix("分")
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(_("“%(value)s”不是数字") % {"value": text}) from exc
    if not number.is_finite():
        raise ValueError(_("“%(value)s”不是数字") % {"value": text})
    return number


_DATE_PATTERNS = [
    re.compile(r"^(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?$"),
    re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$"),
]
_MONTH_PATTERN = re.compile(r"^(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*(月|月底|月末)?$")


def parse_date(value: Any) -> dt.date | None:
    """Dates as offices write them: 2024-01-12, 2024/1/12, 2024.1.12, 2024年1月12日, 20240112,
    Excel dates and serial numbers; a month alone (2024年6月, 2024年6月底) means its last day."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and 20000 < value < 80000:
        return dt.date(1899, 12, 30) + dt.timedelta(days=int(value))
    text = unicodedata.normalize("NFKC", cell_text(value)).replace(" ", "")
    if not text:
        return None
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            try:
                return dt.date(int(match["y"]), int(match["m"]), int(match["d"]))
            except ValueError as exc:
                raise ValueError(_("日期“%(value)s”不存在") % {"value": text}) from exc
    match = _MONTH_PATTERN.match(text)
    if match and 1 <= int(match["m"]) <= 12:
        year, month = int(match["y"]), int(match["m"])
        first_of_next = dt.date(year + month // 12, month % 12 + 1, 1)
        return first_of_next - dt.timedelta(days=1)
    raise ValueError(_("无法识别日期“%(value)s”，请写成 2024-01-12 或 2024年1月12日") % {"value": cell_text(value)})


# ---------------------------------------------------------------------------
# Reading files
# ---------------------------------------------------------------------------


def _sniff_kind(head: bytes) -> str:
    if not head:
        raise SpreadsheetError(_("文件为空。"))
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise SpreadsheetError(_("这是旧版 Excel（.xls）或 Word 文件。请在 Excel 或 WPS 中“另存为” .xlsx 后再导入。"))
    if head.startswith(b"%PDF"):
        raise SpreadsheetError(_("这是 PDF 文件，无法导入。请上传 .xlsx 或 .csv 表格。"))
    if b"\x00" in head:
        raise SpreadsheetError(_("无法识别的文件类型。请上传 .xlsx 或 .csv 表格。"))
    return "csv"


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SpreadsheetError(_("无法识别文本编码，请把 CSV 保存为 UTF-8 或 GBK 编码。"))


def _find_header(raw_rows: list[tuple[int, list[Any]]], layouts: list[set[str]]) -> tuple[int, list[str]] | None:
    for index, (_number, cells) in enumerate(raw_rows[:HEADER_SEARCH_ROWS]):
        headers = [normalize_header(c) for c in cells]
        present = set(headers)
        if any(layout <= present for layout in layouts):
            return index, headers
    return None


def _table_from_rows(sheet: str, rows: Iterable[tuple[int, list[Any]]], layouts: list[set[str]], max_rows: int):
    head: list[tuple[int, list[Any]]] = []
    iterator = iter(rows)
    for item in iterator:
        head.append(item)
        if len(head) >= HEADER_SEARCH_ROWS:
            break
    found = _find_header(head, layouts)
    if found is None:
        first_cells = [normalize_header(c) for c in (head[0][1] if head else []) if cell_text(c)]
        return None, first_cells
    header_index, headers = found
    table = Table(sheet=sheet, columns=[h for h in headers if h])

    def data_rows():
        yield from head[header_index + 1 :]
        yield from iterator

    for number, cells in data_rows():
        if not any(cell_text(c) for c in cells):
            continue
        if len(table.rows) >= max_rows:
            raise SpreadsheetError(
                _("文件数据超过 %(max)d 行，已停止读取。请拆分成多个文件后分别导入。") % {"max": max_rows}
            )
        values = {h: cells[i] if i < len(cells) else None for i, h in enumerate(headers) if h}
        table.rows.append(Row(number=number, values=values, sheet=sheet))
    return table, headers


def _xlsx_sheets(data: bytes):
    from openpyxl import load_workbook

    try:
        # Read-only mode streams rows; merged cells arrive as None below their first cell.
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise SpreadsheetError(_("文件不是有效的 Excel（.xlsx）表格，可能已损坏。")) from exc
    for sheet in workbook.worksheets:
        if getattr(sheet, "sheet_state", "visible") != "visible":
            continue
        rows = ((i, list(r)) for i, r in enumerate(sheet.iter_rows(values_only=True), start=1))
        yield sheet.title, rows


def _csv_sheets(data: bytes):
    text = _decode(data)
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    yield "", ((i, row) for i, row in enumerate(reader, start=1))


def read_tables(
    file: IO[bytes] | bytes,
    *,
    layouts: list[set[str]],
    max_rows: int | None = None,
    max_bytes: int | None = None,
) -> list[Table]:
    """Every sheet of ``file`` whose header row contains one of ``layouts``' column sets.

    Raises ``SpreadsheetError`` with a Chinese message when nothing usable is found.
    """
    max_rows = max_rows or settings.IMPORT_MAX_ROWS
    max_bytes = max_bytes or settings.IMPORT_MAX_BYTES
    if isinstance(file, bytes):
        data = file
    else:
        data = file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise SpreadsheetError(
            _("文件超过 %(mb)d MB，无法导入。请拆分后分别导入。") % {"mb": max_bytes // (1024 * 1024)}
        )
    kind = _sniff_kind(data[:8])
    sheets = _xlsx_sheets(data) if kind == "xlsx" else _csv_sheets(data)
    tables: list[Table] = []
    seen_headers: list[str] = []
    for name, rows in sheets:
        table, headers = _table_from_rows(name, rows, layouts, max_rows)
        if table is not None:
            tables.append(table)
        elif headers and not seen_headers:
            seen_headers = headers
    if not tables:
        expected = " / ".join("、".join(sorted(layout)) for layout in layouts)
        found = "、".join(h for h in seen_headers if h) or _("（空）")
        raise SpreadsheetError(
            _("找不到表头：需要包含列 %(expected)s。文件中的第一行是：%(found)s。")
            % {"expected": expected, "found": found}
        )
    if not any(t.rows for t in tables):
        raise SpreadsheetError(_("表格只有表头，没有数据行。"))
    return tables
