"""The export's worker processes: each builds whole volumes — cover, 目录, merged PDF, then the volume
ZIP (volume_zip.py) — and one of them the package's two spreadsheets, while the export process reads
the database and hands out the work.

Drawing is Python (reportlab) or qpdf work that holds the GIL, and hashing a volume is as much work
again: on threads of one process they slowed each other down (copying four times slower), in a
process per core each volume is built start to finish without waiting for another. The workers run
without Django and the database: jobs, progress and results are plain data over their stdin and
stdout (pickle: the parent only ever talks to children it started from this same code).
"""

import contextlib
import ctypes
import hashlib
import io
import os
import pickle
import queue
import shutil
import signal
import struct
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from reports.packages import volume_pdf as vp
from reports.packages import volume_zip
from reports.packages.direct import Spool

ROOT = Path(__file__).resolve().parents[2]
PROGRESS_EVERY = 0.3  # seconds
PR_SET_PDEATHSIG = 1  # prctl(2)


@dataclass(frozen=True)
class Job:
    """A volume's front matter and merged PDF."""

    number: int
    cover: vp.VolumeCover
    entries: list[vp.TocEntry]  # the 目录 rows, without page numbers
    parts: list[tuple[str, str]] | None  # (path, "pdf" or "image") per entry for a merged PDF, else None
    identities: list[str]  # "<sha256>.<kind>" per entry: with the cover and 目录, the merged PDF's /ID
    workdir: str  # for the volume's scratch files (named by its number, each removed when done with)
    own_workdir: bool  # the volume's alone (copies from storage without local paths): removed after it


@dataclass(frozen=True)
class VolumeJob:
    """A whole volume: its front matter and merged PDF (drawing), then its ZIP."""

    drawing: Job
    spec: volume_zip.VolumeSpec

    @property
    def key(self) -> int:
        return self.drawing.number


@dataclass(frozen=True)
class Progress:
    """Files and bytes a worker has put into a volume since its last report."""

    key: int
    files: int
    bytes: int


@dataclass(frozen=True)
class SheetsJob:
    """目录.xlsx and 网络检索链接.xlsx, written into folder; the result is their index.json entries."""

    folder: str
    toc: list[tuple]  # 册号, 分册, 指标编号, 单位, 材料, 文件, 大小, SHA-256, 审核通过
    links: list[tuple]  # 指标编号, 指标, 单位, 材料, 网址, 网站或公众号, 发布日期, 检测结果, 检测时间
    key = "sheets"


@dataclass(frozen=True)
class MergedPdf:
    """A merged volume PDF, hashed as it was written, held until volume_zip copies it into the volume
    (whoever drew it closes the spool)."""

    spool: Spool
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


@dataclass(frozen=True)
class _Gone:
    error: BaseException  # why the parent lost the worker (it died, its pipe broke)


class DrawingFailed(RuntimeError):
    pass


def outcome(key: int | str | None, message):
    """The result a worker sent for job ``key``; raises what went wrong instead (the job's own error,
    with the worker's traceback as a note, or DrawingFailed for a worker that is gone)."""
    if isinstance(message, _Gone):
        raise DrawingFailed(f"生成材料包分册的工作进程意外结束（{message.error}）") from message.error
    if isinstance(message, _Failure):
        what = "目录表格" if key == SheetsJob.key else f"第{key}册"
        message.error.add_note(f"{what}生成时（导出工作进程）：\n{message.details}")
        raise message.error
    return message


# --- in the child ---------------------------------------------------------------------------------


def run(job: VolumeJob | SheetsJob, progress: Callable[[int, int], None] = lambda files, size: None):
    if isinstance(job, SheetsJob):
        return write_sheets(job)
    try:
        drawn = draw(job.drawing)
        try:
            return volume_zip.write_volume(job.spec, drawn, progress)
        finally:
            if drawn.merged is not None:
                drawn.merged.spool.close()
    finally:  # copies of files from storage without local paths
        if job.drawing.own_workdir:
            shutil.rmtree(job.drawing.workdir, ignore_errors=True)


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
    """The volume's cover, its 目录 and, when every part can be merged, its merged PDF (in a Spool: the
    caller closes it). A part that cannot be merged, even one that fails only while qpdf copies it, leaves
    the volume without a merged PDF and its 目录 saying "原件附后"."""
    cover = vp.cover_pdf(job.cover)
    if job.parts is not None:
        try:
            return _merged(job, cover)
        except vp.VolumeMergeError:
            pass
    return Drawn(job.number, cover, vp.toc_pdf(job.cover, job.entries), None)


