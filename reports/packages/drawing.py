"""Covers, 目录 and merged volume PDFs (and the package's two spreadsheets), made in a second process
while the export copies files in the first.

Drawing is Python (reportlab) or qpdf work that holds the GIL: on the exporting process it took more
time than copying the files, and on a thread beside the copying it made the copying four times
slower. A child process draws the next volume while the parent copies this one's files. It runs
without Django and the database: jobs and results are plain data over its stdin and stdout (pickle:
the parent only ever talks to the child it started from this same code).
"""

import contextlib
import hashlib
import io
import os
import pickle
import queue
import struct
import subprocess
import sys
import tempfile
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from reports.packages import volume_pdf as vp
from reports.packages.direct import DirectWriter

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Job:
    """A volume's front matter and merged PDF."""

    number: int
    cover: vp.VolumeCover
    entries: list[vp.TocEntry]  # the 目录 rows, without page numbers
    parts: list[tuple[str, str]] | None  # (path, "pdf" or "image") per entry for a merged PDF, else None
    identities: list[str]  # "<sha256>.<kind>" per entry: with the cover and 目录, the merged PDF's /ID
    workdir: str  # where the merged PDF is written (the parent removes it)

    @property
    def key(self) -> int:
        return self.number


@dataclass(frozen=True)
class SheetsJob:
    """目录.xlsx and 网络检索链接.xlsx, written into folder; the result is their index.json entries."""

    folder: str
    toc: list[tuple]  # 册号, 分册, 指标编号, 单位, 材料, 文件, 大小, SHA-256, 审核通过
    links: list[tuple]  # 指标编号, 指标, 单位, 材料, 网址, 网站或公众号, 发布日期, 检测结果, 检测时间
    key = "sheets"


@dataclass(frozen=True)
class MergedPdf:
    """A merged volume PDF, hashed as it was written (the parent copies it into the volume and removes
    it)."""

    path: str
    size: int
    sha256: str
    crc32: int


@dataclass(frozen=True)
class Drawn:
    number: int
    cover: bytes
    toc: bytes
    merged: MergedPdf | None


@dataclass(frozen=True)
class _Failure:
    key: int | str
    error: Exception  # re-raised in the parent: a lost file is a FileNotFoundError there as well
    details: str  # the child's traceback


class DrawingFailed(RuntimeError):
    pass


# --- in the child ---------------------------------------------------------------------------------


def run(job: Job | SheetsJob):
    return write_sheets(job) if isinstance(job, SheetsJob) else draw(job)


def write_sheets(job: SheetsJob) -> list[dict]:
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    entries = []
    toc_head = ("册号", "分册", "指标编号", "单位", "材料", "文件（册内路径）", "大小（字节）", "SHA-256", "审核通过")
    link_head = ("指标编号", "指标", "单位", "材料", "网址", "网站或公众号", "发布日期", "检测结果", "检测时间")
    for name, title, widths, head, rows in (
        ("目录.xlsx", "目录", (8, 30, 10, 24, 36, 70, 14, 20, 14), toc_head, job.toc),
        ("网络检索链接.xlsx", "网络检索链接", (10, 30, 24, 30, 50, 20, 12, 10, 18), link_head, job.links),
    ):
        # Write-only: the rows are streamed, a 20,000-row 目录 would otherwise hold ~90 MB of cells.
        book = Workbook(write_only=True)
        sheet = book.create_sheet(title)
        sheet.freeze_panes = "A2"
        for index, width in enumerate(widths):
            sheet.column_dimensions[get_column_letter(index + 1)].width = width
        sheet.append(head)
        for row in rows:
            sheet.append(row)
        buffer = io.BytesIO()
        book.save(buffer)
        data = buffer.getvalue()
        (Path(job.folder) / name).write_bytes(data)
        entries.append({"file": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)})
    return entries


def draw(job: Job) -> Drawn:
    """The volume's cover, its 目录 and, when every part can be merged, its merged PDF (a file in
    job.workdir). A part that cannot be merged, even one that fails only while qpdf copies it, leaves
    the volume without a merged PDF and its 目录 saying "原件附后"."""
    cover = vp.cover_pdf(job.cover)
    if job.parts is not None:
        with tempfile.TemporaryDirectory(prefix=f"draw-{job.number}-", dir=job.workdir) as scratch:
            try:
                return _merged(job, cover, Path(scratch))
            except vp.VolumeMergeError:
                pass
    return Drawn(job.number, cover, vp.toc_pdf(job.cover, job.entries), None)


