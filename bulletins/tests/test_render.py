"""The bulletin renderers over plain data: PDF text and fonts, Word structure, HTML escaping, speed."""

import base64
import io
import re
import shutil
import subprocess
import time
from datetime import date

import pytest
from docx import Document
from docx.oxml.ns import qn
from PIL import Image, ImageDraw

from bulletins.render import BulletinData, ImageData, ItemData, bulletin_docx, bulletin_html, bulletin_pdf

OFFICE = "鲁山县创建省级法治政府建设示范县指挥部办公室"
HEADLINES = (
    "鲁山县法治政府建设年度关键词 回答我们的2023",
    "鲁山县法治政府创建工作督导组调研督导法治政府创建工作",
    "上下联动多措并举 营造示范创建浓厚氛围",
)
# A space between Chinese characters breaks a headline in two; "…的2023" keeps no break.
PRINTED_HEADLINES = (
    "鲁山县法治政府建设年度关键词\n回答我们的2023",
    HEADLINES[1],
    "上下联动多措并举\n营造示范创建浓厚氛围",
)
HOSTILE = "群众来信写道：<script>alert(1)</script>，“法治 & 民生”与“A&B<C>”并举。"
PARAGRAPH = (
    "本周，县法治政府建设领导小组办公室联合县人大办、县政府办、县纪委监委、县委政法委成立4个督导组，"
    "分别到县法院、县公安局、县财政局等43个县直单位和各乡（镇、街道）开展督导工作，做到专班人员必谈、"
    "关键资料必查、固定场所必看，较全面地了解各单位法治政府建设示范创建工作情况。"
)


def picture(width=800, height=533, fmt="PNG", colour=(40, 110, 170)) -> ImageData:
    image = Image.new("RGB", (width, height), colour)
    draw = ImageDraw.Draw(image)
    for x in range(0, width, 40):  # some detail, so JPEG sizes are realistic rather than flat
        draw.line([(x, 0), (width - x, height)], fill=(255 - x % 255, 200, x % 255), width=3)
    buffer = io.BytesIO()
    image.save(buffer, fmt, quality=85) if fmt == "JPEG" else image.save(buffer, fmt)
    return ImageData(buffer.getvalue(), f"image/{fmt.lower()}", "")


def sample(number=17, **changes) -> BulletinData:
    first, second = picture(), picture(600, 900, "JPEG", (180, 60, 40))
    items = [
        ItemData(
            HEADLINES[0],
            [
                ("p", "“法治兴则民族兴，法治强则国家强。”" + PARAGRAPH),
                ("img", ImageData(first.data, first.content_type, "督导组在县法院查阅创建资料")),
                ("p", PARAGRAPH),
                ("img", second),
                ("p", "下一步，各督导组将进一步加强常态化督查指导，推动法治政府建设工作向纵深发展。"),
            ],
        ),
        ItemData(HEADLINES[1], [("p", PARAGRAPH), ("h", "一、【高位引领】"), ("p", PARAGRAPH * 2)]),
        ItemData(HEADLINES[2], [("p", HOSTILE), ("p", PARAGRAPH)]),
    ]
    fields = {
        "title_line": "鲁山县创建省级法治政府建设示范县 工作简报",
        "number": number,
        "office": OFFICE,
        "issue_date": date(2023, 12, 31),
        "items": items,
        "bao": "市法治政府建设领导小组办公室",
        "song": "县省级法治政府建设示范创建指挥部政委、指挥长、副指挥长",
        "fa": "各乡（镇、街道），县委各部委，县直各单位",
        "editors": "徐亚利、陈宇",
        "copies": 80,
    }
    return BulletinData(**{**fields, **changes})


def run_tool(tool, pdf: bytes, tmp_path, *options) -> str:
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} (poppler-utils) is not installed")
    path = tmp_path / "bulletin.pdf"
    path.write_bytes(pdf)
    args = [tool, *options, str(path), "-"] if tool == "pdftotext" else [tool, str(path)]
    return subprocess.run(args, capture_output=True, text=True, check=True, timeout=60).stdout


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return bulletin_pdf(sample())


