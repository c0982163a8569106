"""Office renditions kept between exports, the background job that makes them, and a merge that
fails while it is drawn."""

import shutil
import zipfile
from pathlib import Path

import pytest
from django.core.files.storage import default_storage

from evidence.services import evidence_approve
from luhsan_portal.testing import upload
from reports.packages import builder, collect, drawing, renditions, volume_zip
from reports.packages import volume_pdf as vp
from reports.packages.builder import build_package
from reports.packages.collect import Options
from reports.tasks import office_renditions_task

needs_soffice = pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")


def _build(campaign, tmp_path, name):
    return build_package(Options(campaign_id=campaign.pk), tmp_path / name, generated_by="测试员")


def _volume(built, number=1) -> dict[str, bytes]:
    volume = next(v for v in built.volumes if v.number == number)
    with zipfile.ZipFile(built.folder / volume.file_name) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


@pytest.fixture
def office_volume(submit, office, pdf_bytes, docx_bytes):
    """Indicator 1's volume: a PDF and a Word document, both approved."""
    item = submit(
        codes=("1",),
        title="工作总结",
        files=[upload("总结.pdf", pdf_bytes), upload("总结.docx", docx_bytes)],
    )
    evidence_approve(evidence=item, actor=office)
    return item


@needs_soffice
def test_a_kept_rendition_serves_later_exports_without_libreoffice(campaign, office_volume, tmp_path, monkeypatch):
    first = _build(campaign, tmp_path, "a")
    stored = office_volume.files.get(name="总结.docx").stored
    assert default_storage.exists(renditions.rendition_name(stored.sha256))
    assert first.volumes[0].merged

    # A machine without LibreOffice (or one where it broke) still merges the Word document.
    monkeypatch.setattr(renditions.shutil, "which", lambda name: None)
    monkeypatch.setattr(vp.shutil, "which", lambda name: None)
    second = _build(campaign, tmp_path, "b")
    assert second.volumes[0].merged
    # And the re-export is byte-identical, the merged PDF included (LibreOffice was not asked again).
    assert [(v.file_name, v.sha256) for v in second.volumes] == [(v.file_name, v.sha256) for v in first.volumes]
    assert vp.count_pages(_volume(second)[volume_zip.MERGED_NAME]) >= 4  # cover, 目录, PDF, Word


def test_without_libreoffice_or_rendition_the_volume_lists_the_original(campaign, office_volume, tmp_path, monkeypatch):
    monkeypatch.setattr(renditions.shutil, "which", lambda name: None)
    monkeypatch.setattr(vp.shutil, "which", lambda name: None)
    built = _build(campaign, tmp_path, "a")
    assert not built.volumes[0].merged
    members = _volume(built)
    assert volume_zip.MERGED_NAME not in members
    assert any(name.endswith("-工作总结-v1.docx") for name in members)


@needs_soffice
def test_background_job_makes_missing_renditions_once_and_skips_broken_files(submit, office, docx_bytes):
    broken = upload("损坏.docx", _broken_docx())
    item = submit(codes=("1",), title="两个文件", files=[upload("总结.docx", docx_bytes), broken])
    good, bad = (item.files.get(name=n).stored for n in ("总结.docx", "损坏.docx"))

    assert office_renditions_task() == 1
    assert default_storage.exists(renditions.rendition_name(good.sha256))
    assert not default_storage.exists(renditions.rendition_name(bad.sha256))
    assert default_storage.exists(renditions.failed_name(bad.sha256))
    # Nothing left to do: the good one is kept, the broken one not tried every ten minutes.
    assert office_renditions_task() == 0


def _broken_docx() -> bytes:
    import io

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<?xml version='1.0'?><Types")
        archive.writestr("word/document.xml", "<<< not xml")
    return buffer.getvalue()


def test_a_part_failing_during_the_merge_leaves_the_volume_without_merged_pdf(
    campaign, submit, office, pdf_bytes, png_bytes, tmp_path, monkeypatch
):
    """qpdf reads the parts again while it writes the merged PDF; a part that fails only then (here: the
    PDF removed under it once its pages were counted) gives the volume no merged PDF and a 目录 without
    page numbers, and leaves no half-written PDF behind. The drawing process's own work, run here
    in-process."""
    item = submit(codes=("1",), title="现场照片", files=[upload("材料.pdf", pdf_bytes), upload("照片.png", png_bytes)])
    evidence_approve(evidence=item, actor=office)
    opened, seen = vp._open, []

    def then_removed(part, label):
        pdf = opened(part, label)
        if isinstance(part, Path):  # the stored PDF (the cover and 目录 are bytes, the photo a page)
            seen.append(part)
            if len(seen) == 1:  # counted while the 目录 was drawn
                part.unlink()  # then gone before qpdf copies it
        return pdf

    options = Options(campaign_id=campaign.pk)
    campaign_, indicators, entries, _links = collect.collect(options)
    volume = collect.volumes(options, indicators, entries)[0]
    work = tmp_path / "work"
    work.mkdir()
    job = builder._job(campaign_, volume, 1, renditions.Converter(work, can_convert=False), work)
    assert job.parts is not None
    unmerged_toc = vp.toc_pdf(job.cover, job.entries)  # every row "原件附后"
    good = drawing.draw(job)  # as it is when nothing goes wrong
    assert good.merged is not None and good.toc != unmerged_toc
    good.merged.spool.close()  # what the worker does once it has copied it into the volume

    monkeypatch.setattr(vp, "_open", then_removed)
    drawn = drawing.draw(job)
    assert len(seen) == 1 and drawn.merged is None
    assert drawn.toc == unmerged_toc
    assert drawn.cover == good.cover
    assert list(work.iterdir()) == []  # no half-written PDF, no scratch left
