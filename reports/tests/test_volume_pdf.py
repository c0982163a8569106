"""The PDF parts of an exported volume: cover, 目录, images, office conversion and the merged,
page-numbered, byte-for-byte reproducible volume. No database."""

import errno
import hashlib
import io
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import pikepdf
import pytest
from PIL import Image
from reportlab.pdfgen.canvas import Canvas

from reports.packages import front_matter, volume_pdf
from reports.packages.volume_pdf import (
    TocEntry,
    VolumeCover,
    VolumeMergeError,
    count_pages,
    cover_pdf,
    image_to_pdf,
    merge_volume,
    office_to_pdf,
    toc_page_count,
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


def pages(*texts: str, landscape: bool = False) -> bytes:
    """A plain PDF with one A4 page per text, the text in the front matter's CJK font."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(842, 595) if landscape else (595, 842), invariant=1)
    for page_text in texts:
        canvas.setFont(front_matter.fonts().heading, 24)
        canvas.drawString(72, 500, page_text)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def picture(fmt: str, size=(800, 1200)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 60, 40)).save(buffer, fmt)
    return buffer.getvalue()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def open_pdf(pdf: bytes | Path) -> pikepdf.Pdf:
    return pikepdf.open(io.BytesIO(pdf) if isinstance(pdf, bytes) else pdf)


def page_size(pdf: bytes | Path, index: int = 0) -> tuple[float, float]:
    with open_pdf(pdf) as document:
        box = pikepdf.Rectangle(document.pages[index].mediabox)
        return box.width, box.height


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


@pytest.mark.parametrize("units", [25, 40])
def test_cover_stays_one_page_with_long_texts(units):
    crowded = VolumeCover(
        **{
            **COVER.__dict__,
            "units": [f"第{i}个责任单位名称很长的局" for i in range(units)],
            "title": "指标" * 100,
            "indicator_path": [*COVER.indicator_path, "2 行政许可事项清单编制并动态管理" * 3, "3 行政审批制度改革"],
            "volume_number": 104,
            "volume_count": 104,
        }
    )
    pdf = cover_pdf(crowded)
    assert count_pages(pdf) == 1
    if shutil.which("pdftotext"):
        content = text(pdf)
        assert f"第11个责任单位名称很长的局等{units}个单位" in content and "第104册" in content
        assert "指标" * 100 in content and "编制日期2026年11月24日" in content


def embedded_fonts(pdf: bytes) -> dict[str, bool]:
    """BaseFont → whether it is embedded as a TrueType program with a ToUnicode map."""
    fonts = {}
    with open_pdf(pdf) as document:
        for page in document.pages:
            for font in page.obj.Resources.Font.values():
                descriptor = font.get("/FontDescriptor")
                embedded = descriptor is not None and "/FontFile2" in descriptor
                fonts[str(font.BaseFont)] = embedded and "/ToUnicode" in font
    return fonts


@needs_poppler
@pytest.mark.skipif(
    not all(path.is_file() for path, _ in front_matter.BODY_FONTS + front_matter.HEADING_FONTS),
    reason="fonts-arphic-uming or fonts-wqy-zenhei missing",
)
def test_front_matter_embeds_uming_and_zenhei_as_real_text():
    assert front_matter.fonts().body.startswith("VolumeCJK-uming-")
    assert front_matter.fonts().heading.startswith("VolumeCJK-wqy-zenhei-")
    for pdf in (cover_pdf(COVER), toc_pdf(COVER, ENTRIES)):
        fonts = embedded_fonts(pdf)
        assert any("UMingCN" in name and ok for name, ok in fonts.items()), fonts
        assert any("WenQuanYiZenHei" in name and ok for name, ok in fonts.items()), fonts
    content = text(cover_pdf(COVER))
    assert "佐" in content and "证" in content and "司法局" in content and "县委编办" in content


def test_mapped_font_file_subsets_like_a_read_one():
    """front_matter memory-maps font files behind reportlab's back; the subsets must not change."""
    path, subfont = front_matter.BODY_FONTS[0]
    if not path.is_file():
        pytest.skip(f"{path} missing")
    from reportlab.pdfbase.ttfonts import TTFontFile

    index = front_matter._subfont_index(path, subfont)
    mapped = TTFontFile(front_matter._MappedFile(path), subfontIndex=index)
    read = TTFontFile(str(path), subfontIndex=index)
    assert mapped.charToGlyph == read.charToGlyph and mapped.glyphPos == read.glyphPos
    codes = [0, 32, *map(ord, "佐证材料第册目录鲁山县（）·、0123456789ABCabc")]
    assert mapped.makeSubset(codes) == read.makeSubset(codes)


def test_without_truetype_cjk_fonts_falls_back_to_stsong(monkeypatch):
    monkeypatch.setattr(front_matter, "BODY_FONTS", [(Path("/nonexistent/uming.ttc"), "CN")])
    monkeypatch.setattr(front_matter, "HEADING_FONTS", [(Path("/nonexistent/wqy-zenhei.ttc"), 0)])
    monkeypatch.setattr(front_matter, "_fc_list", list)
    monkeypatch.setattr(front_matter, "_registered", {})
    monkeypatch.setattr(front_matter, "_fonts", None)
    assert front_matter.fonts() == front_matter.Fonts(body="STSong-Light", heading="STSong-Light")
    cover, toc = cover_pdf(COVER), toc_pdf(COVER, ENTRIES)
    assert count_pages(cover) == 1 and count_pages(toc) == 1
    assert b"/STSong-Light" in cover and b"/STSong-Light" in toc
    assert b"/FontFile2" not in cover  # a CID font every reader has, not embedded
    assert cover_pdf(COVER) == cover


@pytest.mark.skipif(shutil.which("fc-list") is None, reason="fontconfig (fc-list) missing")
def test_fontconfig_finds_a_truetype_font_when_the_known_paths_are_missing(monkeypatch):
    found = front_matter._fc_list()
    if not found:
        pytest.skip("fontconfig lists no TrueType Chinese font")
    monkeypatch.setattr(front_matter, "BODY_FONTS", [])
    monkeypatch.setattr(front_matter, "HEADING_FONTS", [])
    monkeypatch.setattr(front_matter, "_fonts", None)
    assert front_matter.fonts().body.startswith("VolumeCJK-")
    assert any(embedded_fonts(cover_pdf(COVER)).values())


LOAD = """
import dataclasses, json, resource, sys, time
from datetime import date
sys.path.insert(0, ".")
from reports.packages.volume_pdf import TocEntry, VolumeCover, cover_pdf, toc_pdf
from reports.packages.front_matter import fonts

rss = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
cover = VolumeCover("鲁山县创建省级法治政府建设示范县", "鲁山县", 1, 104, ["一、政府职能依法全面履行", "1. 权责清单"],
                    "权责清单动态调整并集中公开", ["司法局", "县委编办"], 9, "指挥部办公室", date(2026, 11, 24))
title = "关于印发《鲁山县行政执法公示制度》的通知"
entries = [TocEntry(i, "县人社局", f"{title}{i}", f"县人社局-{i}.pdf", "pdf", 1, 2 + i, "2026-10-12")
           for i in range(1, 13)]
before, started = rss(), time.perf_counter()
for number in range(1, 105):
    volume = dataclasses.replace(cover, volume_number=number, title=f"指标{number} 权责清单动态调整并集中公开")
    assert cover_pdf(volume) and toc_pdf(volume, entries)
print(json.dumps({"seconds": time.perf_counter() - started, "before": before, "after": rss(), "fonts": str(fonts())}))
"""


def test_104_covers_and_tocs_are_fast_and_lean():
    """A package has ~104 volumes and its export process must stay under 200 MB (WeasyPrint took ~0.3 s
    and went to ~1 GB). Measured in a fresh process, whose peak RSS is not this test run's."""
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", LOAD], cwd=root, capture_output=True, text=True, check=True)
    measured = json.loads(result.stdout)
    assert measured["seconds"] < 10, measured
    assert measured["after"] - measured["before"] < 150, measured  # MB, font loading included


@needs_poppler
def test_toc_lists_rows_with_page_numbers_and_attached_originals():
    pdf = toc_pdf(COVER, ENTRIES)
    content = text(pdf)
    assert "目录" in content and "序号" in content and "页码" in content
    assert "司法局-权责清单调整文件-v2.pdf" in content and "权责清单调整文件" in content
    # Page 3 for row 1, page 5 for row 2; rows 3 and 4 are not in the merged PDF.
    assert "1司法局权责清单调整文件司法局-权责清单调整文件-v2.pdf2026-10-123" in content
    assert "2县委编办集中公开网页截图县委编办-集中公开网页截图.png2026-10-135" in content
    assert content.count("原件附后") >= 3  # two rows and the footnote
    assert "县委编办-权责清单总表.xlsx2026-10-14原件附后" in content


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
    assert "司法局-材料80.pdf2026-10-1282" in text(pdf, pages)


@pytest.mark.parametrize("rows", [0, 1, 17, 18, 19, 20, 21, 40, 41, 150])
def test_toc_page_count_is_what_drawing_gives(rows):
    """The merged PDF's start pages are numbered after the 目录, whose length is counted before it is
    drawn: the count must be the drawn length, with short rows, tall rows and the footnote."""
    long = "关于印发《鲁山县重大行政决策程序规定实施细则》的通知及配套材料汇编（含起草说明、征求意见情况）"
    entries = [
        TocEntry(
            i,
            "鲁阳街道办事处" if i % 3 else "司法局",
            long if i % 4 == 0 else f"材料{i}",
            f"司法局-材料{i}.pdf",
            "pdf",
            1,
            None if i % 9 == 0 else 2 + i,
            "2026-10-12",
        )
        for i in range(1, rows + 1)
    ]
    assert toc_page_count(COVER, entries) == count_pages(toc_pdf(COVER, entries))


@pytest.mark.parametrize(("fmt", "size", "landscape"), [("PNG", (800, 1200), False), ("JPEG", (1600, 900), True)])
def test_image_becomes_one_a4_page(fmt, size, landscape):
    pdf = image_to_pdf(picture(fmt, size))
    assert count_pages(pdf) == 1
    width, height = page_size(pdf)
    assert sorted([round(width), round(height)]) == [595, 842]
    assert (width > height) is landscape
    assert image_to_pdf(picture(fmt, size)) == pdf  # deterministic


def test_jpeg_is_embedded_unchanged_and_exif_rotation_applied():
    photo = picture("JPEG", (600, 400))
    assert photo in image_to_pdf(photo)  # DCT passthrough, no 10× bigger raw copy
    exif = Image.Exif()
    exif[0x0112] = 6  # taken with the phone turned: shown portrait
    buffer = io.BytesIO()
    Image.new("RGB", (600, 400), "white").save(buffer, "JPEG", exif=exif)
    width, height = page_size(image_to_pdf(buffer.getvalue()))
    assert height > width


def test_transparent_and_palette_images_convert():
    for mode in ("RGBA", "P", "LA", "CMYK", "I;16"):
        buffer = io.BytesIO()
        Image.new(mode, (50, 40)).save(buffer, "TIFF" if mode in ("CMYK", "I;16") else "PNG")
        assert count_pages(image_to_pdf(buffer.getvalue())) == 1


def test_image_garbage_raises_merge_error():
    with pytest.raises(VolumeMergeError, match="图片无法读取"):
        image_to_pdf(b"not an image")


def test_count_pages_of_bytes_and_paths(tmp_path):
    two = pages("一", "二")
    (tmp_path / "two.pdf").write_bytes(two)
    assert count_pages(two) == 2
    assert count_pages(tmp_path / "two.pdf") == 2
    assert count_pages(str(tmp_path / "two.pdf")) == 2
    with pytest.raises(VolumeMergeError):
        count_pages(b"%PDF-1.7 broken")


def odd_pages() -> bytes:
    """A portrait page shown landscape (/Rotate 90) and a small page whose boxes do not start at 0,0."""
    document = pikepdf.new()
    document.add_blank_page(page_size=(595, 842)).rotate(90, relative=False)
    small = document.add_blank_page(page_size=(400, 600))
    small.mediabox = pikepdf.Array([50, 80, 450, 680])
    small.cropbox = pikepdf.Array([60, 100, 440, 660])
    buffer = io.BytesIO()
    document.save(buffer, deterministic_id=True)
    return buffer.getvalue()


def volume_parts() -> list[bytes]:
    return [
        cover_pdf(COVER),
        toc_pdf(COVER, ENTRIES),
        pages("第一页", "第二页"),
        pages("横向表格", landscape=True),
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
    assert count_pages(out) == 8
    assert page_size(out, 4)[0] > page_size(out, 4)[1]  # A4 landscape kept
    positions = number_boxes(out)
    for page, (centre, bottom, width, height) in enumerate(positions, start=1):
        assert f"—{page}—" in text(out, page)
        # pdftotext measures from the mediabox; the last page centres on its smaller cropbox.
        assert abs(centre - width / 2) < (12 if page < 8 else 20), page
        assert height - bottom < 40, page  # within the bottom ~14 mm as the page is displayed
    assert positions[6][2] > positions[6][3]  # the /Rotate 90 page reads landscape, its number at the bottom
    assert "第一页" in text(out, 3) and "横向表格" in text(out, 5)


@pytest.mark.parametrize("memory", ["fits", "too large", "refused"])
def test_parts_given_as_bytes_leave_no_files_behind(memory, tmp_path, monkeypatch):
    """qpdf reads files: bytes parts become memory files (memfd) where they fit, else temporary files
    (also where the system refuses memory files, as some sandboxes do), and either way are gone
    afterwards; the merged PDF is the same."""
    if memory == "too large":
        monkeypatch.setattr(volume_pdf, "MEMORY_FILE_LIMIT", 0)
    elif memory == "refused":

        def refused(name, flags=0):
            raise OSError(errno.ENOSYS, "Function not implemented")

        monkeypatch.setattr(os, "memfd_create", refused)
    temp = Path(tempfile.gettempdir())
    before = set(temp.glob(".qpdf-*"))
    merge_volume(volume_parts(), tmp_path / "a.pdf")
    assert [p.name for p in tmp_path.iterdir()] == ["a.pdf"] and set(temp.glob(".qpdf-*")) == before
    reference = tmp_path / "reference"
    reference.mkdir()
    paths = []
    for index, part in enumerate(volume_parts()):
        paths.append(reference / f"part{index}.pdf")
        paths[-1].write_bytes(part)
    merge_volume(paths, reference / "b.pdf")
    assert sha256(tmp_path / "a.pdf") == sha256(reference / "b.pdf")


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
    counted = tmp_path / "counted.pdf"  # page counts the caller knows: the parts are not opened again
    merge_volume(paths, counted, page_counts=[count_pages(path) for path in paths])
    assert sha256(counted) == sha256(first)
    data = first.read_bytes()
    assert b"/CreationDate" not in data and b"/ModDate" not in data
    with open_pdf(first) as merged:
        ident = [bytes(part) for part in merged.trailer.ID]
    assert ident[0] == ident[1] and len(ident[0]) == 16 and ident[0] != bytes(16)
    merge_volume(parts, second, first_page_number=3)
    assert sha256(first) != sha256(second)
    assert not list(tmp_path.glob("*.part"))


@needs_poppler
def test_merge_volume_numbers_from_first_page_number(tmp_path):
    out = tmp_path / "v.pdf"
    assert merge_volume([image_to_pdf(picture("PNG")), image_to_pdf(picture("JPEG"))], out, first_page_number=7) == 2
    assert "—7—" in text(out, 1) and "—8—" in text(out, 2)


@needs_poppler
def test_merge_volume_numbers_pages_rotated_every_way_upright_at_the_bottom(tmp_path):
    document = open_pdf(pages("零", "九十", "一百八十", "二百七十"))
    for page, angle in zip(document.pages, (0, 90, 180, 270), strict=True):
        page.rotate(angle, relative=False)
    buffer = io.BytesIO()
    document.save(buffer)
    out = tmp_path / "v.pdf"
    assert merge_volume([buffer.getvalue()], out) == 4
    for page, (centre, bottom, width, height) in enumerate(number_boxes(out), start=1):
        assert (width > height) is (page in (2, 4)), page  # /Rotate 90 and 270 read landscape
        assert abs(centre - width / 2) < 12 and height - bottom < 40, page
        assert f"—{page}—" in text(out, page)


def big_image_pdf(size: int, seed: int) -> bytes:
    """A one-page PDF whose image is a real 64×48 JPEG padded to ~size bytes with comment (COM, 0xFFFE)
    segments of random bytes: valid, unique per seed, incompressible, and quick to make."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (seed % 256, 90, 160)).save(buffer, "JPEG")
    jpeg, filler = buffer.getvalue(), random.Random(seed).randbytes(size)  # noqa: S311 - test data
    chunks = (filler[at : at + 65533] for at in range(0, size, 65533))  # a segment holds 65,535 - 2 bytes
    jpeg = jpeg[:2] + b"".join(b"\xff\xfe" + (len(c) + 2).to_bytes(2, "big") + c for c in chunks) + jpeg[2:]
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /XObject << /Im0 5 0 R >> >> >>",
        b"<< /Length 34 >>\nstream\nq 480 0 0 360 57 300 cm /Im0 Do Q\nendstream",
        b"<< /Type /XObject /Subtype /Image /Width 64 /Height 48 /ColorSpace /DeviceRGB /BitsPerComponent 8"
        b" /Filter /DCTDecode /Length %d >>\nstream\n%b\nendstream" % (len(jpeg), jpeg),
    ]
    pdf, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(pdf))
        pdf += b"%d 0 obj\n%b\nendobj\n" % (number, body)
    xref = len(pdf)
    pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    pdf += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    pdf += b"trailer << /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(pdf)


MERGE = """
import json, resource, sys, time
from pathlib import Path
sys.path.insert(0, ".")
from reports.packages.volume_pdf import merge_volume

work = Path(sys.argv[1])
parts = [(work / "cover.pdf").read_bytes(), *sorted(work.glob("part-*.pdf"))]
rss = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
before, started = rss(), time.perf_counter()
pages = merge_volume(parts, work / sys.argv[2])
print(json.dumps({"pages": pages, "seconds": time.perf_counter() - started, "before": before, "after": rss()}))
"""


def run_merge(work: Path, out_name: str, **env: str) -> dict:
    root = Path(__file__).resolve().parents[2]
    command = [sys.executable, "-c", MERGE, str(work), out_name]
    result = subprocess.run(command, cwd=root, env={**os.environ, **env}, capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def test_merging_300_mb_keeps_memory_flat(tmp_path):
    """The export process must stay under 200 MB while a package has gigabytes of scans: the merge
    may not hold the volume in memory (pypdf did: +300 MB here). Measured in a fresh process."""
    work = tmp_path / "volume"
    work.mkdir()
    try:
        (work / "cover.pdf").write_bytes(pages("封面"))
        for index in range(150):
            (work / f"part-{index:03}.pdf").write_bytes(big_image_pdf(2_000_000, index))
        measured = run_merge(work, "merged.pdf")
        assert measured["pages"] == 151
        assert (work / "merged.pdf").stat().st_size > 300_000_000
        assert measured["after"] - measured["before"] < 80, measured  # MB
        assert measured["seconds"] < 10, measured
    finally:
        shutil.rmtree(work)  # 600 MB: not for pytest's kept temporary directories


def test_merge_is_byte_identical_across_processes(tmp_path):
    cover, *rest = volume_parts()
    (tmp_path / "cover.pdf").write_bytes(cover)
    for index, part in enumerate([*rest, big_image_pdf(100_000, 7)]):
        (tmp_path / f"part-{index:03}.pdf").write_bytes(part)
    assert run_merge(tmp_path, "a.pdf", PYTHONHASHSEED="1")["pages"] == 9
    assert run_merge(tmp_path, "b.pdf", PYTHONHASHSEED="2")["pages"] == 9
    assert sha256(tmp_path / "a.pdf") == sha256(tmp_path / "b.pdf")
    merge_volume([cover, *sorted(tmp_path.glob("part-*.pdf"))], tmp_path / "c.pdf")  # and in this process
    assert sha256(tmp_path / "a.pdf") == sha256(tmp_path / "c.pdf")


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


def test_merge_names_a_part_that_fails_after_it_was_checked(tmp_path, monkeypatch):
    """qpdf reads the parts again while it writes the merged PDF: a failure only then still names the
    part, and leaves neither the output nor temporary files behind."""
    part = tmp_path / "司法局-扫描件.pdf"
    part.write_bytes(big_image_pdf(200_000, 1))
    opened = volume_pdf._open

    def then_removed(path, label):
        pdf = opened(path, label)
        if path == part:
            part.unlink()
        return pdf

    monkeypatch.setattr(volume_pdf, "_open", then_removed)
    out = tmp_path / "v.pdf"
    out.write_bytes(b"previous export")
    with pytest.raises(VolumeMergeError, match="第2个部分（司法局-扫描件.pdf）无法合并"):
        merge_volume([pages("封面"), part], out)
    assert out.read_bytes() == b"previous export"
    assert [p.name for p in tmp_path.iterdir()] == ["v.pdf"]


def test_merge_opens_owner_locked_pdfs_and_refuses_password_protected_ones(tmp_path):
    def encrypted(user_password: str) -> bytes:
        buffer = io.BytesIO()
        locked = pikepdf.Permissions(extract=False, modify_assembly=False, modify_other=False)
        rc4_128 = pikepdf.Encryption(owner="owner", user=user_password, R=3, aes=False, metadata=False, allow=locked)
        with open_pdf(image_to_pdf(picture("PNG"))) as document:
            document.save(buffer, encryption=rc4_128)
        return buffer.getvalue()

    with open_pdf(encrypted("")) as locked:
        assert locked.is_encrypted and not locked.allow.modify_assembly
    assert merge_volume([encrypted("")], tmp_path / "a.pdf") == 1
    with open_pdf(tmp_path / "a.pdf") as merged:
        assert not merged.is_encrypted
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