def test_pdf_text_is_real_and_complete(pdf, tmp_path):
    assert pdf.startswith(b"%PDF")
    text = run_tool("pdftotext", pdf, tmp_path)
    flat = "".join(text.split())  # pdftotext breaks lines where the layout does
    for expected in ("鲁山县创建省级法治政府建设示范县", "工作简报", "第17期", OFFICE, "2023年12月31日", "工作动态"):
        assert expected in flat, expected
    for headline in HEADLINES:
        assert "".join(headline.split()) in flat, headline
        assert "○" + "".join(headline.split()) in flat  # the 目录 line
    for expected in ("报：", "送：", "发：", "编校：徐亚利、陈宇", "（共印80份）", "督导组在县法院查阅创建资料"):
        assert expected in flat, expected
    assert "<script>alert(1)</script>" in flat  # shown as text, neither executed nor dropped
    assert "A&B<C>" in flat
    assert "—1—" in flat and "—2—" in flat  # page numbers
    assert flat.index("○" + HEADLINES[2].replace(" ", "")) < flat.index("（共印80份）")
    assert flat.rindex("编校") > flat.rindex(PARAGRAPH[-20:])  # the 版记 comes after the last article


def test_pdf_colophon_sits_at_the_foot_of_the_last_page(pdf, tmp_path):
    pages = run_tool("pdftotext", pdf, tmp_path, "-bbox").split("<page ")[1:]
    words = [re.findall(r'yMax="([\d.]+)">([^<]*)<', page) for page in pages]
    assert not any("编校" in word for page in words[:-1] for _y, word in page)
    imprint = next(float(y) for y, word in words[-1] if word.startswith("编校"))
    page_number = max(float(y) for y, word in words[-1] if word == "—")
    # A4 is 842 pt tall; the text block ends 35 mm (99 pt) above the bottom edge.
    assert 842 - 99 - 30 < imprint < page_number


def test_pdf_embeds_cjk_fonts(pdf, tmp_path):
    rows = run_tool("pdffonts", pdf, tmp_path).splitlines()[2:]
    cjk = [row for row in rows if "CJK" in row]
    assert cjk, rows
    # Columns: name type encoding emb sub uni object-id; every CJK font must be embedded.
    assert all(row.split()[-5] == "yes" for row in cjk), cjk


def test_pdf_draft_and_revision(tmp_path):
    draft = "".join(run_tool("pdftotext", bulletin_pdf(sample(number=None)), tmp_path).split())
    assert "（草稿，未编号）" in draft and "第17期" not in draft
    revised = bulletin_pdf(sample(revision=2, correction_note="第2篇标题有误，已更正。", copies=None))
    text = "".join(run_tool("pdftotext", revised, tmp_path).split())
    assert "第17期（第2次修订）" in text
    assert "更正说明：第2篇标题有误，已更正。" in text
    assert text.index("更正说明") < text.index("报：")
    assert "共印" not in text


def _has_border(paragraph, side: str, colour: str | None = None) -> bool:
    borders = paragraph._p.pPr.find(qn("w:pBdr")) if paragraph._p.pPr is not None else None
    edge = borders.find(qn(f"w:{side}")) if borders is not None else None
    return edge is not None and (colour is None or edge.get(qn("w:color")).upper() == colour)


def test_docx_structure():
    document = Document(io.BytesIO(bulletin_docx(sample())))
    paragraphs = document.paragraphs
    texts = [p.text for p in paragraphs]
    assert texts[0] == "鲁山县创建省级法治政府建设示范县"
    assert texts[1] == "工作简报"
    assert "第17期" in texts
    assert f"{OFFICE}\t2023年12月31日" in texts
    masthead = paragraphs[0].runs[0]
    assert str(masthead.font.color.rgb) == "C8102E"
    assert masthead._r.rPr.rFonts.get(qn("w:eastAsia")) == "方正小标宋简体"
    assert all(run._r.rPr.rFonts.get(qn("w:eastAsia")) for p in paragraphs for run in p.runs if run.text)
    assert any(_has_border(p, "bottom", "C8102E") for p in paragraphs)  # the red rule

    # 目录 then the articles, headlines in order in both.
    contents = [texts.index("○" + headline) for headline in HEADLINES]
    articles = [texts.index(headline) for headline in PRINTED_HEADLINES]
    assert contents == sorted(contents) and articles == sorted(articles) and contents[-1] < articles[0]
    body = paragraphs[articles[1] + 1]
    assert body.text == PARAGRAPH
    assert body._p.pPr.find(qn("w:ind")).get(qn("w:firstLineChars")) == "200"
    assert body.runs[0].font.size.pt == 16
    assert "一、【高位引领】" in texts
    assert HOSTILE in texts  # kept verbatim: Word text is not markup
    assert len(document.inline_shapes) == 2
    assert all(shape.width.cm <= 15.01 and shape.height.cm <= 9.01 for shape in document.inline_shapes)
    assert "督导组在县法院查阅创建资料" in texts

    # The 版记 box at the end: ruled above and below.
    tail = texts[-4:]
    assert [t[:2] for t in tail[:3]] == ["报：", "送：", "发："]
    assert tail[3] == "编校：徐亚利、陈宇\t（共印80份）"
    assert _has_border(paragraphs[-4], "top") and _has_border(paragraphs[-1], "bottom")
    section = document.sections[0]
    assert round(section.top_margin.mm) == 37 and round(section.left_margin.mm) == 28
    assert "PAGE" in section.footer.paragraphs[0]._p.xml


