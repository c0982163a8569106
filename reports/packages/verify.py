"""Re-checking a package: every file of a volume against its manifest, every volume against the
index. Streams everything; reports mismatched, missing and extra files.

Volumes are stored (not compressed), so one sequential read of a volume gives both the hash of the
whole ZIP (checked against the index) and the hash of each member (checked against the manifest);
the whole-file digest runs on a second thread, so a package is read once and hashed at about the
speed of ``sha256sum`` over the same bytes.
"""

import hashlib
import json
import struct
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from evidence.storage import file_sha256

CHUNK = 1024 * 1024
SIDE_FILES = {"index.json"}
LOCAL_HEADER = struct.Struct("<4s5H3L2H")


@dataclass
class Checked:
    """What a verification looked at and what it found wrong."""

    problems: list[str] = field(default_factory=list)
    volumes: int = 0
    files: int = 0


def _data_ranges(handle, infos: list[zipfile.ZipInfo]) -> list[tuple[int, int, str]]:
    """(start, end, name) of each stored member's bytes in the file, in file order."""
    ranges = []
    for info in infos:
        handle.seek(info.header_offset)
        header = LOCAL_HEADER.unpack(handle.read(LOCAL_HEADER.size))
        start = info.header_offset + LOCAL_HEADER.size + header[-2] + header[-1]
        ranges.append((start, start + info.compress_size, info.filename))
    return sorted(ranges)


def _read_digests(path: Path, stored: list[zipfile.ZipInfo], whole: bool) -> tuple[str | None, dict[str, str]]:
    """One sequential pass: the whole file's SHA-256 (if asked) and each stored member's."""
    digests = {info.filename: hashlib.sha256() for info in stored}
    file_digest = hashlib.sha256() if whole else None
    with path.open("rb") as handle, ThreadPoolExecutor(max_workers=1) as pool:
        ranges = _data_ranges(handle, stored)
        handle.seek(0)
        position, pending, current = 0, None, 0
        while chunk := handle.read(CHUNK):
            if file_digest is not None:
                if pending is not None:
                    pending.result()  # keeps at most two chunks in memory and the digest in order
                pending = pool.submit(file_digest.update, chunk)
            end = position + len(chunk)
            view = memoryview(chunk)
            while current < len(ranges) and ranges[current][0] < end:
                start, stop, name = ranges[current]
                digests[name].update(view[max(start - position, 0) : min(stop, end) - position])
                if stop > end:
                    break
                current += 1
            position = end
        if pending is not None:
            pending.result()
    return (file_digest.hexdigest() if file_digest else None), {n: d.hexdigest() for n, d in digests.items()}


def _hash_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> str:
    digest = hashlib.sha256()
    with archive.open(info) as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def verify_zip(path: Path, checked: Checked | None = None, *, expected_sha256: str | None = None) -> Checked:
    """Check one volume ZIP: every file against its manifest entry, nothing missing, nothing extra;
    with ``expected_sha256``, the ZIP itself against the package index too."""
    checked = checked if checked is not None else Checked()
    checked.volumes += 1
    problems = checked.problems
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        problems.append(f"{path.name}：不是有效的 ZIP 文件（{exc}）")
        return checked
    with archive:
        try:
            manifest = json.loads(archive.read("manifest.json"))
        except (KeyError, ValueError, zipfile.BadZipFile):
            problems.append(f"{path.name}：缺少或无法读取 manifest.json")
            return checked
        expected = {f["path"]: f for f in manifest.get("files", [])}
        present = {i.filename: i for i in archive.infolist() if not i.is_dir() and i.filename != "manifest.json"}
        for name in sorted(set(expected) - set(present)):
            problems.append(f"{path.name}：缺少文件 {name}")
        for name in sorted(set(present) - set(expected)):
            problems.append(f"{path.name}：多出清单之外的文件 {name}")
        both = sorted(set(expected) & set(present))
        stored = [present[n] for n in both if present[n].compress_type == zipfile.ZIP_STORED]
        try:
            whole, digests = _read_digests(path, stored, whole=expected_sha256 is not None)
        except (OSError, struct.error) as exc:
            problems.append(f"{path.name}：无法读取（{exc}）")
            return checked
        if expected_sha256 is not None and whole != expected_sha256:
            problems.append(f"{path.name} 与索引不符（SHA-256 不一致）")
        for name in both:
            info, entry = present[name], expected[name]
            checked.files += 1
            if info.file_size != entry["size"]:
                problems.append(f"{path.name}：{name} 大小不符（清单 {entry['size']}，实际 {info.file_size}）")
                continue
            try:
                actual = digests.get(name) or _hash_member(archive, info)
            except (zipfile.BadZipFile, OSError) as exc:
                problems.append(f"{path.name}：{name} 无法读取（{exc}）")
                continue
            if actual != entry["sha256"]:
                problems.append(f"{path.name}：{name} 内容与清单不符（SHA-256 不一致）")
    return checked


def verify_folder(folder: Path) -> Checked:
    """Check a package folder: the index's volumes and spreadsheets, then each volume's files."""
    checked = Checked()
    problems = checked.problems
    try:
        index = json.loads((folder / "index.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        problems.append(f"{folder}：缺少或无法读取 index.json")
        return checked
    listed = {v["file"]: v for v in index.get("volumes", [])}
    listed.update({s["file"]: s for s in index.get("spreadsheets", [])})
    present = {p.name for p in folder.iterdir() if p.is_file()} - SIDE_FILES
    for name in sorted(set(listed) - present):
        problems.append(f"缺少 {name}")
    for name in sorted(present - set(listed)):
        problems.append(f"多出索引之外的文件 {name}")
    for name in sorted(set(listed) & present):
        entry, path = listed[name], folder / name
        if path.stat().st_size != entry["size"]:
            problems.append(f"{name} 与索引不符（大小不一致）")
        elif name.endswith(".zip"):
            verify_zip(path, checked, expected_sha256=entry["sha256"])
        elif file_sha256(path) != entry["sha256"]:
            problems.append(f"{name} 与索引不符（SHA-256 不一致）")
    return checked


def verify(path: Path) -> Checked:
    """Check a package folder or a single volume ZIP."""
    path = Path(path)
    if path.is_dir():
        return verify_folder(path)
    if path.is_file():
        return verify_zip(path)
    return Checked(problems=[f"找不到 {path}"])
