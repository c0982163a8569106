"""推进情况报告 and 年度法治政府建设情况报告 rendered from plain figures and read back with python-docx."""

import io
import re
from dataclasses import replace
from datetime import date

import pytest
from docx import Document
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml.ns import qn
from docx.shared import Pt

from reports.documents import (
    ANNUAL_SECTIONS,
    NEXT_STEPS,
    AreaLine,
    IndicatorLine,
    ReportFigures,
    UnitLine,
    annual_report_docx,
    annual_report_text,
    double_half_sentence,
    half_way_date,
    progress_report_docx,
    progress_report_text,
)

OFFICE = "鲁山县创建省级法治政府建设示范县指挥部办公室"
CAMPAIGN = "鲁山县创建省级法治政府建设示范县"
PROGRESS_TITLE = f"关于{CAMPAIGN}推进情况的报告"
ANNUAL_TITLE = "鲁山县人民政府关于2025年法治政府建设情况的报告"
AREAS = [
    AreaLine("一、政府职能依法全面履行", 14, 9),
    AreaLine("二、依法行政制度体系完善", 12, 5),
    AreaLine("三、行政执法严格规范公正文明", 20, 11),
    AreaLine("四、法治政府建设组织保障", 54, 32),
]
LEADING = [UnitLine("鲁山县市场监督管理局", 0.95, 0.5, 0, 0), UnitLine("中共鲁山县委党校", 0.875, 0.5, 0, 1)]
LAGGING = [
    UnitLine("鲁山县自然资源局", 0.2, 0.6, 3, 2),
    UnitLine("四棵树乡人民政府", 0.25, 0.45, 4, 0),
    UnitLine("鲁山县住房和城乡建设局", None, None, 6, 0),
]
LAGGING_INDICATORS = [
    IndicatorLine("27", "行政规范性文件合法性审核机制健全", ["鲁山县自然资源局", "四棵树乡人民政府"]),
    IndicatorLine("附3", "创新做法被上级推广", []),
]
# Every figure is distinct, so a number in the text can only have come from the field it belongs to.
FIGURES = ReportFigures(
    county="鲁山县",
    campaign=CAMPAIGN,
    office=OFFICE,
    as_of=date(2025, 7, 10),
    start_date=date(2025, 1, 1),
    target_date=date(2025, 12, 31),
    units_county=64,
    units_township=25,
    indicators_total=100,
    indicators_complete=57,
    bonus_total=4,
    bonus_complete=1,
    assignments_total=823,
    assignments_done=431,
    time_ratio=0.52,
    work_ratio=0.57,
    double_half=True,
    pace="正常",
    areas=AREAS,
    leading_units=LEADING,
    lagging_units=LAGGING,
    lagging_indicators=LAGGING_INDICATORS,
    evidence_submitted=318,
    evidence_approved=251,
    evidence_returned=47,
    web_links=36,
    rounds=7,
    findings=58,
    orders_closed=41,
    orders_open=17,
    orders_overdue=5,
    bulletins_published=12,
    year=2025,
)
EMPTY = replace(FIGURES, areas=[], leading_units=[], lagging_units=[], lagging_indicators=[])


def read(data: bytes):
    return Document(io.BytesIO(data))


def paragraphs(document) -> list[str]:
    return [p.text for p in document.paragraphs]


def full_text(document) -> str:
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join(paragraphs(document) + cells)


def paragraph_after(texts: list[str], heading: str) -> str:
    return texts[texts.index(heading) + 1]


@pytest.fixture(scope="module")
def progress():
    return read(progress_report_docx(FIGURES))


@pytest.fixture(scope="module")
def annual():
    return read(annual_report_docx(FIGURES))


def test_progress_title_headings_and_signature(progress):
    texts = paragraphs(progress)
    assert texts[0] == PROGRESS_TITLE
    headings = [t for t in texts if re.match(r"^[一二三四五]、", t)]
    assert headings == [
        "一、总体情况",
        "二、各领域完成情况",
        "三、完成较好的单位",
        "四、存在的问题",
        "五、下一步工作打算",
    ]
    assert texts[-2:] == [OFFICE, "2025年7月10日"]
    assert progress.core_properties.title == PROGRESS_TITLE
    assert progress.core_properties.author == OFFICE


def test_annual_title_and_the_five_sections_in_order(annual):
    texts = paragraphs(annual)
    assert texts[0] == ANNUAL_TITLE
    headings = [t for t in texts if re.match(r"^[一二三四五]、", t)]
    assert headings == list(ANNUAL_SECTIONS)
    assert headings[0] == "一、党政主要负责人履行推进法治建设第一责任人职责、加强法治政府建设的有关情况"
    assert headings[3] == "四、下一年度推进法治政府建设的主要安排"
    assert texts[-2:] == ["鲁山县人民政府", "2025年7月10日"]


