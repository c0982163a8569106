"""Building a province-platform package (DESIGN.md §3.7) into a folder: one ZIP per volume, each with
its cover, 目录, the original files, a merged PDF where possible and manifest.json; index.json,
目录.xlsx and 网络检索链接.xlsx beside them.

Deterministic: fixed ZIP timestamps and attributes, sorted JSON, covers dated by the material (not by
today), entries in tree order — so the same inputs give byte-identical volumes. Bounded memory and
parallel: this process reads the database and hands each volume, as plain data, to a worker process
(drawing.py) that draws its cover, 目录 and merged PDF and writes its ZIP past the page cache,
hashed on the way (volume_zip.py, direct.py).
Atomic: everything is written into a hidden ``.partial`` folder that is renamed at the very end, so a
killed worker never leaves a half-package that looks complete.
"""

import contextlib
import hashlib
import json
import os
import queue
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from evidence.storage import blob_local_path, blob_path_for, remember_crc32s
from reports.packages import collect, drawing, merging, renditions, volume_zip
from reports.packages.paths import safe_component

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


def _job(campaign, volume, count: int, converter: renditions.Converter, work: Path) -> drawing.Job:
    workdir = _workdir(work, volume)
    return drawing.Job(
        number=volume.number,
        cover=_cover(campaign, volume, count),
        entries=merging.toc_entries(volume),
        parts=merging.merge_parts(volume, workdir, converter),
        identities=[f"{e.file.stored.sha256}.{e.file.stored.kind}" for e in volume.entries],
        workdir=str(workdir),
        own_workdir=workdir != work,
    )


def _workdir(work: Path, volume) -> Path:
    """The export's work folder, or where storage has no local paths (S3-compatible) a folder of the
    volume's own for the copies of its files, removed once the volume is written. Not a folder per
    volume always: removing one can stall the export (see volume_pdf.qpdf_input)."""
    if not volume.entries or blob_path_for(volume.entries[0].file.stored.blob) is not None:
        return work
    folder = work / f"volume-{volume.number}"
    folder.mkdir(exist_ok=True)
    return folder


def _volume_job(campaign, volume, count: int, converter, work: Path, partial: Path) -> drawing.VolumeJob:
    """Everything a worker needs to build the volume, as plain data (it has no database)."""
    drawing_job = _job(campaign, volume, count, converter, work)
    workdir = Path(drawing_job.workdir)
    members = [
        volume_zip.Member(
            name=entry.path,
            # Storage without local paths (S3-compatible): a copy in the work folder.
            source=str(blob_path_for(entry.file.stored.blob) or blob_local_path(entry.file.stored, workdir)),
            size=entry.file.stored.size,
            sha256=entry.file.stored.sha256,
            crc32=entry.file.stored.crc32,
            manifest=entry.manifest(),
        )
        for entry in volume.entries
    ]
    manifest = {
        "schema_version": collect.SCHEMA_VERSION,
        "campaign": {"id": campaign.pk, "name": campaign.name, "county": campaign.county.name},
        "volume": {
            "number": volume.number,
            "count": count,
            "title": volume.title,
            "indicators": [i.code for i in volume.indicators],
        },
    }
    name = safe_component(f"第{volume.number:03d}册-{volume.title}.zip", limit=80)
    spec = volume_zip.VolumeSpec(volume.number, str(partial / name), manifest, members)
    return drawing.VolumeJob(drawing_job, spec)


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


def _run(workers, inbox, volumes, job, sheets_job, tick):
    """Hand the spreadsheets and then the volumes to the workers, each kept two jobs ahead (it starts
    the next while the parent takes in this one); the written volumes by number and the spreadsheets'
    index entries. The spreadsheets go first: last, they kept one worker busy while the other had
    nothing left to do."""
    waiting, busy = [*reversed(volumes), None], dict.fromkeys(workers, 0)  # None: the spreadsheets
    written, sheets = {}, None
    while True:
        while waiting and min(busy.values()) < 2:
            worker = min(workers, key=busy.get)
            volume = waiting.pop()
            worker.submit(sheets_job() if volume is None else job(volume))
            busy[worker] += 1
        if not any(busy.values()):
            return written, sheets
        try:
            worker, key, message = inbox.get(timeout=1.0)
        except queue.Empty:
            tick(0, 0)  # a heartbeat: the job page tells a long volume from a dead export
            continue
        if isinstance(message, drawing.Progress):
            tick(message.files, message.bytes)
            continue
        result = drawing.outcome(key, message)
        busy[worker] -= 1
        if key == drawing.SheetsJob.key:
            sheets = result
        else:
            written[key] = result


def build_package(
    options: collect.Options, target: Path, *, generated_by: str, progress: Progress | None = None
) -> BuiltPackage:
    """Build the package for ``options`` into ``target`` (created; replaced only when complete)."""
    with contextlib.ExitStack() as workers_running:
        # Started first: the workers load their fonts while this process reads the database.
        inbox = queue.SimpleQueue()
        workers = [workers_running.enter_context(drawing.Drawer(inbox)) for _ in range(_worker_count())]
        return _build(workers, workers_running, inbox, options, Path(target), generated_by, progress)


def _worker_count() -> int:
    """Worker processes for one export: one per core (each builds whole volumes: a third of its time
    drawing and merging, the rest copying and hashing), up to PACKAGE_EXPORT_PROCESSES."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(settings.PACKAGE_EXPORT_PROCESSES, cores))


def _build(workers, workers_running, inbox, options, target: Path, generated_by: str, progress) -> BuiltPackage:
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

        def job(volume) -> drawing.VolumeJob:
            return _volume_job(campaign, volume, len(volumes), converter, work, partial)

        with workers_running:  # stopped before the work folder goes: they may still be writing into it
            written, sheets = _run(workers, inbox, volumes, job, lambda: _sheets_job(partial, volumes, links), tick)
        built = []
        for volume in volumes:
            w = written[volume.number]
            built.append(
                BuiltVolume(volume.number, volume.title, w.file_name, w.sha256, w.size, len(volume.entries), w.merged)
            )
        remember_crc32s({sha256: crc for w in written.values() for sha256, crc in w.crcs.items()})
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
