"""推进情况报告 and the draft 年度法治政府建设情况报告, as editable Word files filled from live figures.

Pure functions over plain data, like ``reports.feedback``: the caller gathers the figures, this module
only writes. Each report is first built as a list of ``(style, text)`` paragraphs and the Word file is
rendered from that list, so the text that tests read and the text in the document cannot drift apart.
The creation office rewrites parts of both reports, hence real fonts, one real table and blanks that
are marked and highlighted where only the office knows the facts.
"""

import io
import re
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import groupby
from operator import itemgetter

from docx import Document
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_ROW_HEIGHT_RULE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_COLOR_INDEX
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from luhsan_portal.docx_fonts import docx_text, fixed_table, official_page, set_fonts

# Paragraph styles of the (style, text) lists. A "table" item is one row, cells joined by a tab;
# the first row of a run of "table" items is the header.
TITLE, H1, H2, BODY, FILL, TABLE, SIGN = "title", "h1", "h2", "body", "fill", "table", "sign"
FILL_TEXT = "（请填写）"
TITLE_FONT, BODY_FONT, H1_FONT, H2_FONT, PAGE_FONT = "方正小标宋简体", "仿宋_GB2312", "黑体", "楷体_GB2312", "宋体"
# Word substitutes w:altName when a face is missing; 黑体 and 宋体 ship with every Chinese Windows.
FALLBACKS = ((TITLE_FONT, "宋体"), (BODY_FONT, "仿宋"), (H2_FONT, "楷体"))
AREA_COLUMNS = ("领域", "三级指标", "已完成", "完成率")
# A4 minus the 2.8 + 2.6 cm side margins leaves 15.6 cm.
AREA_WIDTHS_CM = (8.0, 2.5, 2.5, 2.6)
ANNUAL_SECTIONS = (
    "一、党政主要负责人履行推进法治建设第一责任人职责、加强法治政府建设的有关情况",
    "二、推进法治政府建设的主要举措和成效",
    "三、推进法治政府建设存在的不足和原因",
    "四、下一年度推进法治政府建设的主要安排",
    "五、其他需要报告的情况",
)
NEXT_STEPS = ("（一）压实牵头责任", "（二）加强督导整改", "（三）强化材料审核", "（四）营造创建氛围")
PACE_WORDS = {
    "超前": "工作进度快于时间进度，整体推进超前",
    "正常": "工作进度与时间进度基本同步，整体推进正常",
    "滞后": "工作进度落后于时间进度，整体推进滞后",
}
NUMERALS = "一二三四五六七八九十"

_AREA_PREFIX = re.compile(r"^[一二三四五六七八九十]+、")
_BLANK = re.compile(r"(【请补充：[^】]*】|（请填写）)")


@dataclass(frozen=True)
class AreaLine:
    title: str
    total: int
    complete: int


@dataclass(frozen=True)
class UnitLine:
    name: str
    rate: float | None  # completion 0..1
    expected: float | None  # share already due 0..1
    overdue: int
    open_orders: int


@dataclass(frozen=True)
class IndicatorLine:
    code: str
    title: str
    units: list[str]  # units still owing


@dataclass(frozen=True)
class ReportFigures:
    county: str
    campaign: str
    office: str
    as_of: date
    start_date: date
    target_date: date
    units_county: int  # county-level units with tasks
    units_township: int  # townships / streets with tasks
    indicators_total: int  # level-3 indicators
    indicators_complete: int
    bonus_total: int  # 加分指标
    bonus_complete: int
    assignments_total: int
    assignments_done: int
    time_ratio: float
    work_ratio: float
    double_half: bool | None  # None before the half-way date
    pace: str  # 超前 / 正常 / 滞后
    areas: list[AreaLine]
    leading_units: list[UnitLine]
    lagging_units: list[UnitLine]
    lagging_indicators: list[IndicatorLine]
    evidence_submitted: int  # this period (the year, for the annual report)
    evidence_approved: int
    evidence_returned: int
    web_links: int  # public links given as evidence
    rounds: int  # supervision rounds
    findings: int
    orders_closed: int
    orders_open: int
    orders_overdue: int
    bulletins_published: int
    year: int


Paragraphs = list[tuple[str, str]]


# --- Wording ---


def _pct(value: float | None) -> str:
    # One decimal, but "50%" rather than "50.0%": the office copies these into prose.
    if value is None:
        return "—"
    return f"{value * 100:.1f}".removesuffix(".0") + "%"