def test_overall_figures_in_the_progress_report(progress):
    overview = paragraph_after(paragraphs(progress), "一、总体情况")
    assert "64个县直单位和25个乡镇（街道）" in overview
    assert "三级指标100项、加分指标4项" in overview
    assert "三级指标已完成57项，加分指标已完成1项" in overview
    assert "共分解任务823项，已完成431项" in overview
    text = full_text(progress)
    assert "工作进度为57%，时间进度为52%" in text
    assert "整体推进正常" in text
    assert "报送佐证材料318份，审核通过251份，退回补正47份" in text
    assert "公开网址形式提供的佐证36条" in text
    assert "编发工作简报12期" in text


@pytest.mark.parametrize(
    ("verdict", "time_ratio", "work_ratio", "expected"),
    [
        (True, 0.52, 0.57, "时间进度和工作进度均已过半，实现“双过半”目标。"),
        (False, 0.6, 0.4, "时间进度已过半，但工作进度尚未过半，未实现“双过半”目标。"),
        (None, 0.3, 0.4, "创建周期尚未过半（2025年7月2日起进入下半程），暂不作“双过半”评判。"),
    ],
)
def test_double_half_sentence_for_each_verdict(verdict, time_ratio, work_ratio, expected):
    figures = replace(FIGURES, double_half=verdict, time_ratio=time_ratio, work_ratio=work_ratio)
    assert double_half_sentence(figures) == expected
    overview = read(progress_report_docx(figures))
    assert expected in full_text(overview)
    assert expected in full_text(read(annual_report_docx(figures)))
    # Exactly one verdict: the wording of the others must not leak in.
    assert full_text(overview).count("双过半") == 1


def test_half_way_date_matches_the_time_ratio_rule():
    assert half_way_date(date(2025, 1, 1), date(2025, 12, 31)) == date(2025, 7, 2)
    assert half_way_date(date(2025, 1, 1), date(2025, 1, 11)) == date(2025, 1, 6)


@pytest.mark.parametrize(
    ("pace", "words"), [("超前", "整体推进超前"), ("滞后", "整体推进滞后"), ("未知", "评估为“未知”")]
)
def test_pace_in_words(pace, words):
    assert words in full_text(read(progress_report_docx(replace(FIGURES, pace=pace))))


def test_area_sentence_and_table(progress):
    text = full_text(progress)
    assert "政府职能依法全面履行领域14项，已完成9项，完成率64.3%" in text
    assert "依法行政制度体系完善领域12项，已完成5项，完成率41.7%" in text
    assert "其中依法行政制度体系完善领域完成率最低" in text
    assert len(progress.tables) == 1
    rows = [[cell.text for cell in row.cells] for row in progress.tables[0].rows]
    assert rows == [
        ["领域", "三级指标", "已完成", "完成率"],
        ["一、政府职能依法全面履行", "14", "9", "64.3%"],
        ["二、依法行政制度体系完善", "12", "5", "41.7%"],
        ["三、行政执法严格规范公正文明", "20", "11", "55%"],
        ["四、法治政府建设组织保障", "54", "32", "59.3%"],
        ["合计", "100", "57", "57%"],
    ]
    # The header row repeats on a new page; body rows do not split across pages.
    assert progress.tables[0].rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    assert progress.tables[0].rows[1]._tr.trPr.find(qn("w:cantSplit")) is not None


def test_leading_and_lagging_units_and_indicators(progress):
    texts = paragraphs(progress)
    assert "1. 鲁山县市场监督管理局：完成率95%，按时间节点应完成50%。" in texts
    assert "2. 中共鲁山县委党校：完成率87.5%，按时间节点应完成50%；未办结整改事项1项。" in texts
    assert "1. 鲁山县自然资源局：完成率20%，按时间节点应完成60%；逾期任务3项；未办结整改事项2项。" in texts
    assert "2. 四棵树乡人民政府：完成率25%，按时间节点应完成45%；逾期任务4项。" in texts
    assert "3. 鲁山县住房和城乡建设局：暂无完成率数据；逾期任务6项。" in texts
    assert "对照时间节点，以下3个单位完成率低于应完成进度：" in texts
    owing = "1. 指标27“行政规范性文件合法性审核机制健全”。尚未完成的单位：鲁山县自然资源局、四棵树乡人民政府。"
    assert owing in texts
    assert "2. 指标附3“创新做法被上级推广”。" in texts
    supervision = paragraph_after(texts, "（三）督导整改仍需加力")
    assert supervision == "创建办共开展督导7轮，发现问题58个，整改事项已办结41项，尚在整改17项，其中逾期未办结5项。"


