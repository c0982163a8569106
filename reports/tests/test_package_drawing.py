"""The export's worker processes, which draw covers, 目录 and merged PDFs and write the volumes."""

import datetime as dt
import os
from pathlib import Path

import pytest
from django.core.files.storage import default_storage

from evidence.services import evidence_approve
from luhsan_portal.testing import upload
from reports.packages import drawing
from reports.packages import volume_pdf as vp
from reports.packages.builder import build_package
from reports.packages.collect import Options


def _children() -> list[int]:
    found = []
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        found += [int(pid) for pid in (task / "children").read_text().split()]
    return found


def _job(number: int, workdir: Path) -> drawing.Job:
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
    return drawing.Job(number, cover, [entry], None, ["0" * 64 + ".docx"], str(workdir))


def test_results_come_back_in_order_and_match_drawing_here(tmp_path):
    before = set(_children())
    with drawing.Drawer() as drawer:
        for number in (1, 2):
            drawer.submit(_job(number, tmp_path))
        first, second = drawer.take(1, heartbeat=lambda: None), drawer.take(2, heartbeat=lambda: None)
    assert (first.number, second.number) == (1, 2)
    assert first == drawing.draw(_job(1, tmp_path))  # the same bytes as drawn in this process
    assert set(_children()) == before  # the process is gone once the export is done


def test_a_drawing_process_that_dies_fails_the_export_with_a_clear_message(tmp_path):
    beats = []
    with drawing.Drawer() as drawer:
        drawer._process.kill()
        drawer.submit(_job(1, tmp_path))
        with pytest.raises(drawing.DrawingFailed, match="进程意外结束"):
            drawer.take(1, heartbeat=lambda: beats.append(1))


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
