"""Building a province-platform package (DESIGN.md §3.7) into a folder: one ZIP per volume, each with
its cover, 目录, the original files, a merged PDF where possible and manifest.json; index.json,
目录.xlsx and 网络检索链接.xlsx beside them.

Deterministic: fixed ZIP timestamps and attributes, sorted JSON, covers dated by the material (not by
today), entries in tree order — so the same inputs give byte-identical volumes. Bounded memory and
little CPU: files are copied into the archives by the kernel (ZIP_STORED, ZIP64 when large, the
CRC-32 kept by StoredFile), the volume's SHA-256 is read back on a second thread, and covers, 目录
and merged PDFs are drawn by a second process (drawing.py) while this one copies.
Atomic: everything is written into a hidden ``.partial`` folder that is renamed at the very end, so a
killed worker never leaves a half-package that looks complete.
"""

import errno
import hashlib
import itertools
import json
import os
import shutil
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.utils import timezone

from evidence.storage import blob_open, blob_path_for, file_crc32, file_digests, remember_crc32s
from reports.packages import collect, drawing, merging, renditions
from reports.packages.paths import safe_component

CHUNK = 1024 * 1024
FIXED_TIME = (1980, 1, 1, 0, 0, 0)

Progress = Callable[[int, int, int, int], None]


@dataclass(frozen=True)
class BuiltVolume:
    number: int
    title: str
    file_name: str
    sha256: str
    size: int
    file_count: int
    merged: bool


@dataclass(frozen=True)
class BuiltPackage:
    folder: Path
    volumes: list[BuiltVolume]
    index_sha256: str
    size: int
    files_total: int


def _info(name: str, size: int = 0) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
    info.compress_type = zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    info.file_size = size
    return info


