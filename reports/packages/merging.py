"""The PDF side of a volume: its 目录 entries, office conversions and the merged, page-numbered PDF.

Conversions are done once per export (LibreOffice starts once per batch of files, and a file that
serves several indicators is converted once). A volume gets a merged PDF only when every part is a
PDF, an image or a converted office file, and when its evidence is at most PACKAGE_MERGE_MAX_BYTES
(merging re-writes every byte once more, so the cap bounds the time a very large volume adds).
Parts reach qpdf as files: memory stays flat whatever the volume's size.
"""

import os
import shutil
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage

from evidence.storage import blob_open
from reports.packages import collect
from reports.packages import volume_pdf as vp

IMAGES = {"jpg", "png"}
OFFICE = {"doc", "docx", "xls", "xlsx", "ppt", "pptx", "wps", "et", "dps"}
MERGED_NAME = "合并版（含封面目录及页码）.pdf"
CONVERT_BATCH = 100


def local_path(stored, workdir: Path, suffix: str = "") -> Path:
    """A path on local disk holding the blob: the stored file itself where storage is local (a hard
    link when a suffix is needed), else a copy in ``workdir``."""
    try:
        source = Path(default_storage.path(stored.blob))
    except NotImplementedError:  # object storage
        source = None
    if source is not None and not suffix:
        return source
    target = workdir / f"{stored.sha256}{suffix}"
    if target.exists():
        return target
    if source is not None:
        try:
            os.link(source, target)
            return target
        except OSError:  # another file system
            pass
    with blob_open(stored) as handle, target.open("wb") as out:
        shutil.copyfileobj(handle, out, 1024 * 1024)
    return target


class Converter:
    """Office files converted to PDF for the whole export, keyed by content hash."""

    def __init__(self, workdir: Path, enabled: bool):
        self.workdir = workdir / "convert"
        self.enabled = enabled
        self.done: dict[str, Path | None] = {}

    def prepare(self, entries, heartbeat=lambda: None) -> None:
        if not self.enabled:
            return
        pending = {}
        for entry in entries:
            stored = entry.file.stored
            if stored.kind in OFFICE and stored.sha256 not in self.done:
                pending.setdefault(stored.sha256, stored)
        if not pending:
            return
        self.workdir.mkdir(parents=True, exist_ok=True)
        items = list(pending.values())
        for start in range(0, len(items), CONVERT_BATCH):
            batch = items[start : start + CONVERT_BATCH]
            paths = {s.sha256: local_path(s, self.workdir, f".{s.kind}").resolve() for s in batch}
            converted = vp.office_to_pdf_many(list(paths.values()), self.workdir)
            self.done.update({sha: converted.get(path) for sha, path in paths.items()})
            heartbeat()

    def get(self, stored) -> Path | None:
        return self.done.get(stored.sha256)


def may_merge(volume, converter: Converter) -> bool:
    """Whether a merged PDF is worth attempting: small enough, and every part a PDF, an image or an
    office file that LibreOffice can convert."""
    if not volume.entries or volume.size > settings.PACKAGE_MERGE_MAX_BYTES:
        return False
    allowed = {"pdf", *IMAGES, *(OFFICE if converter.enabled else ())}
    return all(e.file.stored.kind in allowed for e in volume.entries)


def toc_entries(volume, starts: list[int | None] | None = None, pages: list[int | None] | None = None, note=""):
    starts = starts or [None] * len(volume.entries)
    pages = pages or [None] * len(volume.entries)
    return [
        vp.TocEntry(
            number=i,
            unit=e.evidence.unit.short_name,
            title=e.evidence.title,
            file_name=e.name,
            kind=e.file.stored.kind,
            pages=pages[i - 1],
            start_page=starts[i - 1],
            approved_at=collect.approved_on(e),
            note="" if starts[i - 1] else (note or "原件附后"),
        )
        for i, e in enumerate(volume.entries, start=1)
    ]


def merged_pdf(cover, cover_bytes: bytes, volume, workdir: Path, converter: Converter):
    """(merged PDF path, 目录 PDF bytes with start pages), or None when the volume cannot be merged:
    a part that is neither PDF, image nor converted office file, a damaged part, or a volume larger
    than PACKAGE_MERGE_MAX_BYTES."""
    if not may_merge(volume, converter):
        return None
    parts: list[bytes | Path] = []
    for entry in volume.entries:
        stored = entry.file.stored
        if stored.kind == "pdf":
            parts.append(local_path(stored, workdir))
        elif stored.kind in IMAGES:
            with blob_open(stored) as handle:
                try:
                    page = vp.image_to_pdf(handle.read())
                except vp.VolumeMergeError:
                    return None
            parts.append(workdir / f"image-{len(parts)}.pdf")
            parts[-1].write_bytes(page)
        elif stored.kind in OFFICE and converter.get(stored) is not None:
            parts.append(converter.get(stored))
        else:
            return None
    try:
        pages = [vp.count_pages(part) for part in parts]
    except vp.VolumeMergeError:
        return None
    # The 目录's start pages depend on its own length: assume one page, re-render if it runs longer.
    toc_pages, toc = 1, b""
    for _attempt in range(4):
        starts, page = [], 1 + 1 + toc_pages
        for count in pages:
            starts.append(page)
            page += count
        toc = vp.toc_pdf(cover, toc_entries(volume, starts, pages))
        actual = vp.count_pages(toc)
        if actual == toc_pages:
            break
        toc_pages = actual
    out = workdir / "merged.pdf"
    try:
        vp.merge_volume([cover_bytes, toc, *parts], out)
    except vp.VolumeMergeError:
        return None
    return out, toc
