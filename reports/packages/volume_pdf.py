"""PDF parts of an exported volume (册): the cover (封面) and the 目录 (drawn in front_matter, re-exported
here), conversions of office files and images, and the merged, page-numbered PDF of the whole volume.

Pure functions over plain data, no database. Every output is deterministic — the same inputs give
byte-identical files — because the export package's hashes are compared between exports: no
creation dates, no random document IDs, no timestamps anywhere.
"""

import hashlib
import io
import os
import re
import shutil
import signal
import subprocess
import tempfile
import zipfile
import zlib
from pathlib import Path
from typing import BinaryIO

import pikepdf
from pikepdf import Name
from PIL import Image, ImageOps, UnidentifiedImageError
from reportlab import rl_config
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase.pdfmetrics import stringWidth

from reports.packages.front_matter import TocEntry, VolumeCover, cover_pdf, toc_pdf  # noqa: F401 - re-exported

# reportlab wraps binary streams in ASCII85 by default: +25 % on every embedded photo and font. This
# module and front_matter are the project's only reportlab users, so the process-wide switch is safe.
rl_config.useA85 = 0

OFFICE_SUFFIXES = {".docx", ".doc", ".xlsx", ".xls", ".pptx", ".ppt", ".wps", ".et", ".dps", ".odt", ".ods", ".rtf"}
ZIP_SUFFIXES = {".docx", ".xlsx", ".pptx", ".odt", ".ods"}
CONVERT_TIMEOUT = 120  # seconds; a stuck soffice must not hold an export worker forever
_MM = 72 / 25.4
IMAGE_MARGIN = 15 * _MM  # the stamped page number sits in the bottom margin, clear of the picture
MAX_IMAGE_PIXELS = 3600  # ~300 dpi over A4's long side: sharp in print, no 50 MB phone photos


class VolumeMergeError(Exception):
    """A part cannot go into the merged PDF (corrupt, encrypted, empty, unreadable image).

    The caller catches it and exports the volume without a merged PDF; str() is a Chinese message
    naming the part, fit for the export log."""


def office_to_pdf(path: Path, workdir: Path) -> Path | None:
    """Convert an office file (DOCX/XLSX/DOC/XLS/PPT(X)/WPS/ET…) to PDF with LibreOffice.

    Returns the PDF's path inside workdir, or None when soffice is missing, the type is not an office
    type, or the conversion fails or takes longer than CONVERT_TIMEOUT. Never raises for a failed
    conversion: the caller then lists the file as "原件附后"."""
    path = Path(path).resolve()
    return office_to_pdf_many([path], workdir)[path]


def _convertible(path: Path) -> bool:
    if path.suffix.lower() not in OFFICE_SUFFIXES or not path.is_file():
        return False
    # LibreOffice "converts" a broken DOCX as plain text (a page of zip garbage); OOXML/ODF must be zips.
    # Legacy .doc/.xls are not checked: OA systems often export HTML or RTF under those names.
    return path.suffix.lower() not in ZIP_SUFFIXES or zipfile.is_zipfile(path)


