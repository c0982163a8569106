"""The export's worker processes, which draw covers, 目录 and merged PDFs and write the volumes."""

import datetime as dt
import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
from django.core.files.storage import default_storage

from evidence.services import evidence_approve
from luhsan_portal.testing import upload
from reports.packages import drawing, volume_zip
from reports.packages import volume_pdf as vp
from reports.packages.builder import build_package
from reports.packages.collect import Options


def _children() -> list[int]:
    found = []
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        found += [int(pid) for pid in (task / "children").read_text().split()]
    return found


def _job(number: int, folder: Path) -> drawing.VolumeJob:
    """A volume of one office file without a rendition: cover, 目录 ("原件附后") and manifest, into
    folder."""
    cover = vp.VolumeCover(
        campaign="鲁山县创建省级法治政府建设示范县",
        county="鲁山县",
        volume_number=number,
        volume_count=2,
        indicator_path=["一、政府职能依法全面履行"],
        title="指标1 权责清单动态调整并公开",
        units=["司法局"],
        file_count=1,
        compiled_by="鲁山县法治政府建设示范创建办公室",
        compiled_on=dt.date(2026, 10, 12),
    )
    entry = vp.TocEntry(
        1, "司法局", "权责清单", "司法局-权责清单-v1.docx", "docx", None, None, "2026-10-12", "原件附后"
    )
    front = drawing.Job(number, cover, [entry], None, ["0" * 64 + ".docx"], str(folder / f"work-{number}"), True)
    spec = volume_zip.VolumeSpec(number, str(folder / f"第{number}册.zip"), {"volume": number}, [])
    return drawing.VolumeJob(front, spec)


def _results(drawer: drawing.Drawer, count: int) -> dict:
    """The next ``count`` job results from the drawer by job key, as the export takes them in
    (builder._run): progress skipped, a failure or a lost worker raised by outcome()."""
    results = {}
    while len(results) < count:
        _drawer, key, message = drawer.inbox.get(timeout=60)
        if not isinstance(message, drawing.Progress):
            results[key] = drawing.outcome(key, message)
    return results


def test_results_come_back_in_order_and_match_building_here(tmp_path):
    before = set(_children())
    there, here = tmp_path / "there", tmp_path / "here"
    there.mkdir()
    here.mkdir()
    with drawing.Drawer() as drawer:
        for number in (1, 2):
            drawer.submit(_job(number, there))
        results = _results(drawer, 2)
        first, second = results[1], results[2]
    assert (first.number, second.number) == (1, 2)
    assert first == drawing.run(_job(1, here))  # the same volume as built in this process
    assert (there / "第1册.zip").read_bytes() == (here / "第1册.zip").read_bytes()
    assert set(_children()) == before  # the process is gone once the export is done


@pytest.mark.parametrize("image", [b"png", b"not an image"])
@pytest.mark.parametrize("in_memory", [True, False])
def test_a_volume_leaves_nothing_in_the_shared_work_folder(
    image, in_memory, pdf_bytes, png_bytes, tmp_path, monkeypatch
):
    """The volume's scratch files (the image pages, the cover and 目录 handed to qpdf) go into the
    export's shared work folder under the volume's number, or into memory where they fit, never into a
    folder of their own, and are gone once the volume is written, whether it got its merged PDF or not;
    what else is in the folder stays."""
    work, sources = tmp_path / "work", tmp_path / "sources"
    work.mkdir()
    sources.mkdir()
    (work / "其他分册的文件").write_bytes(b"x")
    (sources / "a.pdf").write_bytes(pdf_bytes)
    (sources / "b.png").write_bytes(png_bytes if image == b"png" else image)
    if not in_memory:
        monkeypatch.setattr(vp, "MEMORY_FILE_LIMIT", 0)
    made, images_to_pdf = [], vp.images_to_pdf

    def recorded(images, target):
        made.append(target)
        images_to_pdf(images, target)

    monkeypatch.setattr(vp, "images_to_pdf", recorded)
    job = _job(7, tmp_path)
    parts = [(str(sources / "a.pdf"), "pdf"), (str(sources / "b.png"), "image")]
    entries = [replace(job.drawing.entries[0], number=n, file_name=Path(p).name) for n, (p, _k) in enumerate(parts, 1)]
    front = replace(
        job.drawing, entries=entries, parts=parts, identities=["a.pdf", "b.png"], workdir=str(work), own_workdir=False
    )
    written = drawing.run(drawing.VolumeJob(front, job.spec))
    assert written.merged == (image == b"png")
    assert [p.name for p in work.iterdir()] == ["其他分册的文件"]
    assert str(made[0]).startswith("/proc/self/fd/") if in_memory else made[0] == work / "images-7.pdf"


