"""Chinese fonts in generated Word files (feedback lists, bulletins, supervision and progress reports).

Word and WPS choose the face for Chinese text from w:eastAsia, and look in the font table's
w:altName when a face (方正小标宋简体 on a plain Windows install) is missing; python-docx has an API
for neither, hence the raw XML here.
"""

import re

from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.oxml import serialize_part_xml
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn

# XML 1.0 forbids these: one stray character pasted into a reason or a finding must not break the file.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def docx_text(text: str | None) -> str:
    """Text fit for a Word file: line breaks made "\\n", characters XML cannot hold dropped."""
    return _ILLEGAL_XML.sub("", (text or "").replace("\r\n", "\n").replace("\r", "\n"))


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