def _merged(job: Job, cover: bytes, scratch: Path) -> Drawn:
    # Every image becomes a page of one PDF, which qpdf then takes page by page.
    images = [Path(path) for path, kind in job.parts if kind == "image"]
    if images:
        vp.images_to_pdf(images, scratch / "images.pdf")
    files, pages, image_page = [], [], 0
    for path, kind in job.parts:
        if kind == "image":
            image_page += 1
            files.append((scratch / "images.pdf", image_page))
            pages.append(1)
        else:
            files.append(Path(path))
            pages.append(vp.count_pages(path))
    # The 目录's start pages depend on its own length: lay it out first (the page numbers in it do not
    # change that), then draw it; should the drawing still come out longer or shorter, again.
    toc_pages, toc = vp.toc_page_count(job.cover, job.entries), b""
    for _attempt in range(4):
        starts, page = [], 1 + 1 + toc_pages
        for count in pages:
            starts.append(page)
            page += count
        entries = [
            replace(entry, pages=count, start_page=start, note="")
            for entry, count, start in zip(job.entries, pages, starts, strict=True)
        ]
        toc = vp.toc_pdf(job.cover, entries)
        actual = vp.count_pages(toc)
        if actual == toc_pages:
            break
        toc_pages = actual
    identity = hashlib.sha256(b"luhsan merged volume 1")
    for piece in (cover, toc, *(name.encode() for name in job.identities)):
        identity.update(hashlib.sha256(piece).digest())
    target = Path(job.workdir) / f"merged-{job.number}.pdf"
    counts = [vp.count_pages(cover), toc_pages, *pages]
    try:
        # Through the page cache: the parent copies it into the volume at once and deletes it.
        with DirectWriter(target, crc=True, direct=False) as out:
            vp.merge_volume([cover, toc, *files], out, document_id=identity.digest()[:16], page_counts=counts)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return Drawn(job.number, cover, toc, MergedPdf(str(target), out.tell(), out.sha256, out.crc32))


def _send(stream, value) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(struct.pack("<Q", len(data)))  # buffered: written whole, never in part
    stream.write(data)
    stream.flush()


def _receive(stream):
    """The next value, or None at the end of the stream."""
    header = stream.read(8)
    if len(header) < 8:
        return None
    (length,) = struct.unpack("<Q", header)
    data = stream.read(length)
    if len(data) < length:
        raise EOFError("truncated message")
    return pickle.loads(data)  # noqa: S301 - from the parent or child this module started


def serve() -> None:
    """The child's loop: a job from stdin, its result to stdout, until stdin closes."""
    # Buffered whatever PYTHONUNBUFFERED says: an unbuffered pipe may take a large result in parts.
    jobs = open(os.dup(0), "rb")  # noqa: PTH123, SIM115 - descriptors, open for the process's life
    results = open(os.dup(1), "wb")  # noqa: PTH123, SIM115
    os.dup2(2, 1)  # anything else written to stdout, even by C code, goes to stderr, not into the results
    sys.stdout = sys.stderr
    while (job := _receive(jobs)) is not None:
        try:
            result = run(job)
        except Exception as exc:  # noqa: BLE001 - reported to the parent, which fails the export with it
            try:
                pickle.loads(pickle.dumps(exc))  # noqa: S301 - our own bytes
            except Exception:  # noqa: BLE001 - an exception that cannot cross: its text does
                exc = DrawingFailed(f"{type(exc).__name__}: {exc}")
            result = _Failure(job.key, exc, traceback.format_exc())
        _send(results, result)


# --- in the parent --------------------------------------------------------------------------------


class Drawer:
    """The child process and a thread that hands it jobs and collects its results in turn (strictly
    one after the other, so neither side can block the other on a full pipe)."""

    def __init__(self):
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        self._process = subprocess.Popen(  # noqa: S603 - this interpreter running this module
            [sys.executable, "-m", "reports.packages.drawing"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=ROOT,
            env=env,
        )
        self._jobs: queue.Queue = queue.Queue()
        self._results: dict = {}  # job key → Drawn, the sheets' entries or _Failure
        self._error: BaseException | None = None
        self._ready = threading.Condition()
        self._thread = threading.Thread(target=self._talk, name="package-drawing", daemon=True)
        self._thread.start()

    def _talk(self) -> None:
        try:
            while (job := self._jobs.get()) is not None:
                _send(self._process.stdin, job)
                result = _receive(self._process.stdout)
                if result is None:
                    raise EOFError(f"exit code {self._process.wait()}")
                with self._ready:
                    self._results[job.key] = result
                    self._ready.notify_all()
                del job, result  # the sheets' rows are megabytes: not kept while waiting for the next job
        except BaseException as exc:  # noqa: BLE001 - handed to take()
            with self._ready:
                self._error = exc
                self._ready.notify_all()

    def submit(self, job: Job | SheetsJob) -> None:
        self._jobs.put(job)

    def take(self, key: int | str, heartbeat: Callable[[], None]):
        """The result of the job with ``key`` (submitted before), waiting for it; heartbeat once a second."""
        while True:
            with self._ready:
                if key not in self._results and self._error is None:
                    self._ready.wait(1.0)
                result, error = self._results.pop(key, None), self._error
            if isinstance(result, _Failure):
                what = "目录表格" if key == SheetsJob.key else f"第{key}册的封面、目录或合并 PDF"
                result.error.add_note(f"{what}生成时（绘制进程）：\n{result.details}")
                raise result.error
            if result is not None:
                return result
            if error is not None:
                raise DrawingFailed(f"生成封面、目录和合并 PDF 的进程意外结束（{error}）") from error
            heartbeat()

    def close(self) -> None:
        """Stop the child (within seconds if it is still drawing: the export is over or abandoned)."""
        if self._process.stdin.closed:
            return
        self._jobs.put(None)
        with contextlib.suppress(OSError):  # the child is gone already
            self._process.stdin.close()
        if self._process.poll() is None:
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._thread.join(timeout=5)
        self._process.stdout.close()

    def __enter__(self) -> "Drawer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


if __name__ == "__main__":
    from reports.packages import drawing  # results pickled under this module's name, not __main__'s

    drawing.serve()