def office_to_pdf_many(paths: list[Path], workdir: Path) -> dict[Path, Path | None]:
    """Convert several office files with one LibreOffice start (starting it costs a second or two,
    converting a page-or-two document a fraction of that). Keys are the resolved input paths; the
    inputs' stems must differ (the outputs are named after them). A file that fails maps to None."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    paths = [Path(p).resolve() for p in paths]  # absolute: a name starting with "-" must not read as an option
    results: dict[Path, Path | None] = dict.fromkeys(paths)
    wanted = [p for p in paths if _convertible(p)]
    if soffice is None or not wanted:
        return results
    # A private profile per workdir: concurrent conversions sharing ~/.config/libreoffice block on its lock.
    digest = hashlib.sha256("\n".join(str(p) for p in wanted).encode()).hexdigest()[:12]
    outdir, profile = Path(workdir) / f"pdf-{digest}", Path(workdir) / "lo-profile"
    outdir.mkdir(parents=True, exist_ok=True)
    command = [soffice, f"-env:UserInstallation={profile.resolve().as_uri()}", "--headless", "--norestore"]
    command += ["--convert-to", "pdf", "--outdir", str(outdir), *(str(p) for p in wanted)]
    try:
        # Own session: soffice is a script that starts soffice.bin; on timeout the whole group is killed.
        process = subprocess.Popen(  # noqa: S603 - fixed program, file paths as single arguments
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
    except OSError:
        return results
    try:
        process.wait(timeout=CONVERT_TIMEOUT * len(wanted))
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    for path in wanted:
        result = outdir / f"{path.stem}.pdf"
        # soffice exits 0 even when it could not load a file; only a readable PDF counts.
        if not result.is_file():
            continue
        try:
            count_pages(result)
        except VolumeMergeError:
            continue
        results[path] = result
    return results


def image_to_pdf(data: bytes) -> bytes:
    """One A4 page (portrait or landscape, following the picture) with the image fitted inside the margins.

    A4 rather than the image's own size: phone photos at 72 dpi would make pages over a metre wide.
    An upright RGB or grey JPEG of sensible size goes in as it is (DCT passthrough): its header is
    read, its pixels never decoded — a package holds thousands of photos and scans. Anything else is
    decoded: EXIF rotation applied, transparency flattened on white, oversized pictures scaled down,
    then stored as JPEG (if it was one: a re-encoded photo stays small) or losslessly (Flate).
    Raises VolumeMergeError if the data is not an image Pillow can read."""
    try:
        with Image.open(io.BytesIO(data)) as original:
            upright = original.getexif().get(0x0112, 1) == 1  # EXIF orientation: no turn needed
            is_jpeg, mode, size = original.format == "JPEG", original.mode, original.size
            if is_jpeg and upright and mode in ("RGB", "L") and max(size) <= MAX_IMAGE_PIXELS:
                return _image_page(data, "/DCTDecode", size, mode)
            image = ImageOps.exif_transpose(original)
            image.load()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise VolumeMergeError(f"图片无法读取：{exc}") from exc
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
        return _image_page(buffer.getvalue(), "/DCTDecode", image.size, image.mode)
    return _image_page(zlib.compress(image.tobytes(), 6), "/FlateDecode", image.size, image.mode)


def _image_page(stream: bytes, image_filter: str, size: tuple[int, int], mode: str) -> bytes:
    """A one-page PDF showing the encoded image, centred on A4 in the picture's orientation."""
    width, height = size
    page_w, page_h = A4 if height >= width else (A4[1], A4[0])
    scale = min((page_w - 2 * IMAGE_MARGIN) / width, (page_h - 2 * IMAGE_MARGIN) / height)
    draw_w, draw_h = width * scale, height * scale
    with pikepdf.new() as pdf:
        picture = pdf.make_stream(
            stream,
            Type=Name.XObject,
            Subtype=Name.Image,
            Width=width,
            Height=height,
            ColorSpace=Name.DeviceRGB if mode == "RGB" else Name.DeviceGray,
            BitsPerComponent=8,
            Filter=Name(image_filter),
        )
        place = f"q {draw_w:.2f} 0 0 {draw_h:.2f} {(page_w - draw_w) / 2:.2f} {(page_h - draw_h) / 2:.2f} cm /Im0 Do Q"
        page = pikepdf.Dictionary(
            Type=Name.Page,
            MediaBox=[0, 0, round(page_w, 2), round(page_h, 2)],
            Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=picture)),
            Contents=pdf.make_stream(place.encode()),
        )
        pdf.pages.append(pikepdf.Page(page))
        buffer = io.BytesIO()
        # No dates and a fixed /ID: the same picture gives the same bytes. (The page only ever goes into
        # a merged volume, which drops its parts' IDs; a content MD5 would cost more than the writing.)
        pdf.save(buffer, static_id=True)
        return buffer.getvalue()