def test_a_drawing_process_that_dies_fails_the_export_with_a_clear_message(tmp_path):
    with drawing.Drawer() as drawer:
        drawer._process.kill()
        drawer.submit(_job(1, tmp_path))
        with pytest.raises(drawing.DrawingFailed, match="进程意外结束"):
            _results(drawer, 1)


@pytest.mark.django_db
def test_a_lost_file_fails_the_export_with_its_own_error(campaign, submit, office, png_bytes, tmp_path):
    """A part the drawing process cannot read fails the export as it would in this process."""
    item = submit(codes=("1",), title="现场照片", files=[upload("照片.png", png_bytes)])
    evidence_approve(evidence=item, actor=office)
    default_storage.delete(item.files.get().stored.blob)
    before = set(_children())
    with pytest.raises(FileNotFoundError) as raised:
        build_package(Options(campaign_id=campaign.pk), tmp_path / "pkg", generated_by="测试员")
    assert any("导出工作进程" in note for note in raised.value.__notes__)
    assert not (tmp_path / "pkg").exists() and not list(tmp_path.glob(".pkg.*"))
    assert set(_children()) == before


@pytest.mark.django_db
def test_one_worker_or_two_build_the_same_volumes_and_report_every_file(
    campaign, submit, office, pdf_bytes, png_bytes, settings, tmp_path
):
    for code in ("1", "2", "3"):
        item = submit(
            codes=(code,), title=f"材料{code}", files=[upload("材料.pdf", pdf_bytes), upload("照片.png", png_bytes)]
        )
        evidence_approve(evidence=item, actor=office)
    built = {}
    for workers in (1, 2):
        settings.PACKAGE_EXPORT_PROCESSES = workers
        reports = []
        built[workers] = build_package(
            Options(campaign_id=campaign.pk),
            tmp_path / f"p{workers}",
            generated_by="测试员",
            progress=lambda *a, seen=reports: seen.append(a),
        )
        files, files_total, size, size_total = reports[-1]
        assert files == files_total == built[workers].files_total == 6 and size == size_total
    assert [(v.file_name, v.sha256) for v in built[1].volumes] == [(v.file_name, v.sha256) for v in built[2].volumes]
    assert len(built[2].volumes) == 3


STUCK = """
import datetime as dt, sys, time
sys.path.insert(0, ".")
from reports.packages import drawing, volume_pdf as vp, volume_zip
cover = vp.VolumeCover("鲁山县", "鲁山县", 1, 1, [], "指标1", [], 1, "创建办", dt.date(2026, 10, 12))
member = volume_zip.Member("a.mp4", sys.argv[1], 10, "0" * 64, 0, {})
job = drawing.VolumeJob(
    drawing.Job(1, cover, [], None, [], sys.argv[2], True), volume_zip.VolumeSpec(1, sys.argv[3], {}, [member])
)
drawer = drawing.Drawer()
drawer.submit(job)
print(drawer._process.pid, flush=True)
time.sleep(60)
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def test_a_worker_ends_with_the_export_process_even_in_the_middle_of_a_volume(tmp_path):
    """An export killed (SIGKILL, the OOM killer) while a worker is inside a volume: the worker must not
    go on writing into the folder a rerun builds anew. Here it is stuck reading a file (a FIFO nobody
    writes) when the export process dies."""
    os.mkfifo(tmp_path / "stuck")
    (tmp_path / "work").mkdir()
    root = Path(__file__).resolve().parents[2]
    args = [str(tmp_path / "stuck"), str(tmp_path / "work"), str(tmp_path / "volume.zip")]
    export = subprocess.Popen([sys.executable, "-c", STUCK, *args], cwd=root, stdout=subprocess.PIPE)
    worker = int(export.stdout.readline())
    deadline = time.monotonic() + 20
    while not (tmp_path / "volume.zip").exists() and time.monotonic() < deadline:
        time.sleep(0.05)  # the worker has begun the volume, and blocks on its file
    assert _alive(worker)
    export.kill()
    export.wait()
    deadline = time.monotonic() + 5
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(worker)
