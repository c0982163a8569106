"""What a volume's PDFs are drawn from: its 目录 entries and the parts of its merged, page-numbered PDF
(drawing.py's worker processes draw them).

Office files go in as their PDF renditions (renditions.py: made once per file content and kept).
A volume gets a merged PDF only when every part is a PDF, an image or a converted office file, and
when its evidence is at most PACKAGE_MERGE_MAX_BYTES
(merging re-writes every byte once more, so the cap bounds the time a very large volume adds).
Parts reach qpdf as files: memory stays flat whatever the volume's size.
"""

from pathlib import Path

from django.conf import settings

from evidence.storage import blob_local_path
from reports.packages import collect
from reports.packages import volume_pdf as vp
from reports.packages.renditions import OFFICE, Converter

IMAGES = {"jpg", "png"}


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


def merge_parts(volume, workdir: Path, converter: Converter) -> list[tuple[str, str]] | None:
    """The files a merged PDF of the volume is made of — (path, "pdf" or "image") per entry, office
    files as their renditions — or None when it cannot have one (drawing.py merges them)."""
    if not may_merge(volume, converter):
        return None
    parts = []
    for entry in volume.entries:
        stored = entry.file.stored
        if stored.kind in OFFICE:
            rendition = converter.get(stored)
            if rendition is None:
                return None
            parts.append((str(rendition), "pdf"))
        else:
            parts.append((str(blob_local_path(stored, workdir)), "image" if stored.kind in IMAGES else "pdf"))
    return parts
