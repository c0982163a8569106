"""The work bulletin (工作简报) as a web preview, a print-ready PDF and an editable Word file.

Pure functions over plain data: the caller turns a Bulletin and its items into BulletinData
(see bulletins.content.body_blocks for the blocks), so nothing here touches the database and the
tests need none. Markup and CSS live in templates/bulletins/print.html and
static/css/bulletin_print.css; the Word file is built with python-docx and mirrors the same layout
(red masthead, red rule, 目录, articles, 版记 box), using real fonts, paragraphs and no text boxes so
that the office can still edit it in WPS or Word.
"""

import base64
import io
import re
from dataclasses import dataclass
from datetime import date

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from PIL import Image, ImageOps

from luhsan_portal.docx_fonts import docx_text, official_page, set_fonts

TEMPLATE = "bulletins/print.html"
STYLESHEET = "css/bulletin_print.css"
RED = RGBColor(0xC8, 0x10, 0x2E)
TITLE_FONT, TITLE_FALLBACK = "方正小标宋简体", "宋体"
BODY_FONT, BODY_FALLBACK = "仿宋_GB2312", "仿宋"
HEADING_FONT = "黑体"
CONTENTS_HEADING = "工作动态"
# Text block of an A4 official document (GB/T 9704): 156 mm wide; pictures stop at 9 cm high so
# that one never fills a page. Word gets a little slack (15 cm) for WPS's differing margins.
PDF_BOX_MM, DOCX_BOX_CM = (156, 90), (15, 9)
MAX_PIXELS = 2400  # ~390 dpi across the text width: sharp in print, no 20 MB phone photos inside
_PX_PER_MM = 96 / 25.4  # CSS px, which WeasyPrint and browsers use for <img width/height>
# Children of w:pPr that this module sets and that the schema puts after w:pBdr (Word rejects a
# pPr out of order; keepNext and keepLines come before it).
_AFTER_PBDR = ("w:shd", "w:tabs", "w:spacing", "w:ind", "w:jc", "w:outlineLvl", "w:rPr", "w:sectPr")
_AFTER_SPACING = ("w:w", "w:kern", "w:position", "w:sz", "w:szCs", "w:highlight", "w:u", "w:lang")  # in w:rPr
# A space between two Chinese characters in a headline is where the author broke the title in two
# ("…年度关键词 回答我们的2023"); a space next to a Latin word or a number is just a space.
_HEADLINE_BREAK = re.compile(r"(?<=[\u3000-\u9fff\uff00-\uffef])[ \u3000]+(?=[\u3000-\u9fff\uff00-\uffef])")


@dataclass(frozen=True)
class ImageData:
    data: bytes  # PNG or JPEG bytes
    content_type: str  # "image/png" or "image/jpeg"
    caption: str = ""


# A block of an article: ("p", text) a paragraph, ("h", text) a sub-heading, ("img", ImageData) an image.
Block = tuple[str, "str | ImageData"]


@dataclass(frozen=True)
class ItemData:
    headline: str
    blocks: list[Block]


@dataclass(frozen=True)
class BulletinData:
    title_line: str
    number: int | None  # None: a draft, printed as "（草稿，未编号）"
    office: str
    issue_date: date
    items: list[ItemData]
    bao: str
    song: str
    fa: str
    editors: str
    copies: int | None
    correction_note: str = ""
    revision: int = 1


@dataclass(frozen=True)
class _Picture:
    data: bytes
    content_type: str
    width: int  # pixels, after EXIF rotation
    height: int


# --- shared wording and pictures ---


def _clean(text: str, strip: bool = True) -> str:
    text = docx_text(text)
    return text.strip() if strip else text


def _masthead(title_line: str) -> tuple[str, str]:
    """(name, kind): "鲁山县…示范县 工作简报" prints the name on one line and 工作简报 bigger below."""
    parts = re.split(r"[\s\u3000]+", _clean(title_line))
    if len(parts) > 1:
        return "".join(parts[:-1]), parts[-1]
    title = parts[0]
    for kind in ("工作简报", "简报"):
        if title.endswith(kind) and title != kind:
            return title[: -len(kind)], kind
    return "", title


def _headline(text: str) -> str:
    return _HEADLINE_BREAK.sub("\n", _clean(text))


