"""Photos and scans as PDF pages for the merged volume PDF: one PDF per volume with a page per image,
written by hand.

A package holds thousands of photos. Making each one a PDF of its own with pikepdf cost more than
everything else in a merged volume; an image page is a fixed, tiny structure (the page, its picture,
a content stream placing it), so it is written directly, and an upright JPEG's bytes are copied from
its file as they are (DCT passthrough: never decoded). qpdf then takes the pages from this one file.
Deterministic: no dates, no IDs; the same images give the same bytes.
"""

import io
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from PIL import Image, ImageOps, UnidentifiedImageError
from reportlab.lib.pagesizes import A4

IMAGE_MARGIN = 15 * 72 / 25.4  # the stamped page number sits in the bottom margin, clear of the picture
MAX_IMAGE_PIXELS = 3600  # ~300 dpi over A4's long side: sharp in print, no 50 MB phone photos


class UnreadableImage(ValueError):
    """Pillow cannot read the image; str() says why."""


@dataclass(frozen=True)
class Picture:
    """An image as it goes into a page: its encoded stream, or None for the file's own bytes."""

    width: int
    height: int
    gray: bool
    filter: str  # "DCTDecode" or "FlateDecode"
    length: int
    data: bytes | None


def picture(source: Path | bytes) -> Picture:
    """How an image goes into a page. An upright RGB or grey JPEG of sensible size goes in as it is: its
    header is read, its pixels never decoded. Anything else is decoded: EXIF rotation applied,
    transparency flattened on white, oversized pictures scaled down, then stored as JPEG (if it was
    one: a re-encoded photo stays small) or losslessly (Flate). UnreadableImage if it is no image."""
    try:
        with Image.open(io.BytesIO(source) if isinstance(source, bytes) else source) as original:
            upright = original.getexif().get(0x0112, 1) == 1  # EXIF orientation: no turn needed
            is_jpeg, mode, size = original.format == "JPEG", original.mode, original.size
            if is_jpeg and upright and mode in ("RGB", "L") and max(size) <= MAX_IMAGE_PIXELS:
                length = len(source) if isinstance(source, bytes) else Path(source).stat().st_size
                return Picture(*size, mode == "L", "DCTDecode", length, source if isinstance(source, bytes) else None)
            image = ImageOps.exif_transpose(original)
            image.load()
    except FileNotFoundError:
        raise  # a lost file, not a bad image: the export fails with it
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise UnreadableImage(str(exc)) from exc
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        background = Image.new("RGB", image.size, "white")
        background.paste(image.convert("RGBA"), mask=image.convert("RGBA").getchannel("A"))
        image = background
    elif image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    if max(image.size) > MAX_IMAGE_PIXELS:
        image.thumbnail((MAX_IMAGE_PIXELS, MAX_IMAGE_PIXELS), Image.Resampling.LANCZOS)
    if is_jpeg:
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=88, optimize=True)  # same pixels, same Pillow → same bytes
        data, kind = buffer.getvalue(), "DCTDecode"
    else:
        data, kind = zlib.compress(image.tobytes(), 6), "FlateDecode"
    return Picture(*image.size, image.mode == "L", kind, len(data), data)


class ImagePages:
    """Writes a PDF into ``out`` (a binary file, written front to back), one A4 page per image added:
    portrait or landscape following the picture, the picture fitted inside the margins. A4 rather
    than the image's own size: phone photos at 72 dpi would make pages over a metre wide."""

    def __init__(self, out: BinaryIO):
        self._out = out
        self._position = 0
        self._offsets: list[int] = []  # of objects 1, 2, …
        self._pages: list[int] = []  # object numbers of the pages
        self._emit(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        self._object(b"<< /Type /Catalog /Pages 2 0 R >>")
        self._offsets.append(0)  # object 2, the page tree, goes last: it lists every page

    def add(self, source: Path | bytes) -> None:
        """A page showing the image at ``source`` (a path or the image's bytes); UnreadableImage."""
        found = picture(source)
        page_w, page_h = A4 if found.height >= found.width else (A4[1], A4[0])
        scale = min((page_w - 2 * IMAGE_MARGIN) / found.width, (page_h - 2 * IMAGE_MARGIN) / found.height)
        draw_w, draw_h = found.width * scale, found.height * scale
        page = len(self._offsets) + 1
        self._pages.append(page)
        self._object(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f] /Resources << /XObject << /Im0 %d 0 R >> >>"
            b" /Contents %d 0 R >>" % (page_w, page_h, page + 1, page + 2)
        )
        head = b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /%s /BitsPerComponent 8" % (
            found.width,
            found.height,
            b"DeviceGray" if found.gray else b"DeviceRGB",
        )
        self._stream(head + b" /Filter /%s" % found.filter.encode(), found.length, found.data, source)
        place = b"q %.2f 0 0 %.2f %.2f %.2f cm /Im0 Do Q" % (
            draw_w,
            draw_h,
            (page_w - draw_w) / 2,
            (page_h - draw_h) / 2,
        )
        self._stream(b"<<", len(place), place, None)

    def close(self) -> None:
        """The page tree, the cross-reference table and the trailer."""
        kids = b" ".join(b"%d 0 R" % page for page in self._pages)
        self._offsets[1] = self._position
        self._emit(b"2 0 obj\n<< /Type /Pages /Kids [%s] /Count %d >>\nendobj\n" % (kids, len(self._pages)))
        xref = self._position
        rows = b"".join(b"%010d 00000 n \n" % offset for offset in self._offsets)
        self._emit(b"xref\n0 %d\n0000000000 65535 f \n%s" % (len(self._offsets) + 1, rows))
        self._emit(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(self._offsets) + 1, xref))

    def _emit(self, data: bytes) -> None:
        self._out.write(data)
        self._position += len(data)

    def _object(self, body: bytes) -> None:
        self._offsets.append(self._position)
        self._emit(b"%d 0 obj\n%s\nendobj\n" % (len(self._offsets), body))

    def _stream(self, head: bytes, length: int, data: bytes | None, source) -> None:
        """A stream object: ``head`` is its dictionary without the closing ``>>`` and /Length."""
        self._offsets.append(self._position)
        self._emit(b"%d 0 obj\n%s /Length %d >>\nstream\n" % (len(self._offsets), head, length))
        if data is not None:
            self._emit(data)
        else:
            copied = 0
            with Path(source).open("rb") as handle:
                while chunk := handle.read(1024 * 1024):
                    self._out.write(chunk)
                    copied += len(chunk)
            if copied != length:  # the /Length and every offset after it would be wrong
                raise UnreadableImage(f"file changed while read ({copied} of {length} bytes)")
            self._position += copied
        self._emit(b"\nendstream\nendobj\n")


def image_to_pdf(data: bytes) -> bytes:
    """A one-page PDF of the image (see ImagePages); UnreadableImage if it is no image."""
    buffer = io.BytesIO()
    pages = ImagePages(buffer)
    pages.add(data)
    pages.close()
    return buffer.getvalue()