def test_progress_next_steps_are_headed_blanks(progress):
    texts = paragraphs(progress)
    for heading in NEXT_STEPS:
        assert paragraph_after(texts, heading) == "（请填写）"
    assert texts.count("（请填写）") == len(NEXT_STEPS) == 4


def test_annual_figures_and_blanks(annual):
    text = full_text(annual)
    for figure in (
        "64个县直单位和25个乡镇（街道）",
        "三级指标已完成57项，加分指标已完成1项",
        "全年各单位共报送佐证材料318份，审核通过251份，退回补正47份",
        "佐证36条",
        "全年共开展督导7轮，发现问题58个，整改事项已办结41项，尚在整改17项，其中逾期未办结5项",
        "编发示范创建工作简报12期",
        "仍有43项三级指标尚未完成",
        "3个单位完成率低于应完成进度",
        "2026年，重点做好以下工作",
    ):
        assert figure in text, figure
    for blank in ("常务会议学法次数", "行政复议案件数", "出庭应诉率", "原因分析", "其他需要报告的情况"):
        assert f"【请补充：{blank}" in text, blank
    texts = paragraphs(annual)
    assert paragraph_after(texts, ANNUAL_SECTIONS[4]).startswith("【请补充：")


def test_blanks_are_highlighted_runs(annual, progress):
    for document in (annual, progress):
        runs = [run for p in document.paragraphs for run in p.runs]
        blanks = [run for run in runs if run.text.startswith(("【请补充：", "（请填写）"))]
        assert blanks
        assert all(run.font.highlight_color is not None for run in blanks)
        assert all(
            run.font.highlight_color is None for run in runs if "请补充" not in run.text and "请填写" not in run.text
        )


def allowed_numbers(f: ReportFigures) -> set[str]:
    # Every number a report may print: the figures, their percentages, dates, list numbering and
    # digits inside names and titles. Anything else in the text would be an invented figure.
    ints = [v for v in vars(f).values() if isinstance(v, int) and not isinstance(v, bool)]
    ints += [a.total for a in f.areas] + [a.complete for a in f.areas] + [f.year + 1]
    ints += [f.indicators_total - f.indicators_complete, sum(a.total for a in f.areas)]
    ints += [sum(a.complete for a in f.areas), len(f.leading_units), len(f.lagging_units)]
    ints += [len(f.lagging_indicators), *range(1, 10)]
    ints += [u.overdue for u in f.leading_units + f.lagging_units]
    ints += [u.open_orders for u in f.leading_units + f.lagging_units]
    days = [f.as_of, f.start_date, f.target_date, half_way_date(f.start_date, f.target_date)]
    ints += [part for day in days for part in (day.year, day.month, day.day)]
    ratios = [f.time_ratio, f.work_ratio] + [a.complete / a.total for a in f.areas]
    ratios += [v for u in f.leading_units + f.lagging_units for v in (u.rate, u.expected) if v is not None]
    found = {f"{r * 100:.1f}".removesuffix(".0") for r in ratios} | {str(i) for i in ints}
    strings = [f.county, f.campaign, f.office] + [i.code + i.title for i in f.lagging_indicators]
    return found | {n for s in strings for n in re.findall(r"\d+(?:\.\d+)?", s)}


@pytest.mark.parametrize("render", [progress_report_docx, annual_report_docx])
def test_every_number_in_the_text_comes_from_the_figures(render):
    text = full_text(read(render(FIGURES)))
    numbers = set(re.findall(r"\d+(?:\.\d+)?", text))
    assert numbers - allowed_numbers(FIGURES) == set()
    assert {"823", "431", "318", "251", "47", "36", "58", "41", "17", "12"} <= numbers


@pytest.mark.parametrize("render", [progress_report_docx, annual_report_docx])
def test_east_asian_font_set_on_every_run(render):
    document = read(render(FIGURES))
    cells = [p for t in document.tables for row in t.rows for c in row.cells for p in c.paragraphs]
    footer = document.sections[0].footer._element
    runs = [r._r for p in document.paragraphs + cells for r in p.runs] + footer.findall(".//" + qn("w:r"))
    assert len(runs) > 40
    for run in runs:
        fonts = run.find(qn("w:rPr")).find(qn("w:rFonts"))
        assert fonts.get(qn("w:eastAsia")), run.xpath("string(.)")
        assert fonts.get(qn("w:eastAsiaTheme")) is None
    defaults = document.styles.element.find(qn("w:docDefaults")).find(".//" + qn("w:rFonts"))
    assert defaults.get(qn("w:eastAsia")) == "仿宋_GB2312"


def first_font(paragraph) -> tuple[str, float]:
    run = paragraph.runs[0]
    return run._r.rPr.rFonts.get(qn("w:eastAsia")), run.font.size.pt