def _contents_line(text: str) -> str:
    return "○" + " ".join(_clean(text).split())


def _issue(data: BulletinData) -> str:
    number = "（草稿，未编号）" if data.number is None else f"第{data.number}期"
    return number + (f"（第{data.revision}次修订）" if data.revision > 1 else "")


def _cn_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _copies(data: BulletinData) -> str:
    return "" if data.copies is None else f"（共印{data.copies}份）"


def _distribution(data: BulletinData) -> list[tuple[str, str]]:
    lines = (("报：", data.bao), ("送：", data.song), ("发：", data.fa))
    return [(label, _clean(text)) for label, text in lines if _clean(text)]  # an empty line is left out


def _picture(data: bytes, content_type: str) -> _Picture | None:
    """The image upright (phones store rotation in EXIF, python-docx ignores it) and at most
    MAX_PIXELS on its long side; None if Pillow cannot read it, so one bad file loses one picture,
    not the whole bulletin."""
    try:
        with Image.open(io.BytesIO(data)) as original:
            original.load()
            upright_already = original.getexif().get(0x0112, 1) == 1  # EXIF orientation tag
            if upright_already and max(original.size) <= MAX_PIXELS and original.format in ("JPEG", "PNG"):
                return _Picture(data, f"image/{original.format.lower()}", *original.size)  # as uploaded
            upright = ImageOps.exif_transpose(original)
            upright.thumbnail((MAX_PIXELS, MAX_PIXELS))
            jpeg = original.format == "JPEG" or content_type == "image/jpeg"
            buffer = io.BytesIO()
            if jpeg:
                upright.convert("RGB").save(buffer, "JPEG", quality=88, optimize=True)
            else:
                upright.save(buffer, "PNG", optimize=True)
            return _Picture(buffer.getvalue(), "image/jpeg" if jpeg else "image/png", *upright.size)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return None


def _fit(picture: _Picture, box: tuple[float, float]) -> tuple[float, float]:
    """Scale to the text width, unless that makes the picture taller than the box allows."""
    scale = min(box[0] / picture.width, box[1] / picture.height)
    return picture.width * scale, picture.height * scale


# --- HTML and PDF ---


def _context(data: BulletinData, image_url, *, standalone: bool) -> dict:
    name, kind = _masthead(data.title_line)
    items = []
    for item_index, item in enumerate(data.items):
        blocks = []
        for block_index, (block_kind, value) in enumerate(item.blocks):
            if block_kind != "img":
                blocks.append({"kind": block_kind, "text": _clean(value)})
                continue
            picture = _picture(value.data, value.content_type)
            block = {"kind": "img", "caption": _clean(value.caption), "src": None}
            if picture is not None:
                width, height = _fit(picture, PDF_BOX_MM)
                block["width"], block["height"] = round(width * _PX_PER_MM), round(height * _PX_PER_MM)
                if image_url:
                    block["src"] = image_url((item_index, block_index))
                else:
                    block["src"] = f"data:{picture.content_type};base64,{base64.b64encode(picture.data).decode()}"
            blocks.append(block)
        items.append(
            {"headline": _headline(item.headline), "contents_line": _contents_line(item.headline), "blocks": blocks}
        )
    return {
        "standalone": standalone,
        "masthead_name": name,
        "masthead_kind": kind,
        "issue": _issue(data),
        "draft": data.number is None,
        "office": _clean(data.office),
        "date": _cn_date(data.issue_date),
        "contents_heading": CONTENTS_HEADING,
        "items": items,
        "correction_note": _clean(data.correction_note),
        "distribution": _distribution(data),
        "editors": _clean(data.editors),
        "copies": _copies(data),
    }


def bulletin_html(data: BulletinData, *, image_url=None) -> str:
    """The bulletin as an HTML fragment for the web preview: the same markup as the PDF, styled by
    static/css/bulletin_print.css (linked from the fragment). Images are inline data: URIs unless
    image_url is given; it is called with (item_index, block_index) and returns the image's URL."""
    return render_to_string(TEMPLATE, _context(data, image_url, standalone=False))


def _stylesheet() -> str:
    path = finders.find(STYLESHEET)
    if path is None:  # a deployment without the project's static/ folder: say so, not TypeError
        raise FileNotFoundError(f"{STYLESHEET} not found by the staticfiles finders")
    with open(path, encoding="utf-8") as file:
        return file.read()


