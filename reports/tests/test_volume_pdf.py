"""The PDF parts of an exported volume: cover, 目录, images, office conversion and the merged,
page-numbered, byte-for-byte reproducible volume. No database."""

import hashlib
import io
import re
import shutil
import subprocess
import time
from datetime import date
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.generic import RectangleObject

from reports.packages import volume_pdf
from reports.packages.volume_pdf import (
    TocEntry,
    VolumeCover,
    VolumeMergeError,
    count_pages,
    cover_pdf,
    image_to_pdf,
    merge_volume,
    office_to_pdf,
    toc_pdf,
)

needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) missing")

COVER = VolumeCover(
    campaign="鲁山县创建省级法治政府建设示范县",
    county="鲁山县",
    volume_number=2,
    volume_count=5,
    indicator_path=["一、政府职能依法全面履行", "1. 权责清单和行政许可事项管理", "1 权责清单动态调整并集中公开"],
    title="指标1 权责清单动态调整并集中公开",
    units=["司法局", "县委编办"],
    file_count=3,
    compiled_by="鲁山县创建省级法治政府建设示范县指挥部办公室",
    compiled_on=date(2026, 11, 24),
)
ENTRIES = [
    TocEntry(1, "司法局", "权责清单调整文件", "司法局-权责清单调整文件-v2.pdf", "pdf", 2, 3, "2026-10-12"),
    TocEntry(2, "县委编办", "集中公开网页截图", "县委编办-集中公开网页截图.png", "png", 1, 5, "2026-10-13"),
    TocEntry(3, "县委编办", "权责清单总表", "县委编办-权责清单总表.xlsx", "xlsx", None, None, "2026-10-14", "原件附后"),
    TocEntry(4, "司法局", "公开过程录像", "司法局-公开过程录像.mp4", "mp4", None, None, "2026-10-15"),
]


def text(pdf: bytes | Path, page: int | None = None) -> str:
    """pdftotext's text in drawing order (-raw: table rows stay together) without whitespace, which
    letter-spacing and wrapped table cells put in arbitrary places."""
    data = pdf.read_bytes() if isinstance(pdf, Path) else pdf
    pages = ["-f", str(page), "-l", str(page)] if page else []
    out = subprocess.run(["pdftotext", "-raw", *pages, "-", "-"], input=data, capture_output=True, check=True).stdout
    return re.sub(r"\s+", "", out.decode())


def weasy(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html).write_pdf()


def picture(fmt: str, size=(800, 1200)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 60, 40)).save(buffer, fmt)
    return buffer.getvalue()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@needs_poppler
def test_cover_is_one_page_with_the_volume_data():
    pdf = cover_pdf(COVER)
    assert count_pages(pdf) == 1
    content = text(pdf)
    for expected in ["第2册", "共5册", "佐证材料", COVER.campaign, "2026年11月24日", "3件", "司法局、县委编办"]:
        assert expected in content
    for level in COVER.indicator_path + [COVER.title, COVER.compiled_by]:
        assert re.sub(r"\s+", "", level) in content


def test_cover_is_deterministic_without_dates():
    first, second = cover_pdf(COVER), cover_pdf(COVER)
    assert first == second
    assert b"/CreationDate" not in first and b"/ModDate" not in first
    other = cover_pdf(VolumeCover(**{**COVER.__dict__, "volume_number": 3}))
    assert other != first


def test_cover_stays_one_page_with_long_texts():
    crowded = VolumeCover(
        **{**COVER.__dict__, "units": [f"第{i}个责任单位名称很长的局" for i in range(40)], "title": "指标" * 40}
    )
    pdf = cover_pdf(crowded)
    assert count_pages(pdf) == 1
    if shutil.which("pdftotext"):
        content = text(pdf)
        assert "第11个责任单位名称很长的局等40个单位" in content and "第2册" in content


