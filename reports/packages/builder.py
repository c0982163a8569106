"""Building a province-platform package (DESIGN.md §3.7) into a folder: one ZIP per volume, each with
its cover, 目录, the original files, a merged PDF where possible and manifest.json; index.json,
目录.xlsx and 网络检索链接.xlsx beside them.

Deterministic: fixed ZIP timestamps and attributes, sorted JSON, covers dated by the material (not by
today), entries in tree order — so the same inputs give byte-identical volumes. Bounded memory and
little CPU: volumes are written past the page cache and hashed on the way (direct.py; ZIP_STORED,
ZIP64 when large, the CRC-32 kept by StoredFile, so every member's header is final at once), and
covers, 目录 and merged PDFs are drawn by a second process (drawing.py) while this one copies.
Atomic: everything is written into a hidden ``.partial`` folder that is renamed at the very end, so a
killed worker never leaves a half-package that looks complete.
"""

import contextlib
import hashlib
import itertools
import json
import os
import shutil
import time
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.utils import timezone

from evidence.storage import blob_open, blob_path_for, file_crc32, remember_crc32s
from reports.packages import collect, drawing, merging, renditions
from reports.packages.direct import DirectWriter, ShortSourceError
from reports.packages.paths import safe_component

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
    info.compress_size, info.CRC = size, crc
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


def _add_bytes(archive: zipfile.ZipFile, name: str, data: bytes) -> dict:
    with _member(archive, name, len(data), zlib.crc32(data)) as out:
        out.write(data)
    return {"path": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


def _add_blob(archive: zipfile.ZipFile, name: str, stored, crcs: dict[str, int]) -> None:
    """One original file, read from storage into the volume. Its CRC-32 is kept by StoredFile (or,
    for files stored before it was, computed here once and saved after the export)."""
    local = blob_path_for(stored.blob)
    if stored.crc32 is None and stored.sha256 not in crcs:
        if local is not None:
            crcs[stored.sha256] = file_crc32(local)
        else:
            with blob_open(stored) as source:
                crcs[stored.sha256] = file_crc32(source)
    try:
        with _member(archive, name, stored.size, crcs.get(stored.sha256, stored.crc32)) as out:
            if local is not None:
                out.copy_from(local, stored.size)
            else:
                with blob_open(stored) as source:
                    out.copy_from(source, stored.size)
    except ShortSourceError as exc:  # the stored file lost bytes (disk damage, someone truncated it)
        raise OSError(f"存储中的文件比登记的大小短 {exc.missing} 字节，可能已损坏：{name}") from exc


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
    with DirectWriter(path) as writer:
        archive = zipfile.ZipFile(writer, "w", zipfile.ZIP_STORED)
        try:
            manifest_files.append(_add_bytes(archive, "封面.pdf", drawn.cover))
            manifest_files.append(_add_bytes(archive, "目录.pdf", drawn.toc))
            if (merged := drawn.merged) is not None:
                with _member(archive, merging.MERGED_NAME, merged.size, merged.crc32) as out:
                    out.copy_from(merged.path, merged.size)
                Path(merged.path).unlink()
                manifest_files.append({"path": merging.MERGED_NAME, "sha256": merged.sha256, "size": merged.size})
            for entry in volume.entries:
                _add_blob(archive, entry.path, entry.file.stored, crcs)
                manifest_files.append(entry.manifest())
                tick(1, entry.size)
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
            data = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode()
            _add_bytes(archive, "manifest.json", data)
            archive.close()  # the central directory
        except BaseException:
            archive.fp = None  # abandoned (the partial folder goes): no central directory on collection
            raise
    return BuiltVolume(
        number=volume.number,
        title=volume.title,
        file_name=path.name,
        sha256=writer.sha256,
        size=writer.tell(),
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
            sheets_sent = False  # the spreadsheets come after the last volume's drawing, not in its way
            for volume in volumes:
                drawn = drawer.take(volume.number, heartbeat=lambda: tick(0, 0))
                if (following := next(ahead, None)) is not None:
                    drawer.submit(_job(campaign, following, len(volumes), converter, _parts_dir(work, following)))
                elif not sheets_sent:
                    drawer.submit(_sheets_job(partial, volumes, links))
                    sheets_sent = True
                name = safe_component(f"第{volume.number:03d}册-{volume.title}.zip", limit=80)
                built.append(_write_volume(partial / name, campaign, volume, len(volumes), drawn, crcs, tick))
                shutil.rmtree(_parts_dir(work, volume))  # copies of parts from storage without local files
            if not sheets_sent:  # no volumes
                drawer.submit(_sheets_job(partial, volumes, links))
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
