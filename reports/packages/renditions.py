"""PDF renditions of office files (DOCX, XLSX, WPS…) for the merged volume PDFs, made once per content.

LibreOffice takes a good part of a second per document, and a campaign's package is exported again
and again with mostly the same files. A rendition is kept in storage under
``renditions/ab/cd/<sha256>.pdf``, keyed by the original's content hash: the background job makes it
soon after the file is uploaded (or the first export that needs it does), and every later export
copies it. Kept renditions also make re-exports byte-identical — LibreOffice writes a fresh document
ID into every conversion.
"""

import os
import shutil
import tempfile
from pathlib import Path

from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from evidence.storage import blob_local_path, blob_path_for
from reports.packages import volume_pdf as vp

OFFICE = {"doc", "docx", "xls", "xlsx", "ppt", "pptx", "wps", "et", "dps"}
BATCH = 100  # files per LibreOffice start


def rendition_name(sha256: str) -> str:
    return f"renditions/{sha256[:2]}/{sha256[2:4]}/{sha256}.pdf"


def failed_name(sha256: str) -> str:
    """Marks a file LibreOffice could not convert, so the background job does not try it every run."""
    return rendition_name(sha256) + ".failed"


def libreoffice_available() -> bool:
    return (shutil.which("soffice") or shutil.which("libreoffice")) is not None


def _keep(name: str, source: Path) -> None:
    local = blob_path_for(name)
    if local is None:
        if not default_storage.exists(name):
            with source.open("rb") as handle:
                saved = default_storage.save(name, File(handle, name=Path(name).name))
            if saved != name:  # another job stored it a moment ago
                default_storage.delete(saved)
        return
    # Written beside and renamed into place: an export never reads half a rendition.
    local.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=local.parent, prefix=".rendition-")
    os.close(handle)
    try:
        shutil.copyfile(source, temp)
        os.replace(temp, local)
    finally:
        Path(temp).unlink(missing_ok=True)


class Converter:
    """PDF renditions for one export (or one background run): kept ones are reused, missing ones made
    with LibreOffice (one start per batch; when ``can_convert``) and kept. Keyed by content hash."""

    def __init__(self, workdir: Path, can_convert: bool):
        self.workdir = workdir / "convert"
        self.can_convert = can_convert
        self.done: dict[str, Path | None] = {}

    def prepare(self, stored_files, heartbeat=lambda: None) -> int:
        """Find or make the rendition of every office file among ``stored_files``; returns how many
        LibreOffice converted now."""
        pending = {}
        self.workdir.mkdir(parents=True, exist_ok=True)
        for stored in stored_files:
            if stored.kind not in OFFICE or stored.sha256 in self.done or stored.sha256 in pending:
                continue
            name = rendition_name(stored.sha256)
            if default_storage.exists(name):
                self.done[stored.sha256] = blob_local_path(stored, self.workdir, name=name)
            else:
                pending[stored.sha256] = stored
        if not pending or not self.can_convert:
            return 0
        items, converted = list(pending.values()), 0
        for start in range(0, len(items), BATCH):
            batch = items[start : start + BATCH]
            paths = {s.sha256: blob_local_path(s, self.workdir, f".{s.kind}").resolve() for s in batch}
            results = vp.office_to_pdf_many(list(paths.values()), self.workdir)
            for sha256, path in paths.items():
                result = self.done[sha256] = results.get(path)
                if result is not None:
                    _keep(rendition_name(sha256), result)
                    converted += 1
                elif not default_storage.exists(failed_name(sha256)):
                    saved = default_storage.save(failed_name(sha256), ContentFile(b""))
                    if saved != failed_name(sha256):
                        default_storage.delete(saved)
            heartbeat()
        return converted

    def get(self, stored) -> Path | None:
        return self.done.get(stored.sha256)


def prepare_missing(limit: int = 200) -> int:
    """Background job: make the renditions of the newest office files in evidence that have none
    yet (and have not failed before); at most ``limit`` per run. Returns how many it made."""
    from evidence.models import StoredFile

    if not libreoffice_available():
        return 0
    wanted = []
    candidates = StoredFile.objects.filter(kind__in=OFFICE, uses__isnull=False).distinct().order_by("-pk")
    for stored in candidates.only("sha256", "kind", "blob").iterator(chunk_size=500):
        name = rendition_name(stored.sha256)
        if not default_storage.exists(name) and not default_storage.exists(failed_name(stored.sha256)):
            wanted.append(stored)
            if len(wanted) >= limit:
                break
    if not wanted:
        return 0
    with tempfile.TemporaryDirectory(prefix="renditions-") as work:
        return Converter(Path(work), can_convert=True).prepare(wanted)
