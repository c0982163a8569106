"""Article text: sanitising what people type or paste, and turning it into renderable blocks.

Offices paste from Word (HTML) or type plain text; either way the stored body is a small, safe
HTML subset: paragraphs, sub-headings, lists, emphasis. Scripts, event handlers, styles and every
<img> are removed — pictures are uploaded separately, stored by content and type-checked, so no
external image can ever be pulled into a bulletin.
"""

import html
import re
from html.parser import HTMLParser

import nh3
from django.utils.translation import gettext as _

ALLOWED_TAGS = {"p", "br", "strong", "b", "em", "i", "u", "h3", "h4", "ul", "ol", "li", "blockquote"}
MAX_CHARS = 30000  # about 25 printed pages; a whole report belongs in the column, not in a bulletin
PLACEHOLDER = re.compile(r"^[\[【]图\s*(\d+)[\]】]$")


def sanitize(text: str) -> str:
    """Safe body HTML from plain text (blank lines separate paragraphs) or pasted HTML."""
    text = (text or "").replace("\r\n", "\n").strip()
    if not re.search(r"<\s*(p|br|div|h\d|ul|ol|li|strong|b|em|span|table|img|script)\b", text, re.I):
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n|\n", text) if p.strip()]
        return "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    cleaned = nh3.clean(text, tags=ALLOWED_TAGS, attributes={}, strip_comments=True).strip()
    if not re.search(r"<(p|h3|h4|ul|ol|li|blockquote)\b", cleaned):
        # Inline markup only: lines are still the paragraphs.
        return "".join(f"<p>{line.strip()}</p>" for line in cleaned.split("\n") if line.strip())
    return cleaned


def check_length(body_html: str) -> None:
    from django.core.exceptions import ValidationError

    length = len(re.sub(r"<[^>]+>", "", body_html))
    if length > MAX_CHARS:
        raise ValidationError(
            {
                "body": _("正文有 %(n)d 字，超过单篇 %(max)d 字的上限。请精简，或作为专栏文章发布。")
                % {"n": length, "max": MAX_CHARS}
            }
        )


class _Blocks(HTMLParser):
    """Collect (kind, text) blocks from the sanitised subset."""

    BLOCK = {"p": "p", "li": "p", "blockquote": "p", "h3": "h", "h4": "h"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[str, str]] = []
        self.kind: str | None = None
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.BLOCK:
            self._flush()
            self.kind = self.BLOCK[tag]
        elif tag == "br":
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self.BLOCK:
            self._flush()

    def handle_data(self, data):
        self.parts.append(data)

    def _flush(self):
        text = "".join(self.parts).strip()
        if text:
            self.blocks.append((self.kind or "p", text))
        self.parts, self.kind = [], None

    def close(self):
        super().close()
        self._flush()


def body_blocks(body_html: str, images: list) -> list[tuple]:
    """Blocks for the renderers: paragraphs and headings in order, each image where a 【图N】
    placeholder paragraph stands, the rest of the images after the text."""
    parser = _Blocks()
    parser.feed(body_html or "")
    parser.close()
    blocks, used = [], set()
    for kind, text in parser.blocks:
        match = PLACEHOLDER.match(text)
        if match and 0 < int(match.group(1)) <= len(images):
            index = int(match.group(1)) - 1
            blocks.append(("img", images[index]))
            used.add(index)
        else:
            blocks.append((kind, text))
    blocks += [("img", image) for i, image in enumerate(images) if i not in used]
    return blocks


def plain_text(body_html: str) -> str:
    parser = _Blocks()
    parser.feed(body_html or "")
    parser.close()
    return "\n\n".join(text for _kind, text in parser.blocks)