def _add_bytes(archive: zipfile.ZipFile, name: str, data: bytes) -> dict:
    archive.writestr(_info(name), data)
    return {"path": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


def _zip64(size: int) -> bool:
    # zipfile's own rule for a member whose size it is told, so that a member copied by the kernel
    # and one streamed through zipfile get the same header bytes.
    return size * 1.05 > zipfile.ZIP64_LIMIT


def _add_blob(archive: zipfile.ZipFile, name: str, stored, crcs: dict[str, int], tick) -> None:
    """One original file. On local storage with its CRC-32 known (kept by StoredFile, else computed
    here once and saved after the export) the kernel copies it (copy_file_range): no byte passes
    through Python. From other storage it is streamed through zipfile."""
    local = blob_path_for(stored.blob)
    if local is None:
        info = _info(name, stored.size)
        with blob_open(stored) as source, archive.open(info, "w", force_zip64=_zip64(stored.size)) as target:
            while chunk := source.read(CHUNK):
                target.write(chunk)
                tick(0, len(chunk))
        return
    if stored.crc32 is None and stored.sha256 not in crcs:
        crcs[stored.sha256] = file_crc32(local)
    _add_file(archive, name, local, stored.size, crcs.get(stored.sha256, stored.crc32), tick)


def _add_file(archive: zipfile.ZipFile, name: str, source: Path, size: int, crc: int, tick) -> None:
    """A member whose size and CRC-32 are known beforehand: its header is final at once and the data
    is copied file to file by the kernel. What ZipFile.open(…, "w") does on a seekable archive, minus
    the passing of every chunk through Python (zipfile has no public call for it; the equality with
    zipfile's own members is pinned by a test)."""
    info = _info(name, size)
    info.compress_size, info.CRC = size, crc
    target = archive.fp
    target.seek(archive.start_dir)
    info.header_offset = target.tell()
    archive._writecheck(info)
    archive._didModify = True
    target.write(info.FileHeader(_zip64(size)))
    target.flush()  # the header, before the kernel appends the data behind the buffer's back
    with source.open("rb") as handle:
        _copy_range(handle, target, size, tick, name)
    target.seek(os.lseek(target.fileno(), 0, os.SEEK_CUR))  # the buffer learns where the file now ends
    archive.start_dir = target.tell()
    archive.filelist.append(info)
    archive.NameToInfo[name] = info


def _copy_range(source, target, size: int, tick, name: str) -> None:
    left = size
    while left:
        try:
            copied = os.copy_file_range(source.fileno(), target.fileno(), min(left, 64 * CHUNK))
        except OSError as exc:  # across filesystems on older kernels, or not supported: copy in Python
            if exc.errno not in (errno.EXDEV, errno.ENOSYS, errno.EOPNOTSUPP, errno.EINVAL):
                raise
            source.seek(size - left)
            with open(target.fileno(), "wb", closefd=False) as out:  # noqa: PTH123 - a descriptor
                while left and (chunk := source.read(min(left, CHUNK))):
                    out.write(chunk)
                    left -= len(chunk)
                    tick(0, len(chunk))
            copied = 0
        if not copied and left:  # the stored file lost bytes (disk damage, someone truncated it)
            raise OSError(f"存储中的文件比登记的大小短 {left} 字节，可能已损坏：{name}")
        left -= copied
        tick(0, copied)


class _ReadBackSha256:
    """The SHA-256 of a file as it is written, read back (from the page cache) on a second thread up
    to the offset the writer says is final. hashlib and pread release the GIL, so it overlaps with the
    copying; the copying never waits for it."""

    def __init__(self, path: Path):
        self._fd = os.open(path, os.O_RDONLY)
        self._digest = hashlib.sha256()
        self._done = self._limit = 0
        self._final = False
        self._error: BaseException | None = None
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="package-sha256", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while True:
                with self._changed:
                    while self._done >= self._limit and not self._final:
                        self._changed.wait()
                    limit, final = self._limit, self._final
                while self._done < limit:
                    data = os.pread(self._fd, min(CHUNK, limit - self._done), self._done)
                    if not data:
                        raise OSError("volume shorter than written")
                    self._digest.update(data)
                    self._done += len(data)
                if final:
                    return
        except BaseException as exc:  # noqa: BLE001 - handed to the writer in finish()
            self._error = exc

    def advance(self, file) -> None:
        """What has been written to ``file`` so far is there for good: hash it."""
        file.flush()
        with self._changed:
            self._limit = max(self._limit, file.tell())
            self._changed.notify()

    def finish(self, size: int | None) -> str | None:
        """The digest of the first ``size`` bytes; None (and the thread stopped) when size is None."""
        with self._changed:
            self._limit = size if size is not None else self._done
            self._final = True
            self._changed.notify()
        self._thread.join()
        os.close(self._fd)
        if size is None:
            return None
        if self._error is not None:
            raise self._error
        return self._digest.hexdigest()


def _cover(campaign, volume, count: int):
    from reports.packages.volume_pdf import VolumeCover

    indicator = volume.indicators[0]
    path = [p for p in (getattr(indicator.parent, "parent", None), indicator.parent) if p is not None]
    dates = [e.evidence.reviewed_at or e.evidence.created_at for e in volume.entries]
    material_date = timezone.localtime(max(dates)).date() if dates else campaign.start_date
    return VolumeCover(
        campaign=campaign.name,
        county=campaign.county.name,
        volume_number=volume.number,
        volume_count=count,
        indicator_path=[f"{p.code}{p.title}" if p.level == "1" else f"{p.code} {p.title}" for p in path]
        + [f"{i.code} {i.title}" for i in volume.indicators[:3]],
        title=volume.title,
        units=sorted({e.evidence.unit.short_name for e in volume.entries}, key=lambda n: n),
        file_count=len(volume.entries),
        compiled_by=campaign.office_name or campaign.name,
        compiled_on=material_date,  # the material's date, so a re-export on another day is identical
    )


def _job(campaign, volume, count: int, converter: renditions.Converter, workdir: Path) -> drawing.Job:
    return drawing.Job(
        number=volume.number,
        cover=_cover(campaign, volume, count),
        entries=merging.toc_entries(volume),
        parts=merging.merge_parts(volume, workdir, converter),
        identities=[f"{e.file.stored.sha256}.{e.file.stored.kind}" for e in volume.entries],
        workdir=str(workdir),
    )


def _write_volume(path: Path, campaign, volume, count: int, drawn: drawing.Drawn, crcs, tick) -> BuiltVolume:
    manifest_files = []
    with path.open("wb") as raw:
        volume_sha256 = _ReadBackSha256(path)
        archive = zipfile.ZipFile(raw, "w", zipfile.ZIP_STORED)
        try:
            manifest_files.append(_add_bytes(archive, "封面.pdf", drawn.cover))
            manifest_files.append(_add_bytes(archive, "目录.pdf", drawn.toc))
            if drawn.merged is not None:
                merged = Path(drawn.merged)
                merged_sha256, crc = file_digests(merged)
                size = merged.stat().st_size
                _add_file(archive, merging.MERGED_NAME, merged, size, crc, lambda *a: None)
                merged.unlink()
                manifest_files.append({"path": merging.MERGED_NAME, "sha256": merged_sha256, "size": size})
            volume_sha256.advance(raw)  # zipfile rewrites only the header of the member it writes
            for entry in volume.entries:
                _add_blob(archive, entry.path, entry.file.stored, crcs, tick)
                volume_sha256.advance(raw)
                manifest_files.append(entry.manifest())
                tick(1, 0)
            manifest = {
                "schema_version": collect.SCHEMA_VERSION,
                "campaign": {"id": campaign.pk, "name": campaign.name, "county": campaign.county.name},
                "volume": {
                    "number": volume.number,
                    "count": count,
                    "title": volume.title,
                    "indicators": [i.code for i in volume.indicators],
                },
                "files": manifest_files,
            }
            archive.writestr(_info("manifest.json"), json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True))
            archive.close()
            raw.flush()
            sha256 = volume_sha256.finish(raw.tell())
        except BaseException:
            # Abandoned (the partial folder goes): stop the ZipFile from finishing itself into a closed file.
            archive.fp = None
            volume_sha256.finish(None)
            raise
    return BuiltVolume(
        number=volume.number,
        title=volume.title,
        file_name=path.name,
        sha256=sha256,
        size=path.stat().st_size,
        file_count=len(volume.entries),
        merged=drawn.merged is not None,
    )