def test_fonts_by_paragraph_kind(progress, annual):
    by_text = {p.text: p for p in progress.paragraphs} | {p.text: p for p in annual.paragraphs}
    assert first_font(by_text[PROGRESS_TITLE]) == ("方正小标宋简体", 22)
    assert first_font(by_text[ANNUAL_TITLE]) == ("方正小标宋简体", 22)
    assert first_font(by_text["一、总体情况"]) == ("黑体", 16)
    assert first_font(by_text[ANNUAL_SECTIONS[2]]) == ("黑体", 16)
    assert first_font(by_text["（一）部分单位进度滞后"]) == ("楷体_GB2312", 16)
    body = by_text[paragraph_after(paragraphs(progress), "一、总体情况")]
    assert first_font(body) == ("仿宋_GB2312", 16)
    assert body.paragraph_format.line_spacing == Pt(29)
    assert body.paragraph_format.first_line_indent == Pt(32)
    assert by_text["一、总体情况"].paragraph_format.keep_with_next


def test_page_setup_and_font_fallbacks(progress):
    section = progress.sections[0]
    # Word stores twips, so centimetres come back rounded to the twentieth of a point.
    sizes = (section.page_width, section.page_height, section.top_margin, section.bottom_margin)
    sizes += (section.left_margin, section.right_margin)
    assert [round(size.cm, 2) for size in sizes] == [21, 29.7, 3.7, 3.5, 2.8, 2.6]
    blob = progress.part.part_related_by(RT.FONT_TABLE).blob.decode()
    for name, fallback in (("方正小标宋简体", "宋体"), ("仿宋_GB2312", "仿宋"), ("楷体_GB2312", "楷体")):
        assert re.search(f'w:name="{name}".*?w:altName w:val="{fallback}"', blob), name
    footer = section.footer._element
    assert footer.find(".//" + qn("w:fldSimple")).get(qn("w:instr")) == "PAGE"


@pytest.mark.parametrize(
    ("text", "render"),
    [(progress_report_text, progress_report_docx), (annual_report_text, annual_report_docx)],
)
def test_text_and_docx_carry_the_same_content(text, render):
    document = read(render(FIGURES))
    items = text(FIGURES)
    assert paragraphs(document) == [t for style, t in items if style != "table"]
    assert [row.split("\t") for style, row in items if style == "table"] == [
        [c.text for c in r.cells] for t in document.tables for r in t.rows
    ]


def test_empty_lists_are_handled():
    progress = read(progress_report_docx(EMPTY))
    texts = paragraphs(progress)
    assert progress.tables == []
    assert paragraph_after(texts, "二、各领域完成情况") == "暂无分领域统计数据。"
    assert paragraph_after(texts, "三、完成较好的单位").startswith("目前暂无完成率明显领先的单位")
    assert paragraph_after(texts, "（一）部分单位进度滞后") == "各单位均按时间节点推进，暂无进度滞后的单位。"
    assert paragraph_after(texts, "（二）部分指标推进缓慢") == "各项三级指标均按计划推进，暂无明显滞后的指标。"
    annual = full_text(read(annual_report_docx(EMPTY)))
    assert "个单位完成率低于应完成进度" not in annual
    assert "领域完成率相对较低" not in annual


def test_supervision_without_rounds_or_orders():
    quiet = replace(FIGURES, rounds=0, findings=0, orders_closed=0, orders_open=0, orders_overdue=0)
    texts = paragraphs(read(progress_report_docx(quiet)))
    assert paragraph_after(texts, "（三）督导整改仍需加力") == "创建办尚未开展专项督导，暂无整改事项。"
    done = replace(FIGURES, orders_open=0, orders_overdue=0)
    assert "尚在整改0项，已全部办结。" in full_text(read(progress_report_docx(done)))
    on_time = replace(FIGURES, orders_overdue=0)
    assert "尚在整改17项，均在整改期限内。" in full_text(read(progress_report_docx(on_time)))


def test_campaign_complete_changes_the_annual_plan():
    finished = replace(FIGURES, indicators_complete=100, lagging_units=[], orders_overdue=0, evidence_returned=0)
    text = full_text(read(annual_report_docx(finished)))
    assert "巩固示范创建成果" in text
    assert "尚未完成" not in text
    assert "一是【请补充：依法行政等方面的其他不足】。" in text


def test_control_characters_in_names_do_not_break_the_file():
    odd = replace(FIGURES, lagging_units=[UnitLine("鲁山县\x0b财政局", 0.1, 0.5, 1, 0)])
    assert "1. 鲁山县财政局：完成率10%" in full_text(read(progress_report_docx(odd)))
