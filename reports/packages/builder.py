"""Building a province-platform package (DESIGN.md §3.7) into a folder: one ZIP per volume, each with
its cover, 目录, the original files, a merged PDF where possible and manifest.json; index.json,
目录.xlsx and 网络检索链接.xlsx beside them.

Deterministic: fixed ZIP timestamps and attributes, sorted JSON, covers dated by the material (not by
today), entries in tree order — so the same inputs give byte-identical volumes. Bounded memory:
files are copied into the archives in 1 MiB chunks (ZIP_STORED, ZIP64 when large), never read whole.
Atomic: everything is written into a hidden ``.partial`` folder that is renamed at the very end, so a
killed worker never leaves a half-package that looks complete.
"""

import hashlib
import io
import json
import os
import queue
import shutil
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from evidence.storage import blob_open
from reports.packages import collect, merging, renditions
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


def _add_blob(archive: zipfile.ZipFile, name: str, entry, tick) -> None:
    size = entry.file.stored.size
    with (
        blob_open(entry.file.stored) as source,
        archive.open(_info(name, size), "w", force_zip64=size > 2**31) as target,
    ):
        while chunk := source.read(CHUNK):
            target.write(chunk)
            tick(0, len(chunk))


class _Sha256:
    """SHA-256 computed on a second thread fed through a short queue, so hashing overlaps with reading
    and writing the next chunks (hashlib releases the GIL). Waiting for each chunk's digest instead
    made copying twice as slow."""

    def __init__(self):
        self.digest = hashlib.sha256()
        self.size = 0
        # A few chunks in flight are enough to keep the thread busy; a merged volume has two of these.
        self._queue: queue.Queue = queue.Queue(maxsize=4)
        self._thread = threading.Thread(target=self._run, name="package-sha256", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (data := self._queue.get()) is not None:
            self.digest.update(data)

    def update(self, data: bytes) -> None:
        self._queue.put(data)  # bytes: immutable, so the caller cannot change them under the thread
        self.size += len(data)

    def hexdigest(self) -> str:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        return self.digest.hexdigest()


class _HashingWriter:
    """A write-only, unseekable file that hashes what passes through it.

    Unseekable on purpose: zipfile then streams each member with a data descriptor instead of
    seeking back to patch its header, so the volume's SHA-256 is known the moment it is closed —
    no second read.
    """

    def __init__(self, raw):
        self.raw = raw
        self.sha256 = _Sha256()

    def write(self, data) -> int:
        data = bytes(data)  # bytes pass through uncopied; a buffer the caller may reuse is copied
        self.raw.write(data)
        self.sha256.update(data)
        return len(data)

    def tell(self) -> int:
        return self.sha256.size

    def seek(self, *args):
        raise OSError("unseekable")

    def flush(self) -> None:
        self.raw.flush()

    def hexdigest(self) -> str:
        return self.sha256.hexdigest()


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


def _add_merged(archive: zipfile.ZipFile, merge: merging.Merge) -> dict:
    """The merged PDF, written by qpdf straight into the archive (no temporary copy to read back)."""
    # Renditions and stamped numbers make it a little larger than its parts; ZIP64 well before 4 GiB.
    with archive.open(_info(merging.MERGED_NAME), "w", force_zip64=merge.size > 2**30) as target:
        member = _HashingWriter(target)
        try:
            merge.write(member)
        finally:
            sha256 = member.hexdigest()
    return {"path": merging.MERGED_NAME, "sha256": sha256, "size": member.tell()}


def _volume_zip(path: Path, campaign, volume, count: int, converter: renditions.Converter, tick) -> BuiltVolume:
    """The volume's ZIP. A part that only shows its damage while qpdf copies it leaves half a merged
    PDF in the archive: the volume is then built again without one."""
    try:
        return _write_volume(path, campaign, volume, count, converter, tick, merge=True)
    except _MergeFailed:
        return _write_volume(path, campaign, volume, count, converter, tick, merge=False)


class _MergeFailed(Exception):
    pass


def _write_volume(path: Path, campaign, volume, count: int, converter, tick, *, merge: bool) -> BuiltVolume:
    from reports.packages import volume_pdf as vp

    cover = _cover(campaign, volume, count)
    manifest_files = []
    with (
        # Beside the package, not in /tmp: a merged volume PDF can be hundreds of MB.
        tempfile.TemporaryDirectory(prefix="volume-", dir=converter.workdir.parent) as work,
        path.open("wb") as raw,
    ):
        writer = _HashingWriter(raw)
        archive = zipfile.ZipFile(writer, "w", zipfile.ZIP_STORED)
        try:
            cover_bytes = vp.cover_pdf(cover)
            manifest_files.append(_add_bytes(archive, "封面.pdf", cover_bytes))
            merged = merging.prepare_merge(cover, cover_bytes, volume, Path(work), converter) if merge else None
            toc = merged.toc if merged else vp.toc_pdf(cover, merging.toc_entries(volume))
            manifest_files.append(_add_bytes(archive, "目录.pdf", toc))
            if merged is not None:
                try:
                    manifest_files.append(_add_merged(archive, merged))
                except vp.VolumeMergeError as exc:
                    raise _MergeFailed from exc
            for entry in volume.entries:
                _add_blob(archive, entry.path, entry, tick)
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
        except BaseException:
            # Abandoned (the partial folder goes): stop the ZipFile from finishing itself into a closed file.
            archive.fp = None
            raise
        finally:
            sha256 = writer.hexdigest()
    return BuiltVolume(
        number=volume.number,
        title=volume.title,
        file_name=path.name,
        sha256=sha256,
        size=path.stat().st_size,
        file_count=len(volume.entries),
        merged=merged is not None,
    )


def _sheet(book: Workbook, title: str, widths: list[int]):
    sheet = book.create_sheet(title)
    sheet.freeze_panes = "A2"
    for index, width in enumerate(widths):
        sheet.column_dimensions[get_column_letter(index + 1)].width = width
    return sheet


def _sheets(folder: Path, campaign, built_volumes, volumes, links) -> list[dict]:
    # Write-only workbooks stream their rows: a 20,000-row 目录 would otherwise hold ~90 MB of cells.
    toc = Workbook(write_only=True)
    sheet = _sheet(toc, "目录", [8, 30, 10, 24, 36, 70, 14, 20, 14])
    sheet.append(
        ["册号", "分册", "指标编号", "单位", "材料", "文件（册内路径）", "大小（字节）", "SHA-256", "审核通过"]
    )
    for built, volume in zip(built_volumes, volumes, strict=True):
        for entry in volume.entries:
            sheet.append(
                [
                    built.number,
                    built.title,
                    entry.indicator.code,
                    entry.evidence.unit.name,
                    entry.evidence.title,
                    entry.path,
                    entry.size,
                    entry.file.stored.sha256,
                    collect.approved_on(entry),
                ]
            )
    links_book = Workbook(write_only=True)
    link_sheet = _sheet(links_book, "网络检索链接", [10, 30, 24, 30, 50, 20, 12, 10, 18])
    link_sheet.append(["指标编号", "指标", "单位", "材料", "网址", "网站或公众号", "发布日期", "检测结果", "检测时间"])
    for link, indicators in links:
        for indicator in indicators:
            checked = timezone.localtime(link.checked_at).strftime("%Y-%m-%d %H:%M") if link.checked_at else ""
            link_sheet.append(
                [
                    indicator.code,
                    indicator.title,
                    link.evidence.unit.name,
                    link.evidence.title,
                    link.url,
                    link.site,
                    link.published_on,
                    link.get_check_status_display(),
                    checked,
                ]
            )
    rows = []
    for name, book in (("目录.xlsx", toc), ("网络检索链接.xlsx", links_book)):
        buffer = io.BytesIO()
        book.save(buffer)
        (folder / name).write_bytes(buffer.getvalue())
        rows.append(
            {"file": name, "sha256": hashlib.sha256(buffer.getvalue()).hexdigest(), "size": len(buffer.getvalue())}
        )
    return rows


def build_package(
    options: collect.Options, target: Path, *, generated_by: str, progress: Progress | None = None
) -> BuiltPackage:
    """Build the package for ``options`` into ``target`` (created; replaced only when complete)."""
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
    target = Path(target)
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
        built = []
        for volume in volumes:
            name = safe_component(f"第{volume.number:03d}册-{volume.title}.zip", limit=80)
            built.append(_volume_zip(partial / name, campaign, volume, len(volumes), converter, tick))
        sheets = _sheets(partial, campaign, built, volumes, links)
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
            "indicators_without_material": [
                i.code for i in indicators if i.pk not in {e.indicator.pk for e in entries}
            ],
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