def bulletin_pdf(data: BulletinData) -> bytes:
    """The bulletin as a print-ready A4 PDF (WeasyPrint), with embedded CJK fonts and real text."""
    # Imported here: WeasyPrint loads Pango and fontconfig, which the web preview never needs.
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import URLFetcher

    # Only data: URIs may load, so no text in a bulletin can make the server fetch a URL.
    fetcher = URLFetcher(allowed_protocols={"data"})
    fonts = FontConfiguration()
    html = render_to_string(TEMPLATE, _context(data, None, standalone=True))
    css = CSS(string=_stylesheet(), font_config=fonts, url_fetcher=fetcher)
    document = HTML(string=html, base_url="about:blank", url_fetcher=fetcher)
    # presentational_hints: the computed <img width/height> attributes size the pictures.
    return document.write_pdf(stylesheets=[css], font_config=fonts, presentational_hints=True)


# --- Word ---


def _paragraph(document, align=WD_ALIGN_PARAGRAPH.LEFT, before: float = 0, after: float = 0, exact: float = 0):
    paragraph = document.add_paragraph()
    paragraph.alignment = align
    fmt = paragraph.paragraph_format
    fmt.space_before, fmt.space_after = Pt(before), Pt(after)
    if exact:  # body text sits on a fixed 29 pt line grid, as in official documents
        fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(exact)
    else:  # never "exactly" for pictures or big type: Word would clip them to the line height
        fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
    return paragraph


def _run(paragraph, text: str, font: str, size: float, *, color=None, spacing: float = 0):
    run = paragraph.add_run(_clean(text, strip=False))
    run.font.size = Pt(size)
    if color is not None:
        run.font.color.rgb = color
    rpr = run._element.get_or_add_rPr()
    set_fonts(rpr, font)
    if spacing:  # letter-spacing of the masthead, in twentieths of a point
        rpr.insert_element_before(OxmlElement("w:spacing", {qn("w:val"): str(int(spacing * 20))}), *_AFTER_SPACING)
    return run


def _border(paragraph, side: str, size_eighths: int, color: str = "000000", space: int = 1) -> None:
    ppr = paragraph._p.get_or_add_pPr()
    borders = ppr.find(qn("w:pBdr"))
    if borders is None:
        borders = ppr.insert_element_before(OxmlElement("w:pBdr"), *_AFTER_PBDR)
    attrs = {"w:val": "single", "w:sz": str(size_eighths), "w:space": str(space), "w:color": color}
    borders.append(OxmlElement(f"w:{side}", {qn(k): v for k, v in attrs.items()}))


def _right_tab(paragraph) -> None:
    paragraph.paragraph_format.tab_stops.add_tab_stop(Cm(15.6), WD_TAB_ALIGNMENT.RIGHT)


def _page_number_footer(section) -> None:
    # "— 1 —" at the bottom centre: a PAGE field between two em dashes.
    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(paragraph, "— ", "宋体", 14)
    # A simple field: Word and WPS fill in the page number; "1" is what shows before they update it.
    field = OxmlElement("w:fldSimple", {qn("w:instr"): " PAGE "})
    paragraph._p.append(field)
    field.append(_run(paragraph, "1", "宋体", 14)._r)  # moves the run into the field
    _run(paragraph, " —", "宋体", 14)


def _setup(document, data: BulletinData) -> None:
    section = official_page(document, BODY_FONT, ((TITLE_FONT, TITLE_FALLBACK), (BODY_FONT, BODY_FALLBACK)))
    section.footer_distance = Cm(2.5)
    _page_number_footer(section)
    props = document.core_properties
    props.title = f"{''.join(_masthead(data.title_line))} {_issue(data)}"
    props.author = props.last_modified_by = _clean(data.office)
    props.comments = ""


def _indented(paragraph) -> None:
    # Two characters whatever the font size: firstLineChars for Word/WPS, firstLine for other readers.
    paragraph.paragraph_format.first_line_indent = Pt(32)
    paragraph._p.pPr.find(qn("w:ind")).set(qn("w:firstLineChars"), "200")