def _open(part: bytes | Path, label: str) -> pikepdf.Pdf:
    """The part opened with qpdf (a context manager), to check it and count its pages. Only the
    cross-reference table and page tree are read; a path through its open file, not memory-mapped."""
    source = io.BytesIO(part) if isinstance(part, bytes | bytearray) else Path(part)
    try:
        # The empty password opens owner-password-only PDFs (common for government documents).
        pdf = pikepdf.Pdf.open(source, access_mode=pikepdf.AccessMode.stream)
    except OSError as exc:
        raise VolumeMergeError(f"{label}无法读取（{exc}）") from exc
    except pikepdf.PasswordError as exc:
        raise VolumeMergeError(f"{label}已加密，无法合并") from exc
    except Exception as exc:  # qpdf raises several types for broken files; the caller needs just one
        raise VolumeMergeError(f"{label}不是有效的 PDF 文件（{_reason(exc)}）") from exc
    if len(pdf.pages) == 0:
        pdf.close()
        raise VolumeMergeError(f"{label}没有页面")
    return pdf


def _reason(exc: Exception) -> str:
    # qpdf starts its messages with the input's name: the path, or "stream <_io.BytesIO object at 0x…>".
    return f"{type(exc).__name__}: {re.sub(r'^stream <[^>]*>:? ?', '', str(exc))}"


def count_pages(pdf_path_or_bytes: bytes | Path | str) -> int:
    """Number of pages of a PDF given as bytes or a path; VolumeMergeError if it cannot be read."""
    part = pdf_path_or_bytes if isinstance(pdf_path_or_bytes, bytes | bytearray) else Path(pdf_path_or_bytes)
    with _open(part, _label(part, 1)) as pdf:
        return len(pdf.pages)


def _label(part: bytes | Path, index: int) -> str:
    name = f"（{Path(part).name}）" if not isinstance(part, bytes | bytearray) else ""
    return f"第{index}个部分{name}"


def _stamp(page: pikepdf.Page, number: int, font: pikepdf.Dictionary, push: pikepdf.Stream) -> None:
    """Draw "— number —" at the bottom centre of the page's visible area, on a white backing."""
    if page.obj.get("/Rotate", 0) % 360:
        page.flatten_rotation()  # the number then goes at the bottom as the page is read
    box = [float(v) for v in page.cropbox]  # the visible area; the mediabox unless the PDF crops
    left, bottom, width, height = min(box[0], box[2]), min(box[1], box[3]), abs(box[2] - box[0]), abs(box[3] - box[1])
    size = max(7.0, min(14.0, min(width, height) / 42))  # 4号 (14 pt) on A4, smaller on tiny pages
    text = f"\u2014 {number} \u2014"  # "— n —" as GB/T 9704 prints it; WinAnsi Helvetica has the em dash
    text_w = stringWidth(text, "Helvetica", size)
    baseline = min(8 * _MM, height / 30)
    if Name.Resources not in page.obj:
        page.obj.Resources = pikepdf.Dictionary()
    if Name.Font not in page.obj.Resources:
        page.obj.Resources.Font = pikepdf.Dictionary()
    fonts = page.obj.Resources.Font
    name, suffix = "/VolumePageNumber", 0
    while name in fonts and fonts[name].objgen != font.objgen:  # the page's own font of that name stays
        suffix += 1
        name = f"/VolumePageNumber{suffix}"
    fonts[name] = font
    # A white backing so the number stays legible on scans that are dark down to the edge.
    backing = (f"{v:.2f}" for v in ((width - text_w) / 2 - size * 0.4, baseline - size * 0.3, text_w + size * 0.8))
    ops = (
        # Q closes the q put in front of the page's content, whatever state that content leaves behind.
        f"Q q 1 0 0 1 {left:.2f} {bottom:.2f} cm 1 g {' '.join(backing)} {size * 1.2:.2f} re f 0 g "
        f"BT {name} {size:.2f} Tf {(width - text_w) / 2:.2f} {baseline:.2f} Td (\\227 {number} \\227) Tj ET Q"
    )
    page.contents_add(push, prepend=True)
    page.contents_add(ops.encode())


