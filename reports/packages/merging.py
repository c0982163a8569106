"""The PDF side of a volume: its 目录 entries, office conversions and the merged, page-numbered PDF.

Office files go in as their PDF renditions (renditions.py: made once per file content and kept).
A volume gets a merged PDF only when every part is a PDF, an image or a converted office file, and
when its evidence is at most PACKAGE_MERGE_MAX_BYTES
(merging re-writes every byte once more, so the cap bounds the time a very large volume adds).
Parts reach qpdf as files: memory stays flat whatever the volume's size.
"""

import hashlib
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from evidence.storage import blob_local_path, blob_open
from reports.packages import collect
from reports.packages import volume_pdf as vp
from reports.packages.renditions import OFFICE, Converter

IMAGES = {"jpg", "png"}
MERGED_NAME = "合并版（含封面目录及页码）.pdf"
TOC_ROWS_PER_PAGE = 20


def may_merge(volume, converter: Converter) -> bool:
    """Whether a merged PDF is worth attempting: small enough, and every part a PDF, an image or an
    office file."""
    if not volume.entries or volume.size > settings.PACKAGE_MERGE_MAX_BYTES:
        return False
    allowed = {"pdf", *IMAGES, *OFFICE}  # office files need a rendition: kept, or made if LibreOffice is here
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


@dataclass(frozen=True)
class Merge:
    """A volume ready to merge: the parts in order (cover, 目录, each file's PDF) and the 目录 with start pages."""

    parts: list
    toc: bytes
    size: int  # of the parts: about the merged PDF's size
    document_id: bytes  # the PDF's /ID, from the contents' hashes

    def write(self, out) -> int:
        """Merge into ``out`` (a path or a stream); VolumeMergeError if a part fails while copied."""
        return vp.merge_volume(self.parts, out, document_id=self.document_id)


def prepare_merge(cover, cover_bytes: bytes, volume, workdir: Path, converter: Converter) -> Merge | None:
    """The volume's merge, or None when it cannot be merged: a part that is neither PDF, image nor
    converted office file, a damaged part, or a volume larger than PACKAGE_MERGE_MAX_BYTES."""
    if not may_merge(volume, converter):
        return None
    parts: list[bytes | Path] = []
    for entry in volume.entries:
        stored = entry.file.stored
        if stored.kind == "pdf":
            parts.append(blob_local_path(stored, workdir))
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
    # The 目录's start pages depend on its own length: guess it (a page holds about 20 rows of short
    # titles, fewer of long ones), render, and render again only if the guess was wrong.
    toc_pages, toc = -(-len(volume.entries) // TOC_ROWS_PER_PAGE), b""
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
    identity = hashlib.sha256(b"luhsan merged volume 1")
    for piece in (cover_bytes, toc, *(f"{e.file.stored.sha256}.{e.file.stored.kind}".encode() for e in volume.entries)):
        identity.update(hashlib.sha256(piece).digest())
    parts = [cover_bytes, toc, *parts]
    size = sum(len(p) if isinstance(p, bytes) else p.stat().st_size for p in parts)
    return Merge(parts, toc, size, identity.digest()[:16])