@needs_poppler
def test_toc_lists_rows_with_page_numbers_and_attached_originals():
    pdf = toc_pdf(COVER, ENTRIES)
    content = text(pdf)
    assert "目录" in content and "序号" in content and "页码" in content
    assert "司法局-权责清单调整文件-v2.pdf" in content and "权责清单调整文件" in content
    # Page 3 for row 1, page 5 for row 2; rows 3 and 4 are not in the merged PDF.
    assert "1司法局权责清单调整文件审核通过2026-10-12司法局-权责清单调整文件-v2.pdf3" in content
    assert "2县委编办集中公开网页截图审核通过2026-10-13县委编办-集中公开网页截图.png5" in content
    assert content.count("原件附后") >= 3  # two rows and the footnote
    assert "县委编办-权责清单总表.xlsx原件附后" in content


@needs_poppler
def test_empty_toc_is_still_a_toc():
    content = text(toc_pdf(COVER, []))
    assert "目录" in content and "本册无材料" in content and "佐证材料" not in content


@needs_poppler
def test_long_toc_spans_pages_and_repeats_the_header():
    entries = [
        TocEntry(i, "司法局", f"材料{i}", f"司法局-材料{i}.pdf", "pdf", 1, 2 + i, "2026-10-12") for i in range(1, 81)
    ]
    pdf = toc_pdf(COVER, entries)
    pages = count_pages(pdf)
    assert pages >= 2
    for page in range(1, pages + 1):
        assert "序号" in text(pdf, page)
    assert "司法局-材料80.pdf82" in text(pdf, pages)


@pytest.mark.parametrize(("fmt", "size", "landscape"), [("PNG", (800, 1200), False), ("JPEG", (1600, 900), True)])
def test_image_becomes_one_a4_page(fmt, size, landscape):
    pdf = image_to_pdf(picture(fmt, size))
    assert count_pages(pdf) == 1
    box = PdfReader(io.BytesIO(pdf)).pages[0].mediabox
    assert sorted([round(float(box.width)), round(float(box.height))]) == [595, 842]
    assert (box.width > box.height) is landscape
    assert image_to_pdf(picture(fmt, size)) == pdf  # deterministic


def test_jpeg_is_embedded_unchanged_and_exif_rotation_applied():
    photo = picture("JPEG", (600, 400))
    assert photo in image_to_pdf(photo)  # DCT passthrough, no 10× bigger raw copy
    exif = Image.Exif()
    exif[0x0112] = 6  # taken with the phone turned: shown portrait
    buffer = io.BytesIO()
    Image.new("RGB", (600, 400), "white").save(buffer, "JPEG", exif=exif)
    box = PdfReader(io.BytesIO(image_to_pdf(buffer.getvalue()))).pages[0].mediabox
    assert box.height > box.width


def test_transparent_and_palette_images_convert():
    for mode in ("RGBA", "P", "LA", "CMYK", "I;16"):
        buffer = io.BytesIO()
        Image.new(mode, (50, 40)).save(buffer, "TIFF" if mode in ("CMYK", "I;16") else "PNG")
        assert count_pages(image_to_pdf(buffer.getvalue())) == 1


def test_image_garbage_raises_merge_error():
    with pytest.raises(VolumeMergeError, match="图片无法读取"):
        image_to_pdf(b"not an image")


def test_count_pages_of_bytes_and_paths(tmp_path):
    two = weasy("<p style='break-after:page'>一</p><p>二</p>")
    (tmp_path / "two.pdf").write_bytes(two)
    assert count_pages(two) == 2
    assert count_pages(tmp_path / "two.pdf") == 2
    assert count_pages(str(tmp_path / "two.pdf")) == 2
    with pytest.raises(VolumeMergeError):
        count_pages(b"%PDF-1.7 broken")