def merge_volume(
    parts: list[bytes | Path],
    out: Path | BinaryIO,
    *,
    first_page_number: int = 1,
    document_id: bytes | None = None,
    page_counts: list[int] | None = None,
) -> int:
    """Concatenate the parts (cover, 目录, then each file's PDF) into out_path, stamping "— n —" at the
    bottom centre of every page, numbered from first_page_number; returns the page count.

    ``out`` is a path (written atomically) or a writable stream (drawing.py passes a writer that goes
    past the page cache and hashes as it writes; it gathers qpdf's ~5 KB writes into large ones).
    Pages keep their own size (A4, A3, landscape, odd scans); rotated pages are normalised first so
    the number sits at the bottom as the page is read. The output is byte-identical for identical
    inputs (no dates; the /ID is ``document_id`` — a caller that knows its parts' hashes passes one —
    or else an MD5 of the whole output, which costs qpdf 4× the time of writing it).
    ``page_counts``, when the caller has counted each part's pages, saves opening every part once
    more. Raises VolumeMergeError naming the first part that cannot be read; a path is then left untouched, a
    stream may have received part of the PDF (a damaged stream may only show while it is copied)."""
    out_path = Path(out) if isinstance(out, str | Path) else None
    if not parts:
        raise VolumeMergeError("没有可合并的部分")
    owners = []  # per page of the volume, the label of its part: qpdf's own errors do not say which it is
    for index, part in enumerate(parts, start=1):
        if page_counts is None:  # else the caller has counted them (and so checked the parts) already
            with _open(part, _label(part, index)) as pdf:
                owners += [_label(part, index)] * len(pdf.pages)
        else:
            owners += [_label(part, index)] * page_counts[index - 1]
    tmp = out_path.with_name(out_path.name + ".part") if out_path else None
    with tempfile.TemporaryDirectory(prefix=".merge-", dir=out_path.parent if out_path else None) as scratch:
        files = []  # (the file qpdf reads the part from and names in its messages, the part's label)
        for index, part in enumerate(parts, start=1):
            name = Path(scratch) / f"{index}.pdf"
            if isinstance(part, bytes | bytearray):
                name.write_bytes(part)
            files.append(
                (str(name if isinstance(part, bytes | bytearray) else Path(part).resolve()), _label(part, index))
            )
        # qpdf's job interface, not Pdf.open + pages.extend: pikepdf copies a part's stream data (the
        # scans and photos) into memory as its pages are added, qpdf's job reads it from the part while
        # writing, so memory stays small whatever the volume's size. Past 200 parts it opens each file
        # only while reading from it. The parts' page labels would make viewers show other numbers than
        # the stamped ones. (The job's own output is not used: save() below writes.)
        job = pikepdf.Job(
            {
                "empty": "",
                "pages": [{"file": name, "password": ""} for name, _ in files],
                "outputFile": "-",
                "removePageLabels": "",
                "noWarn": "",
            }
        )
        try:
            merged = job.create_pdf()
            font = merged.make_indirect(
                pikepdf.Dictionary(
                    Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica, Encoding=Name.WinAnsiEncoding
                )
            )
            push = merged.make_stream(b"q\n")  # one shared stream in front of every page's content
            for number, (page, owner) in enumerate(zip(merged.pages, owners, strict=True), start=first_page_number):
                try:
                    _stamp(page, number, font, push)
                except Exception as exc:
                    raise VolumeMergeError(f"{owner}无法合并（{_reason(exc)}）") from exc
            # The ID comes from the content, not from the time (the parts' IDs do not count: LibreOffice
            # gives each conversion a fresh one). With static_id qpdf keeps the first element set here
            # and writes a fixed second one. Object streams pack the many small dictionaries; image
            # data is copied as it is.
            if document_id is not None:
                merged.trailer.ID = pikepdf.Array([pikepdf.String(document_id)] * 2)
            identity = {"static_id": True} if document_id is not None else {"deterministic_id": True}
            merged.save(tmp or out, object_stream_mode=pikepdf.ObjectStreamMode.generate, **identity)
        except BaseException as exc:
            if tmp:
                tmp.unlink(missing_ok=True)
            if isinstance(exc, VolumeMergeError) or not isinstance(exc, Exception):
                raise
            # A damaged stream may only show while it is copied; qpdf names its file in the message.
            reason = _reason(exc)
            name, label = max(((n, lb) for n, lb in files if n in reason), key=lambda f: len(f[0]), default=("", ""))
            reason = reason.replace(name, "文件") if name else reason
            raise VolumeMergeError(f"{label or '合并后的文件'}无法合并（{reason}）") from exc
        pages = len(merged.pages)
    if tmp:
        os.replace(tmp, out_path)  # atomic: a reader never sees half a volume
    return pages
