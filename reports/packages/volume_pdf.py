"""PDF parts of an exported volume (册): the cover (封面) and the 目录 (drawn in front_matter, re-exported
here), conversions of office files and images, and the merged, page-numbered PDF of the whole volume.

Pure functions over plain data, no database. Every output is deterministic — the same inputs give
byte-identical files — because the export package's hashes are compared between exports: no
creation dates, no random document IDs, no timestamps anywhere.
"""

import hashlib
import io
import os
import shutil
import signal
import subprocess
import zipfile
from contextlib import contextmanager
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError
from pypdf import PdfReader, PdfWriter, Transformation
from pypdf.generic import ArrayObject, ByteStringObject
from reportlab import rl_config
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

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
    EXIF rotation is applied and transparency flattened on white. Raises VolumeMergeError if the
    data is not an image Pillow can read."""
    try:
        with Image.open(io.BytesIO(data)) as original:
            image, is_jpeg = ImageOps.exif_transpose(original), original.format == "JPEG"
            image.load()
            upright = original.getexif().get(0x0112, 1) == 1  # EXIF orientation: no turn needed
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise VolumeMergeError(f"图片无法读取：{exc}") from exc
    # An untouched RGB/grey JPEG goes in as is (DCT passthrough); anything else would be stored raw
    # (Flate), which makes a 3 MB phone photo 30 MB. Changed JPEGs are re-encoded as JPEG for the same reason.
    source = io.BytesIO(data) if is_jpeg and upright and image.mode in ("RGB", "L") else None
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        background = Image.new("RGB", image.size, "white")
        background.paste(image.convert("RGBA"), mask=image.convert("RGBA").getchannel("A"))
        image = background
    elif image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    if max(image.size) > MAX_IMAGE_PIXELS:
        image.thumbnail((MAX_IMAGE_PIXELS, MAX_IMAGE_PIXELS), Image.Resampling.LANCZOS)
        source = None
    if is_jpeg and source is None:
        source = io.BytesIO()
        image.save(source, "JPEG", quality=88, optimize=True)  # same pixels, same Pillow → same bytes
    width, height = image.size
    page_w, page_h = A4 if height >= width else (A4[1], A4[0])
    scale = min((page_w - 2 * IMAGE_MARGIN) / width, (page_h - 2 * IMAGE_MARGIN) / height)
    draw_w, draw_h = width * scale, height * scale
    buffer = io.BytesIO()
    # invariant: no creation date and a fixed document ID, so the same picture gives the same bytes.
    canvas = Canvas(buffer, pagesize=(page_w, page_h), invariant=1, pageCompression=1)
    canvas.drawImage(ImageReader(source or image), (page_w - draw_w) / 2, (page_h - draw_h) / 2, draw_w, draw_h)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


@contextmanager
def _open(part: bytes | Path, label: str):
    # A Path is read lazily from its open file (pypdf would otherwise copy the whole file into memory),
    # and closed as soon as its pages are copied, so only one part is ever open.
    try:
        stream = io.BytesIO(part) if isinstance(part, bytes | bytearray) else open(part, "rb")  # noqa: SIM115
    except OSError as exc:
        raise VolumeMergeError(f"{label}无法读取（{exc}）") from exc
    with stream:
        try:
            reader = PdfReader(stream, strict=False)
            # Owner-password-only PDFs (common for government documents) open with the empty password.
            if reader.is_encrypted and not _decrypt(reader):
                raise VolumeMergeError(f"{label}已加密，无法合并")
            if len(reader.pages) == 0:
                raise VolumeMergeError(f"{label}没有页面")
        except VolumeMergeError:
            raise
        except Exception as exc:  # pypdf raises many types for broken files; the caller needs just one
            raise VolumeMergeError(f"{label}不是有效的 PDF 文件（{type(exc).__name__}: {exc}）") from exc
        yield reader


def _decrypt(reader: PdfReader) -> bool:
    try:
        return bool(reader.decrypt(""))
    except Exception:  # noqa: BLE001 - e.g. AES without the cryptography package: treat as locked
        return False


def count_pages(pdf_path_or_bytes: bytes | Path | str) -> int:
    """Number of pages of a PDF given as bytes or a path; VolumeMergeError if it cannot be read."""
    part = pdf_path_or_bytes if isinstance(pdf_path_or_bytes, bytes | bytearray) else Path(pdf_path_or_bytes)
    with _open(part, _label(part, 1)) as reader:
        return len(reader.pages)


def _label(part: bytes | Path, index: int) -> str:
    name = f"（{Path(part).name}）" if not isinstance(part, bytes | bytearray) else ""
    return f"第{index}个部分{name}"


def _number_overlay(boxes: list[tuple[float, float]], first: int) -> PdfReader:
    # One reportlab document for a whole part, one overlay page per page, each the size of its page.
    buffer = io.BytesIO()
    canvas = Canvas(buffer, invariant=1, pageCompression=1)
    for offset, (width, height) in enumerate(boxes):
        canvas.setPageSize((width, height))
        size = max(7.0, min(14.0, min(width, height) / 42))  # 4号 (14 pt) on A4, smaller on tiny pages
        text = f"\u2014 {first + offset} \u2014"  # "— n —" as GB/T 9704 prints it; Helvetica has the em dash
        text_w = canvas.stringWidth(text, "Helvetica", size)
        baseline = min(8 * _MM, height / 30)
        # A white backing so the number stays legible on scans that are dark down to the edge.
        canvas.setFillGray(1)
        canvas.rect((width - text_w) / 2 - size * 0.4, baseline - size * 0.3, text_w + size * 0.8, size * 1.2, 0, 1)
        canvas.setFillGray(0)
        canvas.setFont("Helvetica", size)
        canvas.drawCentredString(width / 2, baseline, text)
        canvas.showPage()
    canvas.save()
    return PdfReader(io.BytesIO(buffer.getvalue()))


def _stamp(pages: list, first: int) -> None:
    boxes = []
    for page in pages:
        if page.rotation % 360:
            page.transfer_rotation_to_content()
        box = page.cropbox  # the visible area; the same as the mediabox unless the PDF crops
        boxes.append((float(box.width), float(box.height)))
    overlay = _number_overlay(boxes, first)
    for page, stamp in zip(pages, overlay.pages, strict=True):
        box = page.cropbox
        page.merge_transformed_page(stamp, Transformation().translate(float(box.left), float(box.bottom)))
        page.compress_content_streams()  # the merge leaves the page's content uncompressed


def _write(writer: PdfWriter, path: Path) -> None:
    # The /ID is the MD5 of the file as written with a zero /ID, patched in afterwards: stable for the
    # same content, different for different volumes. Hashing the inputs instead would not do —
    # LibreOffice PDFs carry a fresh date and ID on every conversion although their pages are identical.
    writer._ID = ArrayObject([ByteStringObject(bytes(16))] * 2)  # noqa: SLF001 - pypdf has no public setter
    with open(path, "w+b") as file:
        writer.write(file)
        file.seek(0)
        digest = hashlib.md5(usedforsecurity=False)
        while chunk := file.read(1 << 20):
            digest.update(chunk)
        size = file.tell()
        file.seek(max(0, size - 4096))
        tail = file.read()
        zero = b"<" + b"0" * 32 + b">"
        at = tail.rfind(b"/ID [ " + zero + b" " + zero)  # the trailer's, not a string inside a page
        if at < 0:
            raise VolumeMergeError("合并后的 PDF 缺少文件标识（/ID）")
        file.seek(size - len(tail) + at)
        ident = b"<" + digest.hexdigest().encode() + b">"
        file.write(b"/ID [ " + ident + b" " + ident)


def merge_volume(parts: list[bytes | Path], out_path: Path, *, first_page_number: int = 1) -> int:
    """Concatenate the parts (cover, 目录, then each file's PDF) into out_path, stamping "— n —" at the
    bottom centre of every page, numbered from first_page_number; returns the page count.

    Pages keep their own size (A4, A3, landscape, odd scans); rotated pages are normalised first so
    the number sits at the bottom as the page is read. Paths are opened one at a time. The output is
    byte-identical for identical inputs (no dates, /ID derived from the content). Raises
    VolumeMergeError naming the first part that cannot be read; out_path is then left untouched."""
    out_path = Path(out_path)
    if not parts:
        raise VolumeMergeError("没有可合并的部分")
    writer = PdfWriter()
    number = first_page_number
    for index, part in enumerate(parts, start=1):
        label = _label(part, index)
        try:
            with _open(part, label) as reader:
                added = [writer.add_page(page) for page in reader.pages]
                _stamp(added, number)
        except VolumeMergeError:
            raise
        except Exception as exc:  # broken objects may only surface while copying a page
            raise VolumeMergeError(f"{label}无法合并（{type(exc).__name__}: {exc}）") from exc
        number += len(added)
    # Fonts and images repeated across parts (the overlay's Helvetica on every page) are stored once.
    writer.compress_identical_objects()
    # pypdf writes no dates and a constant /Producer; _write fixes the /ID.
    tmp = out_path.with_name(out_path.name + ".part")
    try:
        _write(writer, tmp)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, out_path)  # atomic: a reader never sees half a volume
    return number - first_page_number
