"""Province-platform package export and verification at scale (issue: 5 GB in 20,000 files).

Run:  .venv/bin/python benchmarks/package_bench.py                 (5 GiB, 20,000 files)
      .venv/bin/python benchmarks/package_bench.py --gib 0.5 --files 2000   (quick run)

Builds the demo county (SQLite in a temporary directory unless DATABASE_URL is set), then adds
``--files`` approved evidence files totalling ``--gib`` GiB, spread over every assignment: real
PDFs (a page with a JPEG scan), real JPEG photos, and a share of real DOCX/XLSX files, every one
unique (content-addressed storage would otherwise store duplicates once). Then, in the same run:

1. plain copy: a sequential read-and-copy (1 MiB chunks) of the same evidence files to a folder,
   twice (the faster counts), timed twice each: when its last write returns (the copy may then be
   in the page cache only), and when a sync that follows has put it on the disk;
2. export: ``manage.py export_package`` as its own process — wall time (when it exits, and when a
   sync that follows returns: it writes its volumes past the page cache, so little is left to do),
   throughput over the evidence bytes, peak RSS of that process (its VmHWM), and the peak of it and
   its children together (the worker processes that draw covers, 目录 and merged PDFs and write the
   volumes, and LibreOffice when it converts office files), both sampled every 50 ms;
   It runs three times: with merged PDFs switched off (PACKAGE_MERGE_MAX_BYTES=0), to separate the
   cost of the merged volume PDFs (which write every PDF and image byte a second time) from the
   rest; then as configured, twice — the first export makes the PDF renditions of the office files
   with LibreOffice (in production the background job has made most of them by then), the second
   finds them kept, as every later export does;
3. the disk's own ceiling: a sequential write past the page cache (O_DIRECT) of up to 4 GiB, then
   fsync. A package with merged PDFs is twice the evidence (every PDF and image byte is written again
   inside its volume's merged PDF), so on a disk the copy already keeps busy no export of it can come
   near the copy's rate: printed, the least time this disk needs for the default package, what ratio
   that allows at best, and how close the export came to it;
4. ``manage.py verify_package`` on the last package folder against ``sha256sum`` over the same files.

Needs about 4 × GiB of free disk under the system temp directory (evidence, copy, packages).
"""

import argparse
import contextlib
import hashlib
import io
import mmap
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MIB = 1024 * 1024
TYPES = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def jpeg(rng: random.Random, size: int, base: bytes) -> bytes:
    """A real JPEG of about ``size`` bytes: a noise photo padded with random comment segments (unique)."""
    padding, need = [], max(size - len(base), 16)
    while need > 0:
        chunk = min(need, 65000)
        padding.append(b"\xff\xfe" + (chunk + 2).to_bytes(2, "big") + rng.randbytes(chunk))
        need -= chunk + 4
    return base[:2] + b"".join(padding) + base[2:]