def _sheets_job(folder: Path, volumes, links) -> drawing.SheetsJob:
    toc = [
        (
            volume.number,
            volume.title,
            entry.indicator.code,
            entry.evidence.unit.name,
            entry.evidence.title,
            entry.path,
            entry.size,
            entry.file.stored.sha256,
            collect.approved_on(entry),
        )
        for volume in volumes
        for entry in volume.entries
    ]
    link_rows = [
        (
            indicator.code,
            indicator.title,
            link.evidence.unit.name,
            link.evidence.title,
            link.url,
            link.site,
            link.published_on,
            link.get_check_status_display(),
            timezone.localtime(link.checked_at).strftime("%Y-%m-%d %H:%M") if link.checked_at else "",
        )
        for link, indicators in links
        for indicator in indicators
    ]
    return drawing.SheetsJob(str(folder), toc, link_rows)


def _parts_dir(work: Path, volume) -> Path:
    folder = work / f"volume-{volume.number}"
    folder.mkdir(exist_ok=True)
    return folder


def build_package(
    options: collect.Options, target: Path, *, generated_by: str, progress: Progress | None = None
) -> BuiltPackage:
    """Build the package for ``options`` into ``target`` (created; replaced only when complete)."""
    # Started first: the drawing process loads its fonts while this one reads the database.
    with drawing.Drawer() as drawer:
        return _build(drawer, options, Path(target), generated_by, progress)


def _build(drawer: drawing.Drawer, options: collect.Options, target: Path, generated_by: str, progress) -> BuiltPackage:
    campaign, indicators, entries, links = collect.collect(options)
    volumes = collect.volumes(options, indicators, entries)
    files_total, bytes_total = len(entries), sum(e.size for e in entries)
    done = {"files": 0, "bytes": 0, "last": 0.0}

    def tick(files: int, size: int) -> None:
        done["files"] += files
        done["bytes"] += size
        now = time.monotonic()
        if progress and (now - done["last"] > 0.5 or done["files"] == files_total):
            done["last"] = now
            progress(done["files"], files_total, done["bytes"], bytes_total)

    if progress:
        progress(0, files_total, 0, bytes_total)
    partial = target.parent / f".{target.name}.partial"
    work = target.parent / f".{target.name}.work"
    for leftover in (partial, work):  # from a killed run
        shutil.rmtree(leftover, ignore_errors=True)
    partial.mkdir(parents=True)
    work.mkdir()
    try:
        converter = renditions.Converter(work, renditions.libreoffice_available())
        converter.prepare(
            [e.file.stored for v in volumes if merging.may_merge(v, converter) for e in v.entries],
            heartbeat=lambda: tick(0, 0),
        )
        built, crcs = [], {}
        with drawer:  # closed before the work folder goes: it may still be drawing into it
            ahead = iter(volumes)
            # Two volumes ahead: the next is drawn while this one is copied, whatever their sizes.
            for volume in itertools.islice(ahead, 2):
                drawer.submit(_job(campaign, volume, len(volumes), converter, _parts_dir(work, volume)))
            drawer.submit(_sheets_job(partial, volumes, links))
            for volume in volumes:
                drawn = drawer.take(volume.number, heartbeat=lambda: tick(0, 0))
                if (following := next(ahead, None)) is not None:
                    drawer.submit(_job(campaign, following, len(volumes), converter, _parts_dir(work, following)))
                name = safe_component(f"第{volume.number:03d}册-{volume.title}.zip", limit=80)
                built.append(_write_volume(partial / name, campaign, volume, len(volumes), drawn, crcs, tick))
                shutil.rmtree(_parts_dir(work, volume))  # copies of parts from storage without local files
            sheets = drawer.take(drawing.SheetsJob.key, heartbeat=lambda: tick(0, 0))
        remember_crc32s(crcs)
        with_material = {e.indicator.pk for e in entries}
        index = {
            "schema_version": collect.SCHEMA_VERSION,
            "campaign": {"id": campaign.pk, "name": campaign.name, "county": campaign.county.name},
            "generated_at": timezone.localtime().isoformat(timespec="seconds"),
            "generated_by": generated_by,
            "options": options.as_dict(),
            "volumes": [
                {
                    "number": v.number,
                    "title": v.title,
                    "file": v.file_name,
                    "sha256": v.sha256,
                    "size": v.size,
                    "files": v.file_count,
                    "merged_pdf": v.merged,
                }
                for v in built
            ],
            "spreadsheets": sheets,
            "indicators_without_material": [i.code for i in indicators if i.pk not in with_material],
        }
        data = json.dumps(index, ensure_ascii=False, indent=2, sort_keys=True).encode()
        (partial / "index.json").write_bytes(data)
        if target.exists():
            shutil.rmtree(target)
        os.replace(partial, target)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    size = sum(p.stat().st_size for p in target.iterdir())
    return BuiltPackage(target, built, hashlib.sha256(data).hexdigest(), size, files_total)
