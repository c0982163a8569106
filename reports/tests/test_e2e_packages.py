"""Browser journeys: the admin exports a package, follows its progress and downloads a volume; the
office generates the progress report and the annual report draft, which are read back and checked
against the API, and rendered once with LibreOffice to look at."""

import io
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from docx import Document

from conftest import login
from evidence.services import evidence_approve
from luhsan_portal.testing import upload
from reports.packages.verify import verify_zip

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker_if_available(request, monkeypatch, settings):
    """A real Celery worker on PostgreSQL + Redis (the progress bar then moves); eager otherwise."""
    monkeypatch.setenv("DJANGO_MEDIA_ROOT", str(settings.MEDIA_ROOT))
    monkeypatch.setenv("PACKAGE_ROOT", str(settings.PACKAGE_ROOT))
    try:
        return request.getfixturevalue("celery_worker_process")
    except pytest.skip.Exception:
        return None


def test_admin_exports_a_package_and_downloads_a_volume(
    campaign,
    submit,
    office,
    admin_user,
    pdf_bytes,
    png_bytes,
    browser,
    live_server,
    screenshot,
    tmp_path,
    worker_if_available,
):
    for n in range(12):
        files = [upload(f"文件{n}.pdf", pdf_bytes), upload(f"照片{n}.png", png_bytes)]
        if worker_if_available:  # enough bytes for the bar to be seen moving
            files.append(upload(f"v{n}.mp4", b"\x00\x00\x00\x18ftypisom" + os.urandom(8 * 2**20)))
        item = submit(codes=(("1", "3")[n % 2],), title=f"佐证材料{n}", files=files)
        evidence_approve(evidence=item, actor=office)

    page = browser.new_page(viewport={"width": 1366, "height": 900}, accept_downloads=True)
    login(page, live_server, "admin1")
    page.click("nav.sidenav a:has-text('材料包导出')")
    page.wait_for_selector("h1:has-text('材料包导出')")
    assert page.is_hidden("#field-units")  # only shown for a unit scope
    page.check("input[name=scope][value=units]")
    assert page.is_visible("#field-units")
    page.check("input[name=scope][value=all]")
    screenshot(page, "01-export-form")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button:has-text('开始导出')")
    page.wait_for_selector("#package-progress")
    if worker_if_available:
        page.wait_for_selector(".tag:has-text('生成中'), .tag:has-text('已完成')")
        screenshot(page, "02-progress")
    page.wait_for_selector(".tag:has-text('已完成')", timeout=120_000)
    assert page.locator(".progress").get_attribute("aria-valuenow") == "100"
    assert "文件 24 / 24" in page.inner_text("#package-progress") or "文件 36 / 36" in page.inner_text(
        "#package-progress"
    )
    screenshot(page, "03-export-done")

    with page.expect_download() as info:
        page.locator("a:has-text('下载')").first.click()
    download = info.value
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    assert target.name.startswith("第001册-指标1")
    assert verify_zip(target).problems == []
    with zipfile.ZipFile(target) as archive:
        names = archive.namelist()
    assert names[:2] == ["封面.pdf", "目录.pdf"] and names[-1] == "manifest.json"

    page.click("a:has-text('材料包导出') >> nth=-1")
    row = page.locator("table.data tbody tr").first
    assert "已完成" in row.inner_text() and "2 册" in row.inner_text()
    screenshot(page, "04-export-list")


def _docx_text(path: Path) -> str:
    document = Document(str(path))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def test_office_generates_the_reports_and_they_match_the_api(
    campaign, submit, office, browser, live_server, screenshot, tmp_path
):
    for code in ("1", "3"):
        evidence_approve(evidence=submit(codes=(code,)), actor=office)
    page = browser.new_page(viewport={"width": 1366, "height": 900}, accept_downloads=True)
    login(page, live_server, "office")
    page.click("nav.sidenav a:has-text('生成报告')")
    page.wait_for_selector("h1:has-text('生成报告')")
    screenshot(page, "01-report-form")
    api = page.request.get(f"{live_server.url}/api/v1/campaigns/{campaign.pk}/progress/").json()

    with page.expect_download() as info:
        page.click("button:has-text('生成 Word 文稿')")
    progress = tmp_path / "progress.docx"
    info.value.save_as(progress)
    assert info.value.suggested_filename.endswith(".docx") and "推进情况报告" in info.value.suggested_filename
    text = _docx_text(progress)
    work = f"{api['work_ratio'] * 100:.1f}".removesuffix(".0") + "%"
    assert f"工作进度为{work}" in text
    assert f"三级指标已完成{api['indicators_complete']}项" in text
    assert f"共分解任务{api['assignments_total']}项，已完成{api['assignments_approved']}项" in text

    page.check("input[name=kind][value=annual]")
    # The button comes back after the download (double clicks are still blocked meanwhile).
    page.wait_for_selector("button:has-text('生成 Word 文稿'):not([aria-busy])")
    with page.expect_download() as info:
        page.click("button:has-text('生成 Word 文稿')")
    annual = tmp_path / "annual.docx"
    info.value.save_as(annual)
    assert "一、党政主要负责人履行推进法治建设第一责任人职责" in _docx_text(annual)

    # Rendered once by LibreOffice (as WPS or Word would show it), kept as PNGs to look at.
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed; the DOCX checks above ran")
    artifacts = Path(os.environ.get("TEST_ARTIFACTS", "test-artifacts")) / "reports-docx"
    artifacts.mkdir(parents=True, exist_ok=True)
    profile = (tmp_path / "lo-profile").as_uri()
    subprocess.run(
        [soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path)]
        + [str(progress), str(annual)],
        check=True,
        capture_output=True,
        timeout=180,
    )
    for name in ("progress", "annual"):
        pdf = tmp_path / f"{name}.pdf"
        assert pdf.stat().st_size > 10_000
        subprocess.run(["pdftoppm", "-r", "50", "-png", str(pdf), str(artifacts / name)], check=True, timeout=60)
    pages = sorted(artifacts.glob("progress-*.png"))
    assert len(pages) >= 2
    document = Document(io.BytesIO(progress.read_bytes()))
    assert document.sections[0].page_width.cm == pytest.approx(21.0, abs=0.1)