def _docx_picture(document, image: ImageData) -> None:
    picture = _picture(image.data, image.content_type)
    if picture is not None:
        width, _height = _fit(picture, DOCX_BOX_CM)
        paragraph = _paragraph(document, WD_ALIGN_PARAGRAPH.CENTER, before=6, after=0 if image.caption else 6)
        paragraph.paragraph_format.keep_with_next = bool(image.caption)
        paragraph.add_run().add_picture(io.BytesIO(picture.data), width=Cm(width))
    if _clean(image.caption):
        _run(_paragraph(document, WD_ALIGN_PARAGRAPH.CENTER, after=6), image.caption, BODY_FONT, 12)


def bulletin_docx(data: BulletinData) -> bytes:
    """The bulletin as an editable A4 Word document with the same structure as the PDF."""
    document = Document()
    _setup(document, data)
    centre, left = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.LEFT
    name, kind = _masthead(data.title_line)
    if name:
        _run(_paragraph(document, centre), name, TITLE_FONT, 22, color=RED)
    _run(_paragraph(document, centre, after=6), kind, TITLE_FONT, 48, color=RED, spacing=6)
    _run(_paragraph(document, centre, after=12), _issue(data), BODY_FONT, 16)
    meta = _paragraph(document, left, after=18)
    _right_tab(meta)
    _run(meta, f"{_clean(data.office)}\t{_cn_date(data.issue_date)}", BODY_FONT, 14)
    _border(meta, "bottom", 24, "C8102E", space=6)  # the red rule under the masthead, 3 pt

    if data.items:
        _run(_paragraph(document, left, before=6, exact=29), CONTENTS_HEADING, HEADING_FONT, 16)
    for item in data.items:
        line = _paragraph(document, left, exact=29)
        line.paragraph_format.left_indent, line.paragraph_format.first_line_indent = Pt(16), Pt(-16)
        _run(line, _contents_line(item.headline), BODY_FONT, 16)

    for item in data.items:
        headline = _paragraph(document, centre, before=24, after=12)
        headline.paragraph_format.keep_with_next = True
        _run(headline, _headline(item.headline), TITLE_FONT, 22)  # python-docx turns "\n" into w:br
        # Outline level 1: the articles show in the navigation pane of Word and WPS (last in pPr order).
        headline._p.pPr.append(OxmlElement("w:outlineLvl", {qn("w:val"): "0"}))
        for block_kind, value in item.blocks:
            if block_kind == "img":
                _docx_picture(document, value)
            else:  # sub-headings in 黑体, kept with the text they head; text justified
                heading = block_kind == "h"
                paragraph = _paragraph(document, left if heading else WD_ALIGN_PARAGRAPH.JUSTIFY, exact=29)
                paragraph.paragraph_format.keep_with_next = heading or None
                _indented(paragraph)
                _run(paragraph, value, HEADING_FONT if heading else BODY_FONT, 16)

    if _clean(data.correction_note):
        note = _paragraph(document, left, before=12, exact=29)
        _indented(note)
        _run(note, f"更正说明：{_clean(data.correction_note)}", BODY_FONT, 14)
    _colophon(document, data)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _colophon(document, data: BulletinData) -> None:
    """The 版记 box: a rule, 报/送/发, a thin rule, 编校 and 共印N份, a rule; kept on one page.
    The rules differ in weight on purpose: Word merges identical borders of adjacent paragraphs."""
    editors = f"编校：{_clean(data.editors)}" if _clean(data.editors) else ""
    paragraphs = []
    for text in [label + text for label, text in _distribution(data)] + [f"{editors}\t{_copies(data)}"]:
        paragraph = _paragraph(document, exact=26)
        fmt = paragraph.paragraph_format
        fmt.keep_together, fmt.keep_with_next = True, True
        fmt.left_indent, fmt.first_line_indent = Pt(28), Pt(-28)  # wrapped lines align after "报："
        _run(paragraph, text, BODY_FONT, 14)
        paragraphs.append(paragraph)
    first, imprint = paragraphs[0], paragraphs[-1]
    first.paragraph_format.space_before = Pt(24)
    imprint.paragraph_format.keep_with_next = None
    _right_tab(imprint)
    _border(first, "top", 8, space=4)
    if len(paragraphs) > 1:
        _border(paragraphs[-2], "bottom", 4, space=4)
    _border(imprint, "bottom", 8, space=4)