def test_docx_draft_revision_and_correction():
    document = Document(io.BytesIO(bulletin_docx(sample(number=None, revision=3, correction_note="更正。"))))
    texts = [p.text for p in document.paragraphs]
    assert "（草稿，未编号）（第3次修订）" in texts
    assert texts.index("更正说明：更正。") < next(i for i, t in enumerate(texts) if t.startswith("报："))


def test_html_escapes_and_structures():
    html = bulletin_html(sample())
    for headline, printed in zip(HEADLINES, PRINTED_HEADLINES, strict=True):
        assert f"<li>○{headline}</li>" in html
        assert printed.replace("\n", "<br>") in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    assert "A&amp;B&lt;C&gt;" in html
    assert html.count('src="data:image/') == 2
    assert "第17期" in html and "2023年12月31日" in html and "编校：徐亚利、陈宇" in html
    urls = bulletin_html(sample(), image_url=lambda index: f"/bulletins/1/image/{index[0]}-{index[1]}")
    assert 'src="/bulletins/1/image/0-1"' in urls and 'src="/bulletins/1/image/0-3"' in urls
    assert "data:image" not in urls


def test_unreadable_image_is_dropped_not_fatal():
    broken = ImageData(b"not an image", "image/png", "说明文字")
    data = sample(items=[ItemData("标题", [("p", "正文"), ("img", broken)])])
    assert "说明文字" in bulletin_html(data) and "<img" not in bulletin_html(data)
    assert len(Document(io.BytesIO(bulletin_docx(data))).inline_shapes) == 0
    assert bulletin_pdf(data).startswith(b"%PDF")


def test_phone_photos_are_turned_upright_and_shrunk():
    # A phone stores a portrait photo as a landscape image plus EXIF orientation 6 (turn 90°).
    photo = Image.new("RGB", (3200, 1600), (90, 140, 60))
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    photo.save(buffer, "JPEG", exif=exif)
    data = sample(items=[ItemData("标题", [("img", ImageData(buffer.getvalue(), "image/jpeg"))])])
    shape = Document(io.BytesIO(bulletin_docx(data))).inline_shapes[0]
    assert shape.height.cm == pytest.approx(9, abs=0.01) and shape.width.cm == pytest.approx(4.5, abs=0.01)
    html = bulletin_html(data)
    assert 'width="170" height="340"' in html  # 45 × 90 mm in CSS px
    embedded = re.search(r'src="data:image/jpeg;base64,([^"]+)"', html).group(1)
    assert Image.open(io.BytesIO(base64.b64decode(embedded))).size == (1200, 2400)
    small = picture(1200, 800, "JPEG")
    html = bulletin_html(sample(items=[ItemData("标题", [("img", small)])]))
    assert base64.b64encode(small.data).decode() in html  # an upright, modest photo goes in untouched


def test_six_items_with_four_images_render_quickly():
    photos = [picture(1200, 800, "JPEG", (30 * i, 90, 160)) for i in range(4)]
    items = []
    for number in range(6):
        blocks = [("p", PARAGRAPH), ("h", "一、工作开展情况"), ("p", PARAGRAPH * 2)]
        if number < 4:
            photo = photos[number]
            blocks.insert(1, ("img", ImageData(photo.data, photo.content_type, f"图{number + 1} 现场督导")))
        items.append(ItemData(f"第{number + 1}篇 鲁山县示范创建工作动态", blocks))
    data = sample(items=items)

    started = time.perf_counter()
    pdf = bulletin_pdf(data)
    pdf_seconds = time.perf_counter() - started
    started = time.perf_counter()
    docx = bulletin_docx(data)
    docx_seconds = time.perf_counter() - started
    print(
        f"\n6 items × 4 images: PDF {pdf_seconds:.2f} s, {len(pdf) / 1024:.0f} KiB; "
        f"DOCX {docx_seconds:.2f} s, {len(docx) / 1024:.0f} KiB"
    )
    assert pdf.startswith(b"%PDF") and pdf_seconds < 10
    assert len(Document(io.BytesIO(docx)).inline_shapes) == 4 and docx_seconds < 10