def odd_pages() -> bytes:
    """A portrait page shown landscape (/Rotate 90) and a small page whose boxes do not start at 0,0."""
    writer = PdfWriter()
    writer.add_blank_page(595, 842).rotate(90)
    small = writer.add_blank_page(400, 600)
    small.mediabox = RectangleObject((50, 80, 450, 680))
    small.cropbox = RectangleObject((60, 100, 440, 660))
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def volume_parts() -> list[bytes]:
    return [
        cover_pdf(COVER),
        toc_pdf(COVER, ENTRIES),
        weasy("<style>@page{size:A4}</style><h1 style='break-after:page'>第一页</h1><h1>第二页</h1>"),
        weasy("<style>@page{size:A4 landscape}</style><h1>横向表格</h1>"),
        image_to_pdf(picture("PNG")),
        odd_pages(),
    ]


def number_boxes(pdf: Path) -> list[tuple[float, float, float, float]]:
    """Per page, for the word that is the page's number: its centre x and bottom y (from the top, as
    the page is displayed, /Rotate applied), and the page's width and height."""
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, check=True, text=True).stdout
    result = []
    for number, page in enumerate(re.findall(r"<page (.*?)</page>", html, re.S), start=1):
        width, height = (float(v) for v in re.search(r'width="([\d.]+)" height="([\d.]+)"', page).groups())
        words = re.findall(r'xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<', page)
        x_min, x_max, y_max, _ = max((w for w in words if w[3] == str(number)), key=lambda w: float(w[2]))
        result.append(((float(x_min) + float(x_max)) / 2, float(y_max), width, height))
    return result


@needs_poppler
def test_merge_volume_numbers_every_page_at_the_bottom_centre(tmp_path):
    out = tmp_path / "第2册.pdf"
    assert merge_volume(volume_parts(), out) == 8
    reader = PdfReader(out)
    assert len(reader.pages) == 8
    assert reader.pages[4].mediabox.width > reader.pages[4].mediabox.height  # A4 landscape kept
    positions = number_boxes(out)
    for page, (centre, bottom, width, height) in enumerate(positions, start=1):
        assert f"—{page}—" in text(out, page)
        # pdftotext measures from the mediabox; the last page centres on its smaller cropbox.
        assert abs(centre - width / 2) < (12 if page < 8 else 20), page
        assert height - bottom < 40, page  # within the bottom ~14 mm as the page is displayed
    assert positions[6][2] > positions[6][3]  # the /Rotate 90 page reads landscape, its number at the bottom
    assert "第一页" in text(out, 3) and "横向表格" in text(out, 5)


def test_merge_volume_is_byte_identical_for_bytes_and_paths(tmp_path):
    parts = volume_parts()
    first, second = tmp_path / "a.pdf", tmp_path / "b.pdf"
    merge_volume(parts, first)
    paths = []
    for index, part in enumerate(volume_parts()):
        paths.append(tmp_path / f"part{index}.pdf")
        paths[-1].write_bytes(part)
    merge_volume(paths, second)
    assert sha256(first) == sha256(second)
    data = first.read_bytes()
    assert b"/CreationDate" not in data and b"/ModDate" not in data
    ident = PdfReader(first).trailer["/ID"]
    assert ident[0] == ident[1] and bytes(ident[0].original_bytes) != bytes(16)
    merge_volume(parts, second, first_page_number=3)
    assert sha256(first) != sha256(second)
    assert not list(tmp_path.glob("*.part"))


@needs_poppler
def test_merge_volume_numbers_from_first_page_number(tmp_path):
    out = tmp_path / "v.pdf"
    assert merge_volume([image_to_pdf(picture("PNG")), image_to_pdf(picture("JPEG"))], out, first_page_number=7) == 2
    assert "—7—" in text(out, 1) and "—8—" in text(out, 2)