def _cn_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _area_name(area: AreaLine) -> str:
    return _AREA_PREFIX.sub("", area.title)


def _area_rate(area: AreaLine) -> float | None:
    return area.complete / area.total if area.total else None


def _weakest_area(f: ReportFigures) -> AreaLine | None:
    rated = [a for a in f.areas if a.total]
    # Naming the "weakest" of one area, or of areas all complete, would be noise.
    if len(rated) < 2:
        return None
    weakest = min(rated, key=_area_rate)
    return weakest if weakest.complete < weakest.total else None


def half_way_date(start: date, target: date) -> date:
    """First day on which the time ratio reaches 50%, i.e. from when 双过半 is judged."""
    return start + timedelta(days=((target - start).days + 1) // 2)


def double_half_sentence(f: ReportFigures) -> str:
    """The 双过半 verdict in words; before the half-way date it says that nothing is judged yet."""
    if f.double_half is None:
        day = _cn_date(half_way_date(f.start_date, f.target_date))
        return f"创建周期尚未过半（{day}起进入下半程），暂不作“双过半”评判。"
    if f.double_half:
        return "时间进度和工作进度均已过半，实现“双过半”目标。"
    return "时间进度已过半，但工作进度尚未过半，未实现“双过半”目标。"


def _unit_line(unit: UnitLine) -> str:
    parts = [f"完成率{_pct(unit.rate)}" if unit.rate is not None else "暂无完成率数据"]
    if unit.expected is not None:
        parts[0] += f"，按时间节点应完成{_pct(unit.expected)}"
    # Zero counts are left out: a line per unit that says "0项" twice buries the real gaps.
    if unit.overdue:
        parts.append(f"逾期任务{unit.overdue}项")
    if unit.open_orders:
        parts.append(f"未办结整改事项{unit.open_orders}项")
    return f"{unit.name}：{'；'.join(parts)}。"


def _indicator_line(line: IndicatorLine) -> str:
    owing = f"尚未完成的单位：{'、'.join(line.units)}。" if line.units else ""
    return f"指标{line.code}“{line.title}”。{owing}"


def _area_table(f: ReportFigures) -> Paragraphs:
    rows = [(TABLE, "\t".join(AREA_COLUMNS))]
    for area in f.areas:
        rows.append((TABLE, f"{area.title}\t{area.total}\t{area.complete}\t{_pct(_area_rate(area))}"))
    total, complete = sum(a.total for a in f.areas), sum(a.complete for a in f.areas)
    rows.append((TABLE, f"合计\t{total}\t{complete}\t{_pct(complete / total if total else None)}"))
    return rows


def _supervision_sentence(f: ReportFigures, period: str) -> str:
    head = f"{period}共开展督导{f.rounds}轮，发现问题{f.findings}个，" if f.rounds else f"{period}尚未开展专项督导，"
    if not (f.orders_closed or f.orders_open):
        return head + "暂无整改事项。"
    orders = f"整改事项已办结{f.orders_closed}项，尚在整改{f.orders_open}项"
    if f.orders_open:
        orders += f"，其中逾期未办结{f.orders_overdue}项" if f.orders_overdue else "，均在整改期限内"
    else:
        orders += "，已全部办结"
    return head + orders + "。"


def _evidence_sentence(f: ReportFigures, period: str) -> str:
    return (
        f"{period}各单位共报送佐证材料{f.evidence_submitted}份，审核通过{f.evidence_approved}份，"
        f"退回补正{f.evidence_returned}份；以公开网址形式提供的佐证{f.web_links}条，由创建办逐条核验。"
    )


def _task_sentence(f: ReportFigures) -> str:
    return (
        f"共分解任务{f.assignments_total}项，已完成{f.assignments_done}项。指标体系共有三级指标{f.indicators_total}项、"
        f"加分指标{f.bonus_total}项，目前三级指标已完成{f.indicators_complete}项，加分指标已完成{f.bonus_complete}项。"
    )


def _ratio_sentence(f: ReportFigures) -> str:
    return f"按指标完成情况测算，工作进度为{_pct(f.work_ratio)}，时间进度为{_pct(f.time_ratio)}。"


class _Report(list):
    """A (style, text) list with one short call per paragraph, so that long sentences stay readable."""

    def add(self, style: str, *parts: str) -> None:
        self.append((style, "".join(parts)))

    def numbered(self, lines: list[str]) -> None:
        self.extend((BODY, f"{n}. {line}") for n, line in enumerate(lines, start=1))


def progress_report_text(f: ReportFigures) -> Paragraphs:
    """The 推进情况报告 as (style, text) paragraphs, in the order of the Word file."""
    out = _Report([(TITLE, f"关于{f.campaign}推进情况的报告")])
    start, target, as_of = _cn_date(f.start_date), _cn_date(f.target_date), _cn_date(f.as_of)
    out.add(
        BODY,
        f"自{start}启动创建以来，{f.county}对照省级法治政府建设示范指标体系，逐项分解任务、定期调度推进，",
        f"力争于{target}前完成全部创建任务。现将截至{as_of}的推进情况报告如下：",
    )

    out.add(H1, "一、总体情况")
    out.add(BODY, f"创建任务覆盖{f.units_county}个县直单位和{f.units_township}个乡镇（街道），", _task_sentence(f))
    pace = PACE_WORDS.get(f.pace, f"整体推进评估为“{f.pace}”")
    out.add(BODY, _ratio_sentence(f), double_half_sentence(f), pace, "。")
    out.add(BODY, _evidence_sentence(f, "本期"), f"创建办编发工作简报{f.bulletins_published}期，及时通报进度。")

    out.add(H1, "二、各领域完成情况")
    if f.areas:
        parts = [f"{_area_name(a)}领域{a.total}项，已完成{a.complete}项，完成率{_pct(_area_rate(a))}" for a in f.areas]
        weakest = _weakest_area(f)
        tail = f"其中{_area_name(weakest)}领域完成率最低，需重点推进。" if weakest else ""
        out.add(BODY, "从各领域三级指标看，", "；".join(parts), "。", tail)
        out.extend(_area_table(f))
    else:
        out.add(BODY, "暂无分领域统计数据。")

    out.add(H1, "三、完成较好的单位")
    if f.leading_units:
        out.add(BODY, f"从各单位推进情况看，以下{len(f.leading_units)}个单位任务完成率较高、进度较快：")
        out.numbered([_unit_line(u) for u in f.leading_units])
    else:
        out.add(BODY, "目前暂无完成率明显领先的单位，各单位均需进一步加快推进。")

    out.add(H1, "四、存在的问题")
    out.add(H2, "（一）部分单位进度滞后")
    if f.lagging_units:
        out.add(BODY, f"对照时间节点，以下{len(f.lagging_units)}个单位完成率低于应完成进度：")
        out.numbered([_unit_line(u) for u in f.lagging_units])
    else:
        out.add(BODY, "各单位均按时间节点推进，暂无进度滞后的单位。")
    out.add(H2, "（二）部分指标推进缓慢")
    if f.lagging_indicators:
        out.add(BODY, f"以下{len(f.lagging_indicators)}项三级指标推进较慢，仍有责任单位未完成：")
        out.numbered([_indicator_line(i) for i in f.lagging_indicators])
    else:
        out.add(BODY, "各项三级指标均按计划推进，暂无明显滞后的指标。")
    out.add(H2, "（三）督导整改仍需加力")
    out.add(BODY, _supervision_sentence(f, "创建办"))

    out.add(H1, "五、下一步工作打算")
    out.add(BODY, "针对上述问题，下一步重点抓好以下工作：")
    for heading in NEXT_STEPS:
        out.extend([(H2, heading), (FILL, FILL_TEXT)])

    out.extend([(SIGN, f.office), (SIGN, as_of)])
    return list(out)


def _shortcomings(f: ReportFigures) -> str:
    remaining = f.indicators_total - f.indicators_complete
    items = []
    if remaining > 0:
        weakest = _weakest_area(f)
        where = f"，{_area_name(weakest)}领域完成率相对较低" if weakest else ""
        items.append(f"示范创建仍有{remaining}项三级指标尚未完成{where}")
    if f.lagging_units:
        items.append(f"{len(f.lagging_units)}个单位完成率低于应完成进度")
    if f.orders_overdue:
        items.append(f"{f.orders_overdue}项督导整改事项逾期未办结")
    if f.evidence_returned:
        items.append(f"{f.evidence_returned}份佐证材料被退回补正，材料质量有待提高")
    items.append("【请补充：依法行政等方面的其他不足】")
    return "；".join(f"{NUMERALS[n]}是{item}" for n, item in enumerate(items)) + "。"


def annual_report_text(f: ReportFigures) -> Paragraphs:
    """The draft 年度法治政府建设情况报告 as (style, text) paragraphs, in the order of the Word file."""
    s1, s2, s3, s4, s5 = ANNUAL_SECTIONS
    out = _Report([(TITLE, f"{f.county}人民政府关于{f.year}年法治政府建设情况的报告")])
    out.add(
        BODY,
        f"{f.year}年，{f.county}人民政府坚持以习近平法治思想为指导，把法治政府建设摆在全局工作的重要位置，",
        f"以{f.campaign}为抓手统筹推进依法行政，【请补充：年度总体成效】。现将有关情况报告如下：",
    )

    out.add(H1, s1)
    out.add(H2, "（一）带头学法用法")
    out.add(
        BODY,
        "政府主要负责人带头学习贯彻习近平法治思想，坚持会前学法制度，全年县政府常务会议学法",
        "【请补充：常务会议学法次数】次，组织领导干部法治专题培训【请补充：培训场次及人数】。",
    )
    out.add(H2, "（二）统筹部署法治政府建设")
    out.add(
        BODY,
        "县政府常务会议全年听取法治政府建设工作汇报【请补充：听取汇报次数】次，研究解决【请补充：重点问题】。",
        f"依托{f.office}统筹调度示范创建，将任务分解到{f.units_county}个县直单位和{f.units_township}个乡镇（街道）。",
    )
    out.add(H2, "（三）压实法治建设责任")
    out.add(BODY, "将法治建设纳入年度目标考核，落实领导干部述法制度，【请补充：述法及考核覆盖情况】。")

    out.add(H1, s2)
    out.add(H2, "（一）扎实推进示范创建")
    out.add(BODY, f"截至{_cn_date(f.as_of)}，示范创建", _task_sentence(f), _ratio_sentence(f), double_half_sentence(f))
    out.add(H2, "（二）严格佐证材料审核")
    out.add(BODY, _evidence_sentence(f, "全年"))
    out.add(H2, "（三）强化督导整改")
    out.add(BODY, _supervision_sentence(f, "全年"))
    out.add(H2, "（四）加强宣传交流")
    out.add(BODY, f"编发示范创建工作简报{f.bulletins_published}期，通报进度、交流经验，营造创建氛围。")
    out.add(H2, "（五）推进严格规范公正文明执法")
    out.add(
        BODY,
        "重大行政决策方面，【请补充：重大行政决策目录及合法性审查情况】。行政规范性文件方面，全年合法性审查",
        "【请补充：审查件数】件，备案【请补充：备案件数】件。行政执法方面，【请补充：行政执法监督、案卷评查等情况】。",
    )
    out.add(
        BODY,
        "行政复议和应诉方面，全年收到行政复议申请【请补充：行政复议案件数】件，",
        "行政机关负责人出庭应诉率【请补充：出庭应诉率】。",
    )

    out.add(H1, s3)
    out.add(BODY, "在肯定成绩的同时，法治政府建设仍存在一些不足：", _shortcomings(f))
    out.add(BODY, "主要原因：【请补充：原因分析】。")

    out.add(H1, s4)
    remaining = f.indicators_total - f.indicators_complete
    goal = f"推动剩余{remaining}项三级指标全部完成，" + (
        f"确保{_cn_date(f.target_date)}前实现创建目标" if f.target_date.year > f.year else "迎接评估验收"
    )
    out.add(
        BODY,
        f"{f.year + 1}年，重点做好以下工作：一是",
        goal if remaining > 0 else "巩固示范创建成果，做好评估验收准备",
        "；二是持续开展督导检查，对逾期整改事项挂牌督办；三是严把佐证材料审核关，提高材料质量；",
        "四是【请补充：其他工作安排】。",
    )

    out.add(H1, s5)
    out.add(BODY, "【请补充：其他需要报告的情况；如无，写“无”】")

    out.extend([(SIGN, f"{f.county}人民政府"), (SIGN, _cn_date(f.as_of))])
    return list(out)


# --- Word ---


def _runs(paragraph, text: str, font: str, size: float) -> None:
    # Blanks get their own highlighted run so the office finds every one before sending.
    for index, piece in enumerate(_BLANK.split(docx_text(text))):
        if not piece:
            continue
        run = paragraph.add_run(piece)
        run.font.size = Pt(size)
        if index % 2:
            run.font.highlight_color = WD_COLOR_INDEX.YELLOW
        set_fonts(run._element.get_or_add_rPr(), font)


def _setup(document, title: str, author: str) -> None:
    section = official_page(document, BODY_FONT, FALLBACKS)
    # Official documents number pages "— 1 —" at the foot (GB/T 9704), in 宋体 四号.
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _runs(footer, "— ", PAGE_FONT, 14)
    _runs(footer, "1", PAGE_FONT, 14)
    # Wrap the styled "1" in a PAGE field, so it keeps the fonts and Word replaces the number.
    page = footer.runs[-1]._r
    field = OxmlElement("w:fldSimple", {qn("w:instr"): "PAGE"})
    page.addprevious(field)
    field.append(page)
    _runs(footer, " —", PAGE_FONT, 14)
    props = document.core_properties
    props.title, props.author, props.last_modified_by, props.comments = title, author, author, ""


def _table(document, rows: list[str]) -> None:
    table = fixed_table(document, AREA_WIDTHS_CM)
    for number, line in enumerate(rows):
        row = table.add_row()
        row.height, row.height_rule = Cm(0.8), WD_ROW_HEIGHT_RULE.AT_LEAST  # room to read, and to write in
        row._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader" if number == 0 else "w:cantSplit"))
        for index, (cell, text) in enumerate(zip(row.cells, line.split("\t"), strict=True)):
            cell.width = Cm(AREA_WIDTHS_CM[index])
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            paragraph = cell.paragraphs[0]
            left = index == 0 and number > 0
            paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT if left else WD_ALIGN_PARAGRAPH.CENTER
            _runs(paragraph, text, H1_FONT if number == 0 else BODY_FONT, 14)


# style -> (font, size, alignment, first-line indent in pt, exact line spacing in pt)
_LOOK = {
    TITLE: (TITLE_FONT, 22, WD_ALIGN_PARAGRAPH.CENTER, 0, 36),
    H1: (H1_FONT, 16, WD_ALIGN_PARAGRAPH.JUSTIFY, 32, 29),
    H2: (H2_FONT, 16, WD_ALIGN_PARAGRAPH.JUSTIFY, 32, 29),
    BODY: (BODY_FONT, 16, WD_ALIGN_PARAGRAPH.JUSTIFY, 32, 29),
    FILL: (BODY_FONT, 16, WD_ALIGN_PARAGRAPH.JUSTIFY, 32, 29),
    SIGN: (BODY_FONT, 16, WD_ALIGN_PARAGRAPH.RIGHT, 0, 29),
}


def _paragraph(document, style: str, text: str, previous: str | None) -> None:
    font, size, align, indent, spacing = _LOOK[style]
    paragraph = document.add_paragraph()
    paragraph.alignment = align
    fmt = paragraph.paragraph_format
    fmt.first_line_indent, fmt.line_spacing = Pt(indent), Pt(spacing)
    fmt.space_before, fmt.space_after = Pt(0), Pt(0)
    # A heading stranded at the foot of a page reads as the end of a section: keep it with its text.
    fmt.keep_with_next = style in (TITLE, H1, H2) or None
    if style == TITLE:
        fmt.space_after = Pt(29)  # one empty line under the title, as in the county's documents
    elif style == SIGN:
        fmt.right_indent = Pt(64)  # the signature sits four characters in from the right edge
        if previous not in (SIGN, None):
            fmt.space_before, fmt.keep_with_next = Pt(58), True
            # A signature alone on the last page is not allowed: take the closing paragraph along.
            document.paragraphs[-2].paragraph_format.keep_with_next = True
    elif previous == TABLE:
        fmt.space_before = Pt(8)  # keep the text off the table's bottom border
    _runs(paragraph, text, font, size)


def render_docx(paragraphs: Paragraphs, title: str, author: str) -> bytes:
    """Any (style, text) list as an A4 Word document in official-document styling."""
    document = Document()
    _setup(document, title, author)
    previous = None
    for style, group in groupby(paragraphs, key=itemgetter(0)):
        texts = [text for _style, text in group]
        if style == TABLE:
            if document.paragraphs:
                document.paragraphs[-1].paragraph_format.space_after = Pt(8)
            _table(document, texts)
        else:
            for text in texts:
                _paragraph(document, style, text, previous)
                previous = style
        previous = style
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def progress_report_docx(f: ReportFigures) -> bytes:
    """The 推进情况报告 as an editable Word file (see ``progress_report_text`` for the content)."""
    return render_docx(progress_report_text(f), f"关于{f.campaign}推进情况的报告", f.office)


def annual_report_docx(f: ReportFigures) -> bytes:
    """The draft 年度法治政府建设情况报告 as an editable Word file, blanks highlighted for the office."""
    return render_docx(annual_report_text(f), f"{f.county}人民政府关于{f.year}年法治政府建设情况的报告", f.office)
