"""Content-addressed storage of evidence files (DESIGN.md §3.4).

Bytes live under ``blobs/ab/cd/<sha256>`` in Django's default storage (local disk by default, an
S3-compatible store if configured), written once and never overwritten. The original file name
is only ever a label in the database.
"""

import hashlib
import os
import shutil
import tempfile
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext as _

from evidence.filetypes import DetectedType, FileRefused, detect, safe_display_name
from evidence.models import StoredFile

CHUNK = 1024 * 1024


def blob_name(sha256: str) -> str:
    return f"blobs/{sha256[:2]}/{sha256[2:4]}/{sha256}"


@dataclass
class PreparedFile:
    """An upload that has been hashed and type-checked, ready to be stored."""

    path: Path
    sha256: str
    size: int
    name: str
    detected: DetectedType
    crc32: int | None = None
    _temp: bool = field(default=False, repr=False)

    def cleanup(self) -> None:
        if self._temp:
            self.path.unlink(missing_ok=True)


def prepare_upload(upload) -> PreparedFile:
    """Hash (unless the upload handler already did) and detect the type of one uploaded file.

    Raises ``evidence.filetypes.FileRefused`` with the reason. Files the handler streamed to disk
    are read in place; in-memory ones (tests, API clients sending tiny files) are spooled first.
    """
    temp = False
    if hasattr(upload, "temporary_file_path"):
        path = Path(upload.temporary_file_path())
    else:
        handle, name = tempfile.mkstemp(prefix="evidence-")
        with os.fdopen(handle, "wb") as out:
            for chunk in upload.chunks(CHUNK):
                out.write(chunk)
        path, temp = Path(name), True
    try:
        sha256, crc32 = getattr(upload, "sha256", None), getattr(upload, "crc32", None)
        if sha256 is None or crc32 is None:
            sha256, crc32 = file_digests(path)
        detected = detect(path, original_name=upload.name or "")
    except Exception:
        if temp:
            path.unlink(missing_ok=True)
        raise
    name = safe_display_name(upload.name or "", fallback_ext=detected.extension)
    size = path.stat().st_size
    return PreparedFile(path=path, sha256=sha256, size=size, name=name, detected=detected, crc32=crc32, _temp=temp)


def prepare_uploads(files, *, field: str = "files", images_only: bool = False) -> list[PreparedFile]:
    """Hash and type-check several uploads (evidence files, photos, bulletin images, attachments).

    Raises ValidationError on ``field`` naming every refused file in Chinese; the accepted ones are
    then cleaned up, so a form can be sent again with nothing half-stored."""
    prepared, errors = [], []
    for upload in files:
        try:
            item = prepare_upload(upload)
        except FileRefused as exc:
            errors.append(_("“%(name)s”：%(reason)s") % {"name": upload.name, "reason": exc})
            continue
        if images_only and item.detected.kind not in ("jpg", "png"):
            item.cleanup()
            errors.append(_("“%(name)s”不是 JPG 或 PNG 图片。") % {"name": upload.name})
            continue
        prepared.append(item)
    if errors:
        for item in prepared:
            item.cleanup()
        raise ValidationError({field: errors})
    return prepared


@contextmanager
def storing(prepared: list[PreparedFile]):
    """Put prepared uploads' bytes in place and yield their StoredFile rows ({sha256: row}) inside a
    transaction, for the caller to attach. If anything in the block fails, the bytes this call wrote
    that no row refers to are removed again; the uploads' temporary files always go."""
    written: list[str] = []
    try:
        written = [item.sha256 for item in prepared if blob_write(item)]
        with transaction.atomic():
            yield _stored_rows(prepared)
    except BaseException:
        blob_discard_unreferenced(written)
        raise
    finally:
        for item in prepared:
            item.cleanup()


def _stored_rows(prepared: list[PreparedFile]) -> dict[str, StoredFile]:
    rows = {}
    for item in prepared:
        rows[item.sha256], _created = StoredFile.objects.get_or_create(
            sha256=item.sha256,
            defaults={
                "size": item.size,
                "kind": item.detected.kind,
                "content_type": item.detected.content_type,
                "blob": blob_name(item.sha256),
                "crc32": item.crc32,
            },
        )
    return rows


def _chunks(path: Path):
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    for chunk in _chunks(path):
        digest.update(chunk)
    return digest.hexdigest()


def file_digests(path: Path) -> tuple[str, int]:
    """(SHA-256 hex, CRC-32) of a file in one pass: what a StoredFile keeps of its bytes."""
    digest, crc = hashlib.sha256(), 0
    for chunk in _chunks(path):
        digest.update(chunk)
        crc = zlib.crc32(chunk, crc)
    return digest.hexdigest(), crc


def remember_crc32s(crcs: dict[str, int]) -> None:
    """Keep CRC-32s computed for files stored before StoredFile kept them ({sha256: crc32})."""
    items = list(crcs.items())
    for start in range(0, len(items), 1000):
        batch = dict(items[start : start + 1000])
        rows = list(StoredFile.objects.filter(sha256__in=batch, crc32__isnull=True).only("pk", "sha256"))
        for row in rows:
            row.crc32 = batch[row.sha256]
        StoredFile.objects.bulk_update(rows, ["crc32"])


def blob_write(prepared: PreparedFile) -> bool:
    """Put the bytes in place unless they are already stored; True when this call wrote them."""
    name = blob_name(prepared.sha256)
    if default_storage.exists(name):
        return False
    local = blob_path_for(name)
    if local is not None:
        # On local disk a hard link is atomic (it fails if the name exists) and copies nothing.
        local.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(prepared.path, local)
            return True
        except FileExistsError:
            return False
        except OSError:
            pass  # another filesystem: copy below
    with prepared.path.open("rb") as handle:
        saved = default_storage.save(name, File(handle, name=prepared.sha256))
    if saved != name:
        # Someone stored the same bytes a moment ago; theirs is identical, drop our copy.
        default_storage.delete(saved)
        return False
    return True


def blob_path_for(name: str) -> Path | None:
    try:
        return Path(default_storage.path(name))
    except NotImplementedError:
        return None


def blob_discard_unreferenced(sha256s: list[str]) -> None:
    """Remove blobs this request wrote when its transaction failed and no row points at them."""
    referenced = set(StoredFile.objects.filter(sha256__in=sha256s).values_list("sha256", flat=True))
    for sha256 in set(sha256s) - referenced:
        default_storage.delete(blob_name(sha256))


def blob_open(stored: StoredFile):
    return default_storage.open(stored.blob, "rb")


def copy_to(stored: StoredFile, destination: Path) -> None:
    with blob_open(stored) as source, destination.open("wb") as out:
        shutil.copyfileobj(source, out, CHUNK)


def blob_local_path(stored, workdir: Path, suffix: str = "", name: str | None = None) -> Path:
    """A path on local disk holding a stored blob (``name`` overrides the blob's own storage name),
    for programs that read files (qpdf, LibreOffice): the stored file itself where storage is local,
    a hard link named ``<sha256><suffix>`` in ``workdir`` when a suffix is needed (LibreOffice goes
    by the extension), else a copy there."""
    name = name or stored.blob
    source = blob_path_for(name)
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
    with default_storage.open(name, "rb") as handle, target.open("wb") as out:
        shutil.copyfileobj(handle, out, CHUNK)
    return target
