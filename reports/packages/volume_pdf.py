"""PDF parts of an exported volume (册): the cover (封面) and the 目录 (drawn in front_matter, re-exported
here), conversions of office files and images, and the merged, page-numbered PDF of the whole volume.

Pure functions over plain data, no database. Every output is deterministic — the same inputs give
byte-identical files — because the export package's hashes are compared between exports: no
creation dates, no random document IDs, no timestamps anywhere.
"""

import contextlib
import hashlib
import io
import os
import re
import shutil
import signal
import subprocess
import tempfile
import zipfile
from pathlib import Path
from typing import BinaryIO

import pikepdf
from pikepdf import Name
from reportlab import rl_config
from reportlab.pdfbase.pdfmetrics import stringWidth

from reports.packages import image_pages
from reports.packages.front_matter import (  # noqa: F401 - re-exported
    TocEntry,
    VolumeCover,
    cover_pdf,
    toc_page_count,
    toc_pdf,
)

# reportlab wraps binary streams in ASCII85 by default: +25 % on every embedded photo and font. This
# module and front_matter are the project's only reportlab users, so the process-wide switch is safe.
rl_config.useA85 = 0

OFFICE_SUFFIXES = {".docx", ".doc", ".xlsx", ".xls", ".pptx", ".ppt", ".wps", ".et", ".dps", ".odt", ".ods", ".rtf"}
ZIP_SUFFIXES = {".docx", ".xlsx", ".pptx", ".odt", ".ods"}
CONVERT_TIMEOUT = 120  # seconds; a stuck soffice must not hold an export worker forever
_MM = 72 / 25.4


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
    """A one-page A4 PDF of the image (image_pages.py); VolumeMergeError if it is no image."""
    try:
        return image_pages.image_to_pdf(data)
    except image_pages.UnreadableImage as exc:
        raise VolumeMergeError(f"图片无法读取：{exc}") from exc


def images_to_pdf(sources: list[Path], target: Path) -> None:
    """One PDF at ``target`` with a page per image, in order; VolumeMergeError naming the first image
    that cannot be read."""
    with target.open("wb") as out:
        pages = image_pages.ImagePages(out)
        for source in sources:
            try:
                pages.add(source)
            except image_pages.UnreadableImage as exc:
                raise VolumeMergeError(f"图片（{Path(source).name}）无法读取：{exc}") from exc
        pages.close()


MEMORY_FILE_LIMIT = 64 * 1024 * 1024
_MEMFD = hasattr(os, "memfd_create") and Path("/proc/self/fd").is_dir()


@contextlib.contextmanager
def qpdf_input(name: str, size: int, folder: Path | None = None):
    """A path for a file made only for qpdf to read (it opens its inputs by name): in memory (a memfd)
    where the system has them and about ``size`` bytes fit in MEMORY_FILE_LIMIT, else ``name`` in
    ``folder`` or a temporary folder; gone afterwards. Not on the disk where it can be helped: on a disk
    mounted with online discard, closing a removed file waits while the disk discards its blocks, behind
    the volumes being written (seen here: an export stalled up to a second at a time, disk and CPUs idle)."""
    fd = None
    if _MEMFD and size <= MEMORY_FILE_LIMIT:
        with contextlib.suppress(OSError):  # a sandbox without them: a file after all
            fd = os.memfd_create(name)  # close-on-exec: LibreOffice does not inherit it
    if fd is not None:
        try:
            yield Path(f"/proc/self/fd/{fd}")
        finally:
            os.close(fd)
    elif folder is not None:
        path = folder / name
        try:
            yield path
        finally:
            path.unlink(missing_ok=True)
    else:
        with tempfile.TemporaryDirectory(prefix=".qpdf-") as temp:
            yield Path(temp) / name


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


def _label(part: "Part", index: int) -> str:
    if isinstance(part, tuple):
        part = part[0]
    name = f"（{Path(part).name}）" if not isinstance(part, bytes | bytearray) else ""
    return f"第{index}个部分{name}"


Part = bytes | Path | tuple[Path, int]  # a PDF as bytes or a file, or one page (numbered from 1) of a file


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
    parts: list[Part],
    out: Path | BinaryIO,
    *,
    first_page_number: int = 1,
    document_id: bytes | None = None,
    page_counts: list[int] | None = None,
) -> int:
    """Concatenate the parts (cover, 目录, then each file's PDF, or one page of a file — the pages of
    images_to_pdf) into out, stamping "— n —" at the bottom centre of every page, numbered from
    first_page_number; returns the page count.

    ``out`` is a path (written atomically) or a writable stream (drawing.py passes a direct.Spool,
    which holds the PDF in memory and hashes it as qpdf's ~5 KB writes fill its buffers).
    Pages keep their own size (A4, A3, landscape, odd scans); rotated pages are normalised first so
    the number sits at the bottom as the page is read. The output is byte-identical for identical
    inputs (no dates; the /ID is ``document_id`` — a caller that knows its parts' hashes passes one —
    or else an MD5 of the whole output, which costs qpdf 4× the time of writing it).
    ``page_counts``, when the caller has counted each part's pages, saves opening every part once
    more. qpdf reads files: parts given as bytes become files for it (qpdf_input). Raises
    VolumeMergeError naming the first part that cannot be read; a path is then left untouched, a stream
    may have received part of the PDF (a damaged stream may only show while it is copied)."""
    out_path = Path(out) if isinstance(out, str | Path) else None
    if not parts:
        raise VolumeMergeError("没有可合并的部分")
    owners = []  # per page of the volume, the label of its part: qpdf's own errors do not say which it is
    for index, part in enumerate(parts, start=1):
        if isinstance(part, tuple):
            owners.append(_label(part, index))
        elif page_counts is None:  # else the caller has counted them (and so checked the parts) already
            with _open(part, _label(part, index)) as pdf:
                owners += [_label(part, index)] * len(pdf.pages)
        else:
            owners += [_label(part, index)] * page_counts[index - 1]
    tmp = out_path.with_name(out_path.name + ".part") if out_path else None
    with contextlib.ExitStack() as inputs:
        files = []  # (the file qpdf reads the part from and names in its messages, the part's label)
        pages = []  # qpdf's page selection: the file, and for a single page its number
        for index, part in enumerate(parts, start=1):
            path, page = part if isinstance(part, tuple) else (part, None)
            if isinstance(path, bytes | bytearray):
                data, path = path, inputs.enter_context(qpdf_input(f"part-{index}.pdf", len(path)))
                path.write_bytes(data)
            files.append((os.path.abspath(path), _label(part, index)))
            pages.append({"file": files[-1][0], "password": ""} | ({"range": str(page)} if page else {}))
        # qpdf's job interface, not Pdf.open + pages.extend: pikepdf copies a part's stream data (the
        # scans and photos) into memory as its pages are added, qpdf's job reads it from the part while
        # writing, so memory stays small whatever the volume's size. Past 200 parts it opens each file
        # only while reading from it. The parts' page labels would make viewers show other numbers than
        # the stamped ones. (The job's own output is not used: save() below writes.)
        job = pikepdf.Job(
            {
                "empty": "",
                "pages": pages,
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
