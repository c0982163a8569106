"""The front matter of an exported volume (册): the cover (封面) and the 目录, drawn with reportlab.

WeasyPrint drew them first, but shaping and subsetting the Noto CJK collections took ~0.3 s per
page and pushed the export process from 80 MB to ~1 GB. reportlab embeds a subset of a TrueType CJK
font (glyf outlines: it cannot read the CFF-outlined Noto CJK) in ~10 ms. Deterministic like the rest
of the volume: invariant=1, no dates, the same inputs give the same bytes. The bottom margins leave
room for the "— n —" page number merge_volume stamps on every page.
"""

import functools
import io
import mmap
import re
import shutil
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from reportlab.lib.colors import Color, black
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.pdfdoc import PDFDictionary, PDFInfo, PDFString
from reportlab.pdfbase.ttfonts import TTFont, TTFontFile
from reportlab.pdfgen.canvas import Canvas

LEVELS = ("一级指标", "二级指标", "三级指标", "四级指标", "五级指标")
RED = Color(0xB4 / 255, 0x12 / 255, 0x1B / 255)
GREY = Color(0.27, 0.27, 0.27)

# TrueType CJK fonts in order of preference: (file, subfont). The subfont is an index into a .ttc, or a
# string its family name must contain. Tests replace these lists to exercise the fallbacks.
BODY_FONTS: list[tuple[Path, int | str]] = [
    (Path("/usr/share/fonts/truetype/arphic/uming.ttc"), "CN"),  # AR PL UMing CN: a 宋体-like serif
    (Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"), 0),
]
HEADING_FONTS: list[tuple[Path, int | str]] = [(Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"), 0)]  # 黑体-like
CID_FALLBACK = "STSong-Light"  # built into every PDF reader; not embedded, so the last resort
PROBE = "佐证材料第册目录单位"  # a usable font has glyphs for all of these


@dataclass(frozen=True)
class TocEntry:
    number: int  # 序号
    unit: str  # 单位简称
    title: str  # material title
    file_name: str  # name inside the volume
    kind: str  # "pdf", "jpg", "docx", "mp4", …
    pages: int | None  # pages in the merged PDF (None if not merged)
    start_page: int | None  # first page number in the merged PDF (None if not merged)
    approved_at: str  # "2026-10-12"
    note: str = ""  # "原件附后"


@dataclass(frozen=True)
class VolumeCover:
    campaign: str
    county: str
    volume_number: int
    volume_count: int
    indicator_path: list[str]
    title: str
    units: list[str]
    file_count: int
    compiled_by: str
    compiled_on: date


# --- fonts ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fonts:
    body: str  # registered reportlab font names
    heading: str


_fonts: Fonts | None = None
_registered: dict[tuple[Path, int], str | None] = {}  # (file, subfont index) → name
_lock = threading.Lock()


class _Window:
    """A read-only slice of a mapped font file whose own slices are copied out only when asked for."""

    def __init__(self, data: mmap.mmap, start: int, stop: int):
        self.data, self.start, self.stop = data, start, stop

    def __len__(self) -> int:
        return self.stop - self.start

    def __bytes__(self) -> bytes:
        return self.data[self.start : self.stop]

    def __getitem__(self, key):
        if isinstance(key, slice):
            first, last, step = key.indices(len(self))
            return self.data[self.start + first : self.start + last : step]
        if not -len(self) <= key < len(self):
            raise IndexError(key)
        return self.data[self.start + key % len(self)]


class _MappedFile:
    """A font file for reportlab that is memory-mapped rather than read.

    reportlab keeps every font file whole in memory (21 MB for uming.ttc, 17 MB for wqy-zenhei.ttc)
    and copies the whole glyf table each time it subsets one. Mapped, only the pages it touches are
    resident, and slices over a megabyte (the glyf table) come back as windows that copy out just the
    glyphs used. Half the memory, the same bytes (a test compares both ways)."""

    def __init__(self, path: Path):
        self.name = str(path)  # reportlab's TTFontParser takes a file object's name as the file name
        with open(path, "rb") as file:
            self.data = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)

    def read(self) -> "_MappedFile":
        return self

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, key):
        if isinstance(key, slice) and key.step is None:
            first, last, _ = key.indices(len(self.data))
            if last - first > 1 << 20:
                return _Window(self.data, first, last)
        return self.data[key]


def _subfont_index(path: Path, subfont: int | str) -> int:
    if isinstance(subfont, int):
        return subfont
    index, count = 0, 1
    while index < count:
        face = TTFontFile(_MappedFile(path), charInfo=0, subfontIndex=index)
        if subfont in face.familyName.decode("utf-8", "replace"):
            return index
        index, count = index + 1, getattr(face, "numSubfonts", 1)  # a plain .ttf has one font
    raise LookupError(f"{path} has no font whose family name contains {subfont!r}")


def _register(path: Path, subfont: int | str) -> str | None:
    """Register one TrueType font once per process; its reportlab name, or None if it is unusable."""
    try:
        index = _subfont_index(path, subfont)
    except Exception:  # noqa: BLE001 - missing, not TrueType, or no such subfont
        return None
    key = (path, index)
    if key not in _registered:
        _registered[key] = None
        name = f"VolumeCJK-{path.stem}-{index}"
        try:
            try:
                font = TTFont(name, _MappedFile(path), subfontIndex=index, shapable=False)
            except Exception:  # noqa: BLE001 - a reportlab that reads files differently: load it the plain way
                font = TTFont(name, str(path), subfontIndex=index, shapable=False)
            if all(ord(char) in font.face.charToGlyph for char in PROBE):
                pdfmetrics.registerFont(font)
                _registered[key] = name
        except Exception:  # noqa: BLE001, S110 - CFF outlines or a broken file: the caller tries the next font
            pass
    return _registered[key]


def _fc_list() -> list[tuple[Path, int | str]]:
    """TrueType Chinese fonts fontconfig knows of (fc-match would return a non-CJK font when none fits)."""
    command = shutil.which("fc-list")
    if command is None:
        return []
    try:
        result = subprocess.run(  # noqa: S603 - fixed program and arguments
            [command, "-f", r"%{file}\t%{index}\n", ":lang=zh:fontformat=TrueType"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return []
    found = []
    for line in sorted(set(result.stdout.splitlines())):  # sorted: the same font on every run
        file, _, index = line.partition("\t")
        if file.lower().endswith((".ttf", ".ttc")) and index.isdigit():
            found.append((Path(file), int(index)))
    return found[:8]


def fonts() -> Fonts:
    """The fonts for the front matter, found and registered on first use, then cached for the process:
    AR PL UMing CN for text, WenQuanYi Zen Hei for headings (each falls back to the other), then any
    TrueType Chinese font fontconfig lists, and STSong-Light if there is none, so an export never fails."""
    global _fonts
    with _lock:
        if _fonts is None:
            body = next(filter(None, (_register(*candidate) for candidate in BODY_FONTS)), None)
            heading = next(filter(None, (_register(*candidate) for candidate in HEADING_FONTS)), None)
            if body is None and heading is None:
                body = next(filter(None, (_register(*candidate) for candidate in _fc_list())), None)
            if body is None and heading is None:
                pdfmetrics.registerFont(UnicodeCIDFont(CID_FALLBACK))
                body = heading = CID_FALLBACK
            _fonts = Fonts(body=body or heading, heading=heading or body)
        return _fonts


# --- text layout ---------------------------------------------------------------------------------

_TOKEN = re.compile(r"[A-Za-z0-9_.@%+-]+|.", re.S)  # Latin words stay whole; any other character may break
_NO_LINE_START = set("，。、；：？！）》」』】〉”’,.;:?!)%")


def _width(text: str, font: str, size: float, space: float = 0) -> float:
    return pdfmetrics.stringWidth(text, font, size) + space * len(text)


@functools.lru_cache(maxsize=8192)  # a volume's 目录 is laid out, then drawn: its cells are wrapped once
def _wrap(text: str, font: str, size: float, width: float, space: float = 0) -> tuple[str, ...]:
    text = " ".join(text.split())
    if _width(text, font, size, space) <= width:  # most cells: one measurement, one line
        return (text,)
    # Widths add up token by token (TrueType CJK has no kerning here), so a line is measured once.
    lines, line, used = [], "", 0.0
    for token in _TOKEN.findall(text):
        if _width(token, font, size, space) > width:  # a Latin word wider than the line: break anywhere
            tokens = list(token)
        else:
            tokens = [token]
        for part in tokens:
            advance = _width(part, font, size, space)
            if line and used + advance > width and part not in _NO_LINE_START:
                lines.append(line.rstrip())
                line, used = part.lstrip(), _width(part.lstrip(), font, size, space)
            else:
                line += part
                used += advance
    return (*lines, line.rstrip()) if line.strip() or not lines else tuple(lines)


def _fit(text: str, font: str, size: float, smallest: float, width: float, lines: int, space: float = 0):
    """The largest size from size down to smallest at which text wraps into at most `lines` lines."""
    wrapped = _wrap(text, font, size, width, space * size)
    while len(wrapped) > lines and size > smallest:
        size = max(smallest, size - 0.5)
        wrapped = _wrap(text, font, size, width, space * size)
    return size, wrapped


def _baseline(top: float, leading: float, size: float) -> float:
    # CJK glyphs fill the em box, ~0.88 em above the baseline: centre the em box in the line.
    return top - (leading - size) / 2 - 0.88 * size


class _Info(PDFInfo):
    """Document info without /CreationDate and /ModDate (invariant mode would write 2000-01-01)."""

    def format(self, document):
        return PDFDictionary({"Title": PDFString(self.title), "Author": PDFString(self.author)}).format(document)


class _Canvas(Canvas):
    """An invariant canvas (no dates, a document ID derived from the content) without dates in its info."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **{**kwargs, "invariant": 1, "pageCompression": 1})
        info = self._doc.info
        self._doc.info = _Info()
        self._doc.info.__dict__.update(info.__dict__)


# --- cover ---------------------------------------------------------------------------------------


@dataclass
class _Block:
    height: float
    draw: Callable[[Canvas, float], None]  # called with the block's top y


def _gap(height: float) -> _Block:
    return _Block(height, lambda canvas, top: None)


def _centred(lines: list[str], font: str, size: float, leading: float, space: float, centre: float) -> _Block:
    def draw(canvas: Canvas, top: float) -> None:
        canvas.setFont(font, size)
        for n, line in enumerate(lines):
            # charSpace also follows the last character: leave it out when centring
            x = centre - (_width(line, font, size, space) - space) / 2
            canvas.drawString(x, _baseline(top - n * leading, leading, size), line, charSpace=space)

    return _Block(len(lines) * leading, draw)


def _rule(left: float, right: float, scale: float) -> _Block:
    def draw(canvas: Canvas, top: float) -> None:
        canvas.setStrokeColor(RED)
        for y, thickness in ((top - 1.2 * scale, 2.4 * scale), (top - 4.4 * scale, 0.8 * scale)):
            canvas.setLineWidth(thickness)
            canvas.line(left, y, right, y)
        canvas.setStrokeColor(black)

    return _Block(5 * scale, draw)


def _spread(canvas: Canvas, label: str, font: str, size: float, x: float, y: float, width: float) -> None:
    """A label justified across width ("一级指标" spans the whole label column)."""
    space = (width - _width(label, font, size)) / max(1, len(label) - 1)
    canvas.setFont(font, size)
    canvas.drawString(x, y, label, charSpace=max(0, space))


def _rows(rows, fonts_: Fonts, left: float, right: float, label_width: float, scale: float, pad: float) -> _Block:
    """Label / underlined value rows. rows: (label, value, size, smallest size, max lines)."""
    value_x = left + label_width + 4 * mm * scale
    laid = []
    for label, value, size, smallest, lines in rows:
        size, wrapped = _fit(value, fonts_.body, size * scale, smallest * scale, right - value_x - 1 * mm, lines)
        laid.append((label, wrapped, size, 1.5 * size, 13 * scale))
    heights = [2 * pad * scale + len(wrapped) * leading for _, wrapped, _, leading, _ in laid]

    def draw(canvas: Canvas, top: float) -> None:
        for (label, wrapped, size, leading, label_size), height in zip(laid, heights, strict=True):
            first = _baseline(top - pad * scale, leading, size)
            _spread(canvas, label, fonts_.heading, label_size, left, first, label_width)
            canvas.setFont(fonts_.body, size)
            for n, line in enumerate(wrapped):
                canvas.drawString(value_x + 1 * mm, first - n * leading, line)
            canvas.setLineWidth(0.6)
            canvas.line(value_x, top - height, right, top - height)
            top -= height

    return _Block(sum(heights), draw)


def _volume(number: int, count: int, font: str, body: str, centre: float, scale: float) -> _Block:
    size, count_size = 40 * scale, 16 * scale
    number_text, count_text = f"第{number}册", f"共{count}册"
    space = 0.1 * size
    box_w = _width(number_text, font, size, space) - space + 24 * mm * scale
    box_h = 1.2 * size + 6 * mm * scale

    def draw(canvas: Canvas, top: float) -> None:
        canvas.setLineWidth(1.8 * scale)
        canvas.rect(centre - box_w / 2, top - box_h, box_w, box_h)
        _centred([number_text], font, size, box_h, space, centre).draw(canvas, top)
        _centred([count_text], body, count_size, 1.4 * count_size, 0.2 * count_size, centre).draw(
            canvas, top - box_h - 4 * mm * scale
        )

    return _Block(box_h + 4 * mm * scale + 1.4 * count_size, draw)


def _cover_blocks(cover: VolumeCover, f: Fonts, left: float, right: float, scale: float):
    centre, width = (left + right) / 2, right - left
    campaign_size, campaign = _fit(cover.campaign, f.heading, 16 * scale, 11 * scale, width, 2, 0.12)
    title_size, title = _fit(cover.title, f.heading, 22 * scale, 14 * scale, width - 8 * mm, 3)
    top = [
        _centred(campaign, f.heading, campaign_size, 1.5 * campaign_size, 0.12 * campaign_size, centre),
        _gap(9 * mm * scale),
        _centred(["佐证材料"], f.heading, 40 * scale, 48 * scale, 0.5 * 40 * scale, centre),
        _gap(5 * mm * scale),
        _rule(left + 6 * mm, right - 6 * mm, scale),
        _gap(8 * mm * scale),
        _centred(title, f.heading, title_size, 1.45 * title_size, 0, centre),
        _gap(10 * mm * scale),
    ]
    path = [(LEVELS[i] if i < len(LEVELS) else "指标", text, 13, 10, 2) for i, text in enumerate(cover.indicator_path)]
    if path:
        top.append(_rows(path, f, left, right, 24 * mm * scale, scale, 1.2 * mm))
    # A cover names a dozen units at most; more would crowd out the volume number.
    units = "、".join(cover.units[:12]) + (f"等{len(cover.units)}个单位" if len(cover.units) > 12 else "")
    d = cover.compiled_on
    foot = [
        ("责任单位", units, 12, 9, 5),
        ("文件数量", f"{cover.file_count} 件", 13, 10, 1),
        ("编制单位", cover.compiled_by, 13, 10, 2),
        ("编制日期", f"{d.year}年{d.month}月{d.day}日", 13, 10, 1),
    ]
    volume = _volume(cover.volume_number, cover.volume_count, f.heading, f.body, centre, scale)
    return top, volume, _rows(foot, f, left, right, 26 * mm * scale, scale, 1.5 * mm)


def cover_pdf(cover: VolumeCover) -> bytes:
    """The volume's cover (封面) as a one-page A4 PDF: an archive-box face with campaign, title,
    indicator path, 第N册/共M册, units, file count, compiled by/on. Long texts shrink to stay on it."""
    f = fonts()
    page_w, page_h = A4
    frame_x, frame_y, frame_w, frame_h = 18 * mm, page_h - 14 * mm - 265 * mm, 178 * mm, 265 * mm
    inset = 2.2 + 1.6 * mm + 0.3  # outer line, gap, inner line: centre of the inner rule
    inner_x, inner_y, inner_w, inner_h = frame_x + inset, frame_y + inset, frame_w - 2 * inset, frame_h - 2 * inset
    left, right = inner_x + 14 * mm, inner_x + inner_w - 14 * mm
    content_top, content_bottom = inner_y + inner_h - 16 * mm, inner_y + 14 * mm
    for scale in (1.0, 0.92, 0.85, 0.78, 0.72, 0.66, 0.6, 0.55, 0.5):  # shrink until everything fits
        top, volume, foot = _cover_blocks(cover, f, left, right, scale)
        free = content_top - content_bottom - sum(b.height for b in top) - foot.height - volume.height
        if free >= 8 * mm * scale:
            break
    buffer = io.BytesIO()
    canvas = _Canvas(buffer, pagesize=A4)
    canvas.setTitle(f"封面 — {cover.title}")
    canvas.setAuthor(cover.compiled_by)
    canvas.setLineWidth(2.2)
    canvas.rect(frame_x + 1.1, frame_y + 1.1, frame_w - 2.2, frame_h - 2.2)
    canvas.setLineWidth(0.6)
    canvas.rect(inner_x, inner_y, inner_w, inner_h)
    y = content_top
    for block in top:
        block.draw(canvas, y)
        y -= block.height
    # The volume number takes the middle of what is left, a little above centre like on a box label.
    volume.draw(canvas, y - max(0, free) * 0.45)
    foot.draw(canvas, content_bottom + foot.height)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


# --- 目录 ----------------------------------------------------------------------------------------


# Columns of the 目录: (heading, width, font size, centred). Cells are plain strings wrapped here and the
# table is drawn straight on the canvas: a 20,000-file package has 20,000 目录 rows, which reportlab's
# Table took ~0.2 ms each to lay out and draw (and as long again to split across pages).
TOC_COLUMNS = (("序号", 11 * mm, 10, True), ("单位", 26 * mm, 10, True), ("材料", 56 * mm, 10.5, False))
TOC_COLUMNS += (("文件", 39 * mm, 8.5, False), ("审核通过", 20 * mm, 8.5, True), ("页码", 18 * mm, 10, True))
_TOC_WIDTH = sum(width for _h, width, _s, _c in TOC_COLUMNS)
_TOC_LEFT, _TOC_TOP, _TOC_BOTTOM = 22 * mm, A4[1] - 22 * mm, 24 * mm  # the stamped page number sits at ~8 mm
_PAD_X, _PAD_Y, _LINE = 1.6 * mm, 1.4 * mm, 0.6
_HEADER_FONT, _HEADER_LEADING = 10.5, 14
_DATE_COLUMN = 4  # 审核通过, in grey


@dataclass(frozen=True)
class _TocRow:
    cells: tuple[tuple[str, ...], ...]  # the wrapped lines of each column
    height: float
    header: bool = False
    span: bool = False  # one cell across the table ("本册无材料")


def _toc_rows(entries: list[TocEntry], f: Fonts) -> list[_TocRow]:
    headings = tuple((heading,) for heading, *_ in TOC_COLUMNS)
    rows = [_TocRow(headings, _HEADER_LEADING + 2 * _PAD_Y, header=True)]
    for e in entries:
        page = str(e.start_page) if e.start_page is not None else (e.note or "原件附后")
        if e.note and e.start_page is not None:
            page = f"{page}\n{e.note}"
        texts = (str(e.number), e.unit, e.title, e.file_name, e.approved_at, page)
        cells = tuple(
            tuple(line for part in text.split("\n") for line in _wrap(part, f.body, size, width - 2 * _PAD_X))
            for text, (_h, width, size, _c) in zip(texts, TOC_COLUMNS, strict=True)
        )
        height = max(len(lines) * 1.35 * size for lines, (_h, _w, size, _c) in zip(cells, TOC_COLUMNS, strict=True))
        rows.append(_TocRow(cells, height + 2 * _PAD_Y))
    if not entries:
        rows.append(_TocRow((("（本册无材料）",),), 10 * 1.35 + 2 * _PAD_Y, span=True))
    return rows


def _toc_title(cover: VolumeCover, f: Fonts) -> list[_Block]:
    centre = _TOC_LEFT + _TOC_WIDTH / 2
    subtitle = f"{cover.county} · 第{cover.volume_number}册（共{cover.volume_count}册） · {cover.title}"
    return [
        _centred(["目录"], f.heading, 22, 1.3 * 22, 22, centre),
        _gap(3 * mm),
        _centred(list(_wrap(subtitle, f.body, 12, _TOC_WIDTH)), f.body, 12, 18, 0, centre),
        _gap(5 * mm),
    ]


def _toc_pages(title: list[_Block], rows: list[_TocRow], note: bool) -> list[list[_TocRow]]:
    """The body rows page by page: the title on the first, the header row on every one, a row never
    split (one taller than a page gets a page of its own), and room for the footnote on the last."""
    header, body = rows[0], rows[1:]
    pages, page = [], []
    free = _TOC_TOP - _TOC_BOTTOM - sum(b.height for b in title) - header.height
    for row in body:
        if page and row.height > free:
            pages.append(page)
            page, free = [], _TOC_TOP - _TOC_BOTTOM - header.height
        page.append(row)
        free -= row.height
    pages.append(page)
    if note and free < _TOC_NOTE_HEIGHT:
        pages.append([])  # the footnote alone on a last page, under the header
    return pages


_TOC_NOTE = "注：页码栏标“原件附后”的材料未并入本册 PDF，原件按文件名随册附后。"
_TOC_NOTE_HEIGHT = 4 * mm + 14


class _PageText:
    """A page's text as one text object, the font set only when it changes: drawString makes a text
    object per string, which was a third of the 目录's time at 20,000 rows."""

    def __init__(self, canvas: Canvas):
        self.canvas, self.text, self.font = canvas, canvas.beginText(), None

    def line(self, x: float, y: float, line: str, font: str, size: float) -> None:
        if self.font != (font, size):
            self.text.setFont(font, size)
            self.font = (font, size)
        self.text.setTextOrigin(x, y)
        self.text.textOut(line)

    def fill(self, colour: Color) -> None:
        self.text.setFillColor(colour)

    def draw(self) -> None:
        self.canvas.drawText(self.text)


def _draw_toc_row(canvas: Canvas, text: _PageText, row: _TocRow, top: float, f: Fonts) -> None:
    """The row's header shading on the canvas, its cells' lines into the page's text."""
    if row.header:
        canvas.setFillColor(Color(0.93, 0.93, 0.93))
        canvas.rect(_TOC_LEFT, top - row.height, _TOC_WIDTH, row.height, stroke=0, fill=1)
        canvas.setFillColor(black)
    columns = TOC_COLUMNS if not row.span else (("", _TOC_WIDTH, 10, True),)
    x = _TOC_LEFT
    for index, (lines, (_h, column_width, size, centred)) in enumerate(zip(row.cells, columns, strict=False)):
        font, size = (f.heading, _HEADER_FONT) if row.header else (f.body, size)
        leading = _HEADER_LEADING if row.header else 1.35 * size
        grey = index == _DATE_COLUMN and not row.header and not row.span
        if grey:
            text.fill(GREY)
        line_top = top - (row.height - len(lines) * leading) / 2  # centred in the row
        for n, line in enumerate(lines):
            y = _baseline(line_top - n * leading, leading, size)
            if centred or row.header:
                text.line(x + column_width / 2 - _width(line, font, size) / 2, y, line, font, size)
            else:
                text.line(x + _PAD_X, y, line, font, size)
        if grey:
            text.fill(black)
        x += column_width


def _draw_toc_grid(canvas: Canvas, rows: list[_TocRow], top: float) -> None:
    canvas.setLineWidth(_LINE)
    y = top
    canvas.line(_TOC_LEFT, y, _TOC_LEFT + _TOC_WIDTH, y)
    for row in rows:
        y -= row.height
        canvas.line(_TOC_LEFT, y, _TOC_LEFT + _TOC_WIDTH, y)
    # Column lines stop above a row spanning the table (the last and only row of an empty 目录).
    inner_bottom = y + (rows[-1].height if rows[-1].span else 0)
    x = _TOC_LEFT
    canvas.line(x, top, x, y)
    for n, (_h, column_width, _s, _c) in enumerate(TOC_COLUMNS, start=1):
        x += column_width
        canvas.line(x, top, x, y if n == len(TOC_COLUMNS) else inner_bottom)


def _toc_layout(cover: VolumeCover, entries: list[TocEntry]):
    f = fonts()
    rows = _toc_rows(entries, f)
    title = _toc_title(cover, f)
    note = any(e.start_page is None for e in entries)
    return f, rows, title, note, _toc_pages(title, rows, note)


def toc_page_count(cover: VolumeCover, entries: list[TocEntry]) -> int:
    """How many pages toc_pdf(cover, entries) takes, without drawing it. The merged PDF's start pages
    follow the 目录, so they are known only once its length is; they do not change it (a page number
    fits its column on one line)."""
    *_, pages = _toc_layout(cover, entries)
    return len(pages)


def toc_pdf(cover: VolumeCover, entries: list[TocEntry]) -> bytes:
    """The volume's 目录 as an A4 table (序号, 单位, 材料, 文件, 审核通过, 页码) that may span several pages;
    the header row repeats on each page and rows are never split.

    页码 is the entry's start page in the merged PDF, else its note (default "原件附后")."""
    f, rows, title, note, pages = _toc_layout(cover, entries)
    buffer = io.BytesIO()
    canvas = _Canvas(buffer, pagesize=A4)
    canvas.setTitle(f"目录 — {cover.title}")
    canvas.setAuthor(cover.compiled_by)
    for number, page in enumerate(pages, start=1):
        top = _TOC_TOP
        if number == 1:
            for block in title:
                block.draw(canvas, top)
                top -= block.height
        shown = [rows[0], *page]
        row_top, text = top, _PageText(canvas)
        for row in shown:
            _draw_toc_row(canvas, text, row, row_top, f)
            row_top -= row.height
        text.draw()
        _draw_toc_grid(canvas, shown, top)  # over the header's shading
        top = row_top
        if number == len(pages) and note:
            canvas.setFont(f.body, 10)
            canvas.setFillColor(GREY)
            canvas.drawString(_TOC_LEFT, _baseline(top - 4 * mm, 14, 10), _TOC_NOTE)
            canvas.setFillColor(black)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()