def test_merge_corrupt_part_raises_naming_it(tmp_path):
    out = tmp_path / "v.pdf"
    with pytest.raises(VolumeMergeError, match="第2个部分"):
        merge_volume([cover_pdf(COVER), b"%PDF-1.4 this is not really a pdf"], out)
    broken = tmp_path / "司法局-权责清单调整文件-v2.pdf"
    broken.write_bytes(cover_pdf(COVER)[:500])
    with pytest.raises(VolumeMergeError, match="司法局-权责清单调整文件-v2.pdf"):
        merge_volume([cover_pdf(COVER), broken], out)
    with pytest.raises(VolumeMergeError):
        merge_volume([], out)
    assert not out.exists() and not list(tmp_path.glob("*.part"))


def test_merge_opens_owner_locked_pdfs_and_refuses_password_protected_ones(tmp_path):
    def encrypted(user_password: str) -> bytes:
        writer = PdfWriter(clone_from=io.BytesIO(image_to_pdf(picture("PNG"))))
        writer.encrypt(user_password=user_password, owner_password="owner", algorithm="RC4-128")
        buffer = io.BytesIO()
        writer.write(buffer)
        return buffer.getvalue()

    assert merge_volume([encrypted("")], tmp_path / "a.pdf") == 1
    assert not PdfReader(tmp_path / "a.pdf").is_encrypted
    with pytest.raises(VolumeMergeError, match="第1个部分已加密"):
        merge_volume([encrypted("secret")], tmp_path / "b.pdf")


def test_office_to_pdf_without_soffice_returns_none(tmp_path, monkeypatch):
    monkeypatch.setattr(volume_pdf.shutil, "which", lambda name: None)
    document = tmp_path / "a.docx"
    document.write_bytes(b"PK")
    assert office_to_pdf(document, tmp_path / "work") is None


def test_office_to_pdf_rejects_non_office_and_broken_files(tmp_path, monkeypatch):
    monkeypatch.setattr(volume_pdf.shutil, "which", lambda name: "/usr/bin/soffice")
    (tmp_path / "a.mp4").write_bytes(b"video")
    (tmp_path / "b.docx").write_bytes(b"not a zip")
    assert office_to_pdf(tmp_path / "a.mp4", tmp_path) is None
    assert office_to_pdf(tmp_path / "b.docx", tmp_path) is None
    assert office_to_pdf(tmp_path / "missing.docx", tmp_path) is None


def test_office_to_pdf_gives_up_on_a_hanging_or_silent_converter(tmp_path, monkeypatch):
    fake = tmp_path / "soffice"
    fake.write_text("#!/bin/sh\nsleep 30\n")
    fake.chmod(0o755)
    monkeypatch.setattr(volume_pdf.shutil, "which", lambda name: str(fake))
    monkeypatch.setattr(volume_pdf, "CONVERT_TIMEOUT", 1)
    (tmp_path / "a.doc").write_bytes(b"x")
    started = time.monotonic()
    assert office_to_pdf(tmp_path / "a.doc", tmp_path / "work") is None
    assert time.monotonic() - started < 10
    fake.write_text("#!/bin/sh\nexit 0\n")  # "succeeds" without writing a PDF
    assert office_to_pdf(tmp_path / "a.doc", tmp_path / "work") is None


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_office_to_pdf_converts_docx_reproducibly(tmp_path):
    from docx import Document

    document = Document()
    document.add_heading("鲁山县司法局权责清单调整说明")
    document.add_paragraph("权责清单已按规定动态调整并集中公开。")
    source = tmp_path / "司法局-说明.docx"
    document.save(source)
    first = office_to_pdf(source, tmp_path / "w1")
    second = office_to_pdf(source, tmp_path / "w2")
    assert first is not None and second is not None and first.parent.is_relative_to(tmp_path / "w1")
    assert count_pages(first) == 1
    # LibreOffice stamps each conversion with a new date and ID; the merged volume must not change.
    merge_volume([first], tmp_path / "a.pdf")
    merge_volume([second], tmp_path / "b.pdf")
    assert sha256(tmp_path / "a.pdf") == sha256(tmp_path / "b.pdf")
    if shutil.which("pdftotext"):
        assert "权责清单调整说明" in text(first)
