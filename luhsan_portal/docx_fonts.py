"""Helpers for generated Word files (feedback lists, bulletins, supervision and progress reports):
the official A4 page, Chinese fonts, text XML can hold, fixed-width tables.

Word and WPS choose the face for Chinese text from w:eastAsia, and look in the font table's
w:altName when a face (方正小标宋简体 on a plain Windows install) is missing; python-docx has an API
for neither, hence the raw XML here.
"""

import re

from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.oxml import serialize_part_xml
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn
from docx.shared import Cm

# XML 1.0 forbids these: one stray character pasted into a reason or a finding must not break the file.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def docx_text(text: str | None) -> str:
    """Text fit for a Word file: line breaks made "\\n", characters XML cannot hold dropped."""
    return _ILLEGAL_XML.sub("", (text or "").replace("\r\n", "\n").replace("\r", "\n"))


def official_page(document, body_font: str, fallbacks):
    """A4 with the margins of official documents (GB/T 9704), body text in ``body_font`` and Chinese
    language rules; ``fallbacks`` are (font, stand-in) pairs for machines without the official faces.
    Returns the section, for footers and the like."""
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    # The template's defaults point East Asian text at a Japanese theme font and en-US rules.
    defaults = document.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    set_fonts(defaults, body_font)
    defaults.find(qn("w:lang")).set(qn("w:eastAsia"), "zh-CN")
    register_fallbacks(document, fallbacks)
    return section


def fixed_table(document, widths_cm, rows: int = 0):
    """A centred "Table Grid" table with fixed column widths. Readers differ on whether table, grid
    or cell widths win: all three are made to agree."""
    table = document.add_table(rows=rows, cols=len(widths_cm))
    table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    total = sum(Cm(width).twips for width in widths_cm)
    table._tbl.tblPr.find(qn("w:tblW")).attrib.update({qn("w:type"): "dxa", qn("w:w"): str(total)})
    for column, width in zip(table.columns, widths_cm, strict=True):
        column.width = Cm(width)
    return table


def set_fonts(rpr, name: str) -> None:
    """Make a run's (or a style's) every script use ``name``; the theme attributes would override it."""
    fonts = rpr.get_or_add_rFonts()
    for attr in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
        fonts.attrib.pop(qn(f"w:{attr}"), None)
    for attr in ("ascii", "hAnsi", "eastAsia", "cs"):
        fonts.set(qn(f"w:{attr}"), name)


def register_fallbacks(document, fallbacks) -> None:
    """Name a stand-in for each (font, fallback) pair in the document's font table."""
    part = document.part.part_related_by(RT.FONT_TABLE)
    root = parse_xml(part.blob)
    for name, fallback in fallbacks:
        font = OxmlElement("w:font", {qn("w:name"): name})
        # GB2312 charset (86) tells Word which script the font is for when choosing a stand-in.
        for tag, value in (("altName", fallback), ("charset", "86"), ("family", "auto"), ("pitch", "variable")):
            font.append(OxmlElement(f"w:{tag}", {qn("w:val"): value}))
        root.append(font)
    part._blob = serialize_part_xml(root)