def pdf_with(image: bytes) -> bytes:
    """A one-page A4 PDF showing ``image`` (a JPEG), written by hand so that 20,000 of them are quick."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im1 4 0 R >> >>"
        b" /Contents 5 0 R >>",
        b"<< /Type /XObject /Subtype /Image /Width 600 /Height 800 /ColorSpace /DeviceRGB /BitsPerComponent 8"
        b" /Filter /DCTDecode /Length %d >>\nstream\n" % len(image) + image + b"\nendstream",
    ]
    content = b"q 500 0 0 700 47 71 cm /Im1 Do Q"
    objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    out, offsets = io.BytesIO(), []
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def office(rng: random.Random, kind: str, n: int) -> bytes:
    buffer = io.BytesIO()
    if kind == "docx":
        from docx import Document

        document = Document()
        document.add_heading(f"鲁山县法治政府建设工作材料 第{n}号", level=1)
        for i in range(rng.randint(3, 12)):
            document.add_paragraph(f"第{i + 1}条 依法行政工作情况说明，编号 {rng.getrandbits(64):x}。" * 4)
        document.save(buffer)
    else:
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.append(["序号", "事项", "单位", "编号"])
        for i in range(rng.randint(10, 60)):
            sheet.append([i + 1, "行政许可事项", "鲁山县司法局", f"{rng.getrandbits(64):x}"])
        book.save(buffer)
    return buffer.getvalue()


def add_evidence(files: int, total: int, office_share: float, seed: int = 11) -> tuple[int, int]:
    """Write ``files`` unique blobs (``total`` bytes in all) into storage and approved evidence rows."""
    from django.core.files.storage import default_storage
    from django.db import transaction
    from django.utils import timezone
    from PIL import Image

    from accounts.models import User
    from evidence.models import Evidence, EvidenceAssignment, EvidenceFile, StoredFile
    from evidence.storage import blob_name
    from indicators.models import Assignment, Campaign

    rng = random.Random(seed)  # noqa: S311 - reproducible data
    photo = io.BytesIO()
    Image.frombytes("RGB", (600, 800), rng.randbytes(600 * 800 * 3)).save(photo, "JPEG", quality=40)
    base = photo.getvalue()
    campaign = Campaign.objects.get(name__contains="鲁山")
    assignments = list(Assignment.objects.filter(campaign=campaign).values_list("id", "unit_id"))
    authors = dict(User.objects.filter(role="liaison").values_list("unit_id", "id"))
    office_id = User.objects.get(username="demo_office").pk
    mean = total / files
    written, stored_rows = 0, []
    for n in range(files):
        roll = rng.random()
        if roll < office_share:
            kind = "docx" if roll < office_share * 0.7 else "xlsx"
            data = office(rng, kind, n)
        else:
            # Sizes spread from a few KB to ~12× the mean, most near it; the last file tops the total up.
            remaining = total - written
            size = max(int(rng.lognormvariate(0, 0.8) * mean * 0.72), 20_000)
            size = min(size, max(remaining - 20_000 * (files - n - 1), 20_000))
            kind = "pdf" if rng.random() < 0.65 else "jpg"
            data = jpeg(rng, size, base)
            if kind == "pdf":
                data = pdf_with(data)
        sha = hashlib.sha256(data).hexdigest()
        path = Path(default_storage.path(blob_name(sha)))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written += len(data)
        stored_rows.append(
            StoredFile(  # with the CRC-32 an upload computes as its bytes arrive
                sha256=sha,
                size=len(data),
                kind=kind,
                content_type=TYPES[kind],
                blob=blob_name(sha),
                crc32=zlib.crc32(data),
            )
        )
    now = timezone.now()
    with transaction.atomic():
        stored = StoredFile.objects.bulk_create(stored_rows, batch_size=2000)
        position = 0
        while position < len(stored):
            batch = []
            for _ in range(500):
                if position >= len(stored):
                    break
                count = min(rng.choice((1, 1, 1, 2, 3)), len(stored) - position)
                assignment_id, unit_id = rng.choice(assignments)
                batch.append((assignment_id, unit_id, stored[position : position + count]))
                position += count
            evidence = Evidence.objects.bulk_create(
                Evidence(
                    campaign=campaign,
                    unit_id=unit_id,
                    title=f"批量佐证材料{i}",
                    status=Evidence.Status.APPROVED,
                    unclassified=True,
                    created_by_id=authors[unit_id],
                    reviewed_by_id=office_id,
                    reviewed_at=now,
                )
                for i, (_a, unit_id, _s) in enumerate(batch, start=position)
            )
            EvidenceAssignment.objects.bulk_create(
                EvidenceAssignment(evidence=e, assignment_id=a) for e, (a, _u, _s) in zip(evidence, batch, strict=True)
            )
            EvidenceFile.objects.bulk_create(
                EvidenceFile(evidence=e, stored=s, name=f"材料{s.pk}.{s.kind}", order=k)
                for e, (_a, _u, files_) in zip(evidence, batch, strict=True)
                for k, s in enumerate(files_)
            )
    return files, written


def settle() -> None:
    """Start each timed step with no writeback pending from the step before: how fast a program can
    write depends on how many dirty pages the kernel is still flushing (seen here: the same copy took
    5 s and 18 s)."""
    os.sync()
    time.sleep(2)


def plain_copy(sources: list[Path], target: Path) -> tuple[float, float]:
    """(seconds until the last write returned, seconds until the copy was on the disk)."""
    target.mkdir(parents=True)
    settle()
    start = time.perf_counter()
    for n, source in enumerate(sources):
        with source.open("rb") as src, (target / str(n)).open("wb") as dst:
            while chunk := src.read(MIB):
                dst.write(chunk)
    written = time.perf_counter() - start
    os.sync()
    return written, time.perf_counter() - start


def disk_write_rate(folder: Path, size: int) -> float:
    """MiB/s of a sequential write of ``size`` bytes past the page cache (O_DIRECT, 8 MiB at a time),
    then fsync: the most this disk takes, whatever the program. A package with merged PDFs writes every
    PDF and image byte twice, so this caps its export however fast the CPUs are."""
    block = 8 * MIB
    blocks = max(1, size // block)
    buffer = mmap.mmap(-1, block)  # page-aligned, as O_DIRECT wants
    buffer.write(os.urandom(block))
    path = folder / "disk-rate"
    settle()
    start = time.perf_counter()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_DIRECT", 0))
    except OSError:  # a filesystem without O_DIRECT
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        for _ in range(blocks):
            os.write(fd, buffer)
        os.fsync(fd)
    finally:
        os.close(fd)
    seconds = time.perf_counter() - start
    path.unlink()
    buffer.close()
    return blocks * block / MIB / seconds


def status_mib(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def descendants(pid: int) -> list[int]:
    found = []
    with contextlib.suppress(OSError):  # a process that ended while being looked at
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                for child in (task / "children").read_text().split():
                    found += [int(child), *descendants(int(child))]
    return found


def tree_rss_mib(pid: int) -> float:
    """Resident memory of the process and everything it started (LibreOffice) right now."""
    total = 0.0
    for member in [pid, *descendants(pid)]:
        with contextlib.suppress(OSError):
            total += status_mib(member, "VmRSS")
    return total


def run_measured(command: list[str], env: dict, *, sync: bool = False) -> tuple[float, float, float, float, str]:
    """(seconds until it exited, seconds until a sync that followed returned (with ``sync``), peak RSS
    MiB of the process, peak RSS MiB of it and its children together, stdout).

    The process's own peak is the kernel's high-water mark (VmHWM), read every 50 ms. (wait4's
    ru_maxrss is no use here: it counts the benchmark's own memory, inherited at fork, before exec.)"""
    settle()
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak = {"own": 0.0, "tree": 0.0}
    halt = threading.Event()

    def sample():
        while not halt.wait(0.05):
            with contextlib.suppress(OSError):  # one missed sample, not the end of sampling
                peak["own"] = max(peak["own"], status_mib(process.pid, "VmHWM"))
                peak["tree"] = max(peak["tree"], tree_rss_mib(process.pid))

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    output = process.stdout.read().decode()
    error = process.stderr.read().decode()
    process.wait()
    seconds = time.perf_counter() - start
    if sync:
        os.sync()
    synced = time.perf_counter() - start
    halt.set()
    thread.join()
    if process.returncode != 0:
        sys.exit(f"{' '.join(command[2:4])} failed ({process.returncode}):\n{output}\n{error[-3000:]}")
    return seconds, synced, peak["own"], peak["tree"], output


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gib", type=float, default=5.0)
    parser.add_argument("--files", type=int, default=20000)
    parser.add_argument("--office-share", type=float, default=0.03, help="share of DOCX/XLSX files")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="package-bench-"))
    env = {
        **os.environ,
        "DATABASE_URL": os.environ.get("DATABASE_URL", f"sqlite:///{tmp}/bench.sqlite3"),
        "DJANGO_SETTINGS_MODULE": "luhsan_portal.settings.base",
        "DJANGO_MEDIA_ROOT": str(tmp / "media"),
        "DJANGO_DEBUG": "false",
    }
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from evidence.models import StoredFile
    from indicators.models import Campaign

    try:
        call_command("migrate", verbosity=0)
        call_command("seed_demo", "--force", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
        start = time.perf_counter()
        count, size = add_evidence(args.files, int(args.gib * 1024**3), args.office_share)
        campaign = Campaign.objects.get(name__contains="鲁山")
        from django.core.files.storage import default_storage

        from evidence.storage import blob_name

        blobs = [Path(default_storage.path(blob_name(s))) for s in StoredFile.objects.values_list("sha256", flat=True)]
        evidence_bytes = sum(p.stat().st_size for p in blobs)
        print(
            f"database: {connection.vendor}; added {count} files, {size / MIB:.0f} MiB in "
            f"{time.perf_counter() - start:.0f} s; all evidence files: {len(blobs)}, {evidence_bytes / MIB:.0f} MiB;"
            f" LibreOffice: {'yes' if shutil.which('soffice') else 'no'}; CPUs: {os.cpu_count()}"
        )
        connection.close()

        # Twice, and the faster counts: the stricter ratio. The copy's last write returns while most of
        # it is still only in the page cache (gigabytes on this machine); the export writes its
        # volumes to the disk as it goes. Both are timed to the disk as well, and both ratios shown.
        copies = []
        for _attempt in range(2):
            copies.append(plain_copy(blobs, tmp / "copy"))
            shutil.rmtree(tmp / "copy")
        copy_s, copy_disk_s = min(c[0] for c in copies), min(c[1] for c in copies)
        print(
            f"plain copy:          {copy_s:7.1f} s  {evidence_bytes / MIB / copy_s:7.1f} MiB/s;"
            f" on the disk {copy_disk_s:.1f} s  {evidence_bytes / MIB / copy_disk_s:.1f} MiB/s"
            f"  (faster of {' and '.join(f'{w:.1f} s / {d:.1f} s' for w, d in copies)})"
        )

        manage = [sys.executable, "manage.py"]
        results = {}
        runs = (
            ("export (no merged PDF)", "plain", {"PACKAGE_MERGE_MAX_BYTES": "0"}),
            ("export (default, 1st)", "first", {}),
            ("export (default)", "default", {}),
        )
        for label, folder, extra in runs:
            out = tmp / f"package-{folder}"
            seconds, synced, own, tree, output = run_measured(
                [*manage, "export_package", "--campaign", str(campaign.pk), "--out", str(out), "-v", "0"],
                {**env, **extra},
                sync=True,
            )
            package_bytes = sum(p.stat().st_size for p in out.iterdir())
            rate = evidence_bytes / MIB / seconds
            results[label] = (out, synced)
            volumes = len(list(out.glob("*.zip")))
            if folder != "default":
                shutil.rmtree(out)  # only the last package is verified: keep the disk need down
            print(
                f"{label:21s}{seconds:7.1f} s  {rate:7.1f} MiB/s of evidence; on the disk {synced:.1f} s;"
                f"  ratio to copy on the disk {copy_disk_s / synced:4.0%},"
                f" to the copy's last write {copy_s / seconds:.0%}"
                f"  peak RSS {own:.0f} MiB (with its child processes {tree:.0f} MiB)"
                f"  package {package_bytes / MIB:.0f} MiB in {volumes} volumes"
            )
        out = results["export (default)"][0]
        files = sorted(p for p in out.iterdir() if p.is_file())
        package_bytes = sum(p.stat().st_size for p in files)
        disk = disk_write_rate(tmp, min(evidence_bytes, 4 * 1024 * MIB))
        floor = package_bytes / MIB / disk
        print(
            f"disk write ceiling:  {disk:7.1f} MiB/s (O_DIRECT, then fsync); the default package"
            f" ({package_bytes / MIB:.0f} MiB) needs at least {floor:.1f} s on this disk: at best"
            f" {copy_disk_s / floor:.0%} of the copy on the disk; the export reached"
            f" {floor / results['export (default)'][1]:.0%} of that ceiling (on the disk)"
        )
        settle()
        start = time.perf_counter()
        subprocess.run(["sha256sum", *map(str, files)], check=True, stdout=subprocess.DEVNULL)
        sha_s = time.perf_counter() - start
        verify_s, _synced, own, _tree, output = run_measured([*manage, "verify_package", str(out)], env)
        print(
            f"sha256sum (package): {sha_s:7.1f} s  {package_bytes / MIB / sha_s:7.1f} MiB/s\n"
            f"verify_package:      {verify_s:7.1f} s  {package_bytes / MIB / verify_s:7.1f} MiB/s"
            f"  ratio to sha256sum {sha_s / verify_s:5.0%}  peak RSS {own:.0f} MiB  — {output.strip()}"
        )
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
