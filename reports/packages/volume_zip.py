"""Writing one volume (册) ZIP: its cover, 目录, merged PDF, the original files and manifest.json.

Runs in the export's worker processes (drawing.py), without Django or the database: everything it
needs comes as plain data. Deterministic (fixed timestamps and attributes, sorted JSON, entries in
the order given) and written front to back past the page cache (direct.py), so every member's size
and CRC-32 are known before its header is written: the CRC-32 kept by StoredFile since upload, or
computed here for files stored before it was (and handed back to be kept).
"""

import contextlib
import hashlib
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from reports.packages.direct import DirectWriter, ShortSourceError, crc32

FIXED_TIME = (1980, 1, 1, 0, 0, 0)
MERGED_NAME = "合并版（含封面目录及页码）.pdf"


@dataclass(frozen=True, slots=True)
class Member:
    """An original file of the volume."""

    name: str  # its path inside the volume
    source: str  # a local file holding its bytes
    size: int
    sha256: str
    crc32: int | None  # None: not kept yet, computed here
    manifest: dict  # its manifest.json entry


@dataclass(frozen=True)
class VolumeSpec:
    number: int
    path: str  # the ZIP to write
    manifest: dict  # manifest.json without its "files"
    members: list[Member]


@dataclass(frozen=True)
class WrittenVolume:
    number: int
    file_name: str
    sha256: str
    size: int
    merged: bool
    crcs: dict[str, int]  # CRC-32s computed here, {sha256: crc32}, for StoredFile to keep


def _info(name: str, size: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
    info.compress_type = zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    info.file_size = info.compress_size = size
    return info


def _zip64(size: int) -> bool:
    # zipfile's own rule for a member whose size it is told, so that our members get its header bytes.
    return size * 1.05 > zipfile.ZIP64_LIMIT


@contextlib.contextmanager
def _member(archive: zipfile.ZipFile, name: str, size: int, crc: int):
    """A member whose size and CRC-32 are known beforehand: its header is final at once, the caller
    writes the data (into the DirectWriter yielded), and nothing goes back to the header. What
    ZipFile.open(…, "w") writes on a seekable file without its seeking back, which a writer past the
    page cache cannot do (zipfile has no public call for it; the equality is pinned by a test)."""
    writer = archive.fp
    info = _info(name, size)
    info.CRC = crc
    archive._writecheck(info)
    info.header_offset = writer.tell()
    writer.write(info.FileHeader(_zip64(size)))
    data_start = writer.tell()
    yield writer
    if writer.tell() - data_start != size:
        raise OSError(f"{name}: {writer.tell() - data_start} bytes written, {size} announced")
    archive._didModify = True
    archive.start_dir = writer.tell()
    archive.filelist.append(info)
    archive.NameToInfo[name] = info


def add_bytes(archive: zipfile.ZipFile, name: str, data: bytes) -> dict:
    """A member from bytes; its manifest entry (path, sha256, size)."""
    with _member(archive, name, len(data), crc32(data)) as out:
        out.write(data)
    return {"path": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


def _file_crc32(path: str) -> int:
    crc = 0
    with Path(path).open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            crc = crc32(chunk, crc)
    return crc


def write_volume(spec: VolumeSpec, drawn, progress: Callable[[int, int], None]) -> WrittenVolume:
    """Write the volume ZIP at spec.path from its drawn front matter and merged PDF (drawing.Drawn) and
    its members; progress(files, bytes) after each file.
    OSError naming the file if a source is shorter than its recorded size."""
    manifest_files, crcs = [], {}
    with DirectWriter(spec.path) as writer:
        archive = zipfile.ZipFile(writer, "w", zipfile.ZIP_STORED)
        try:
            manifest_files.append(add_bytes(archive, "封面.pdf", drawn.cover))
            manifest_files.append(add_bytes(archive, "目录.pdf", drawn.toc))
            if (merged := drawn.merged) is not None:
                with _member(archive, MERGED_NAME, merged.size, merged.crc32) as out:
                    merged.spool.copy_into(out)
                manifest_files.append({"path": MERGED_NAME, "sha256": merged.sha256, "size": merged.size})
            for member in spec.members:
                if member.crc32 is None and member.sha256 not in crcs:
                    crcs[member.sha256] = _file_crc32(member.source)
                crc = crcs[member.sha256] if member.crc32 is None else member.crc32
                try:
                    with _member(archive, member.name, member.size, crc) as out:
                        out.copy_from(member.source, member.size)
                except ShortSourceError as exc:  # the stored file lost bytes (disk damage, truncated)
                    raise OSError(f"存储中的文件比登记的大小短 {exc.missing} 字节，可能已损坏：{member.name}") from exc
                manifest_files.append(member.manifest)
                progress(1, member.size)
            manifest = {**spec.manifest, "files": manifest_files}
            data = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode()
            add_bytes(archive, "manifest.json", data)
            archive.close()  # the central directory
        except BaseException:
            archive.fp = None  # abandoned (the partial folder goes): no central directory on collection
            raise
    has_merged = drawn.merged is not None
    return WrittenVolume(spec.number, Path(spec.path).name, writer.sha256, writer.tell(), has_merged, crcs)