def _merged(job: Job, cover: bytes) -> Drawn:
    # Every image becomes a page of one PDF, which qpdf then takes page by page.
    images = [Path(path) for path, kind in job.parts if kind == "image"]
    size = sum(image.stat().st_size for image in images)
    with vp.qpdf_input(f"images-{job.number}.pdf", size, Path(job.workdir)) as images_pdf:
        if images:
            vp.images_to_pdf(images, images_pdf)
        return _merge(job, cover, images_pdf)


def _merge(job: Job, cover: bytes, images_pdf: Path) -> Drawn:
    files, pages, image_page = [], [], 0
    for path, kind in job.parts:
        if kind == "image":
            image_page += 1
            files.append((images_pdf, image_page))
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
    counts = [vp.count_pages(cover), toc_pages, *pages]
    out = Spool(Path(job.workdir) / f"merged-{job.number}.pdf")
    try:
        vp.merge_volume([cover, toc, *files], out, document_id=identity.digest()[:16], page_counts=counts)
    except BaseException:
        out.close()
        raise
    return Drawn(job.number, cover, toc, MergedPdf(out, out.tell(), out.sha256, out.crc32))


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


def _die_with(parent: int) -> None:
    """End this worker when the export process that started it ends, whatever ends it (SIGKILL, the
    OOM killer): jobs still in the pipe would otherwise go on writing volumes into the folder a
    rerun of the export builds anew."""
    with contextlib.suppress(OSError, AttributeError):  # Linux only; elsewhere stdin's end stops it
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # it ended before that took hold
        os._exit(1)


def serve() -> None:
    """The child's loop: a job from stdin, its result to stdout, until stdin closes."""
    # Buffered whatever PYTHONUNBUFFERED says: an unbuffered pipe may take a large result in parts.
    jobs = open(os.dup(0), "rb")  # noqa: PTH123, SIM115 - descriptors, open for the process's life
    results = open(os.dup(1), "wb")  # noqa: PTH123, SIM115
    os.dup2(2, 1)  # anything else written to stdout, even by C code, goes to stderr, not into the results
    sys.stdout = sys.stderr
    while (job := _receive(jobs)) is not None:
        report = _Reporter(results, job.key)
        try:
            result = run(job, report)
        except Exception as exc:  # noqa: BLE001 - reported to the parent, which fails the export with it
            try:
                pickle.loads(pickle.dumps(exc))  # noqa: S301 - our own bytes
            except Exception:  # noqa: BLE001 - an exception that cannot cross: its text does
                exc = DrawingFailed(f"{type(exc).__name__}: {exc}")
            result = _Failure(job.key, exc, traceback.format_exc())
        report.flush()
        _send(results, result)


class _Reporter:
    """Progress of the job in hand, sent to the parent at most every PROGRESS_EVERY seconds."""

    def __init__(self, stream, key):
        self.stream, self.key = stream, key
        self.files = self.bytes = 0
        self.sent = time.monotonic()

    def __call__(self, files: int, size: int) -> None:
        self.files += files
        self.bytes += size
        if time.monotonic() - self.sent >= PROGRESS_EVERY:
            self.flush()

    def flush(self) -> None:
        if self.files or self.bytes:
            _send(self.stream, Progress(self.key, self.files, self.bytes))
            self.files = self.bytes = 0
        self.sent = time.monotonic()


# --- in the parent --------------------------------------------------------------------------------


class Drawer:
    """A worker process, and a thread that hands it jobs and passes on what it sends back (progress,
    then the result) strictly one job after the other, so neither side can block the other on a full
    pipe. Messages go to ``inbox`` as (drawer, job key, message); several drawers may share one inbox,
    and outcome() turns a message into the job's result or its error."""

    def __init__(self, inbox: queue.SimpleQueue | None = None):
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        self._process = subprocess.Popen(  # noqa: S603 - this interpreter running this module
            [sys.executable, "-m", "reports.packages.drawing", str(os.getpid())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=ROOT,
            env=env,
        )
        self.inbox: queue.SimpleQueue = inbox if inbox is not None else queue.SimpleQueue()
        self._jobs: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._talk, name="package-worker", daemon=True)
        self._thread.start()

    def _talk(self) -> None:
        try:
            while (job := self._jobs.get()) is not None:
                key = job.key
                _send(self._process.stdin, job)
                del job  # the sheets' rows are megabytes: not kept while waiting for the next job
                while True:
                    message = _receive(self._process.stdout)
                    if message is None:
                        raise EOFError(f"exit code {self._process.wait()}")
                    self.inbox.put((self, key, message))
                    if not isinstance(message, Progress):
                        break
        except BaseException as exc:  # noqa: BLE001 - handed on, outcome() raises it
            self.inbox.put((self, None, _Gone(exc)))

    def submit(self, job: VolumeJob | SheetsJob) -> None:
        self._jobs.put(job)

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

    drawing._die_with(int(sys.argv[1]))
    drawing.serve()
