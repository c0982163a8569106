"""Importing an indicator framework from either layout of DESIGN.md §5.1 — all or nothing.

*Long layout*: one row per node (层级, 编号, 上级编号, 名称, …).
*Official table layout*: one row per level-3 indicator (一级指标, 二级指标, 序号, 三级指标, …)
with level-1/level-2 cells merged vertically or left blank below their first row.
Both are parsed into ``NodeSpec`` rows, validated together, then upserted by (level, code).
"""

import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from indicators.models import EvaluationMethod, Framework, Indicator
from luhsan_portal.audit import audit_record
from luhsan_portal.imports import ImportResult
from luhsan_portal.spreadsheets import (
    Row,
    SpreadsheetError,
    Table,
    normalize_name,
    parse_decimal,
    read_tables,
    split_list,
)

LONG_LAYOUT = {"层级", "编号", "名称"}
OFFICIAL_LAYOUT = {"一级指标", "二级指标", "三级指标"}
BONUS_LABELS = {"附加指标", "附加项", "加分项", "附加"}
LEVELS = {"1": "1", "一": "1", "一级": "1", "2": "2", "二": "2", "二级": "2", "3": "3", "三": "3", "三级": "3"}
LEVEL_NAMES = dict(Indicator.Level.choices)
CN_NUMERALS = "一二三四五六七八九十"

# 一、 / （一） / (一) / 1. / 1、 / 1．/ 第一部分 at the start of a merged level-1/level-2 cell.
_PREFIX = re.compile(
    r"^\s*(?P<code>[一二三四五六七八九十百]+\s*[、.．]|[（(]\s*[一二三四五六七八九十百\d]+\s*[)）]|\d+\s*[、.．]"
    r"(?!\d))\s*(?P<title>.*)$",
    re.S,
)


@dataclass
class NodeSpec:
    level: str
    code: str
    title: str
    row: Row
    parent_code: str = ""
    requirement: str = ""
    methods: list[str] = field(default_factory=list)
    points: Decimal | None = None
    guidance: str = ""
    evidence: list[str] = field(default_factory=list)
    sort_key: str = ""
    parent: "NodeSpec | None" = None


def code_key(code: str) -> str:
    """Codes compared loosely: ``一、`` = ``一`` and ``1.`` = ``1``, but the display keeps the original."""
    return normalize_name(code).strip("、.．()（）")


def _chinese_numeral(n: int) -> str:
    if n <= 10:
        return CN_NUMERALS[n - 1]
    tens, ones = divmod(n, 10)
    return (CN_NUMERALS[tens - 1] if tens > 1 else "") + "十" + (CN_NUMERALS[ones - 1] if ones else "")


def _split_prefixed(text: str) -> tuple[str, str]:
    match = _PREFIX.match(text)
    if match and match["title"].strip():
        return re.sub(r"\s+", "", match["code"]).replace(".", ".").replace("．", "."), match["title"].strip()
    return "", text.strip()


def _common_fields(spec: NodeSpec, row: Row, result: ImportResult) -> None:
    spec.requirement = row.text("测评要点")
    spec.methods = split_list(row.values.get("测评方式"))
    spec.guidance = row.text("释义") or row.text("注解")
    spec.evidence = split_list(row.values.get("佐证材料要求") or row.values.get("佐证材料"))
    try:
        spec.points = parse_decimal(row.values.get("分值"))
    except ValueError as exc:
        result.error(row.number, _("分值：%(error)s。") % {"error": exc}, row.sheet)


def _parse_long(table: Table, result: ImportResult) -> list[NodeSpec]:
    specs = []
    for row in table.rows:
        level_text = normalize_name(row.text("层级")).removesuffix("指标")
        level = "bonus" if level_text in {normalize_name(b) for b in BONUS_LABELS} else LEVELS.get(level_text)
        code, title = row.text("编号"), row.text("名称")
        if level is None:
            result.error(
                row.number, _("层级“%(value)s”无效，应为 1、2、3 或 附加。") % {"value": row.text("层级")}, row.sheet
            )
            continue
        if not code:
            result.error(row.number, _("编号为空。"), row.sheet)
            continue
        if not title:
            result.error(row.number, _("名称为空。"), row.sheet)
            continue
        spec = NodeSpec(level=level, code=code, title=title, row=row, parent_code=row.text("上级编号"))
        _common_fields(spec, row, result)
        specs.append(spec)
    # Parents are named by code; level 2 points at a level-1 code, level 3 at a level-2 code.
    by_level: dict[str, dict[str, NodeSpec]] = {"1": {}, "2": {}}
    for spec in specs:
        if spec.level in by_level:
            by_level[spec.level].setdefault(code_key(spec.code), spec)
    for spec in specs:
        if spec.level in ("1", "bonus"):
            if spec.parent_code and spec.level == "1":
                result.error(spec.row.number, _("一级指标不应填写上级编号。"), spec.row.sheet)
            continue
        parent_level = str(int(spec.level) - 1)
        if not spec.parent_code:
            result.error(
                spec.row.number,
                _("%(level)s“%(code)s”缺少上级编号。") % {"level": LEVEL_NAMES[spec.level], "code": spec.code},
                spec.row.sheet,
            )
            continue
        spec.parent = by_level[parent_level].get(code_key(spec.parent_code))
        if spec.parent is None:
            result.error(
                spec.row.number,
                _("%(level)s“%(code)s”的上级编号“%(parent)s”不是文件中的%(parent_level)s。")
                % {
                    "level": LEVEL_NAMES[spec.level],
                    "code": spec.code,
                    "parent": spec.parent_code,
                    "parent_level": LEVEL_NAMES[parent_level],
                },
                spec.row.sheet,
            )
    return specs


def _parse_official(table: Table, result: ImportResult) -> list[NodeSpec]:
    specs: list[NodeSpec] = []
    areas: dict[str, NodeSpec] = {}
    items: dict[tuple[str, str], NodeSpec] = {}
    area: NodeSpec | None = None
    item: NodeSpec | None = None
    bonus_sheet = normalize_name(table.sheet) in BONUS_LABELS
    for row in table.rows:
        l1_text, l2_text = row.text("一级指标"), row.text("二级指标")
        number, l3_text = row.text("序号") or row.text("编号"), row.text("三级指标")
        is_bonus = (
            bonus_sheet
            or normalize_name(l1_text) in BONUS_LABELS
            or (not l1_text and area is not None and area.level == "bonus")
        )
        if is_bonus:
            if l1_text or bonus_sheet:
                area = NodeSpec(level="bonus", code="", title="", row=row)  # a marker, never saved
            title = l3_text or l2_text
            if not number or not title:
                result.error(row.number, _("附加指标需要填写序号和指标内容。"), row.sheet)
                continue
            spec = NodeSpec(level="bonus", code=number, title=title, row=row)
            _common_fields(spec, row, result)
            specs.append(spec)
            continue
        if l1_text:
            code, title = _split_prefixed(l1_text)
            key = normalize_name(title)
            if key not in areas:
                areas[key] = NodeSpec(
                    level="1", code=code or f"{_chinese_numeral(len(areas) + 1)}、", title=title, row=row
                )
                specs.append(areas[key])
            area, item = areas[key], None
        if area is None or area.level == "bonus":
            result.error(row.number, _("一级指标为空，且上方没有可以沿用的一级指标。"), row.sheet)
            continue
        if l2_text:
            code, title = _split_prefixed(l2_text)
            key = (normalize_name(area.title), normalize_name(title))
            if key not in items:
                n_items = sum(1 for s in specs if s.level == "2") + 1
                items[key] = NodeSpec(level="2", code=code or f"{n_items}.", title=title, row=row, parent=area)
                specs.append(items[key])
            item = items[key]
        if item is None:
            result.error(row.number, _("二级指标为空，且上方没有可以沿用的二级指标。"), row.sheet)
            continue
        if not l3_text:
            result.error(row.number, _("三级指标内容为空。"), row.sheet)
            continue
        if not number:
            result.error(row.number, _("三级指标“%(title)s”缺少序号。") % {"title": l3_text[:20]}, row.sheet)
            continue
        spec = NodeSpec(level="3", code=number, title=l3_text, row=row, parent=item)
        _common_fields(spec, row, result)
        specs.append(spec)
    return specs


def _validate(specs: list[NodeSpec], methods: dict[str, EvaluationMethod], result: ImportResult) -> None:
    seen: dict[tuple[str, str], NodeSpec] = {}
    for spec in specs:
        key = (spec.level, code_key(spec.code))
        if key in seen:
            result.error(
                spec.row.number,
                _("%(level)s编号“%(code)s”与第%(other)d行重复。")
                % {"level": LEVEL_NAMES[spec.level], "code": spec.code, "other": seen[key].row.number},
                spec.row.sheet,
            )
        seen.setdefault(key, spec)
        unknown = [m for m in spec.methods if normalize_name(m) not in methods]
        if unknown:
            result.error(
                spec.row.number,
                _("测评方式“%(unknown)s”无效，可选：%(allowed)s。")
                % {"unknown": "、".join(unknown), "allowed": "、".join(m.name for m in methods.values())},
                spec.row.sheet,
            )
        if len(spec.title) > 500:
            result.error(spec.row.number, _("名称超过 500 字。"), spec.row.sheet)
    if not any(s.level in ("3", "bonus") for s in specs) and not result.errors:
        result.error(None, _("文件中没有三级指标或附加指标。"))


def _assign_sort_keys(specs: list[NodeSpec]) -> None:
    counters: dict[int | None, int] = {}
    bonus = 0
    for spec in specs:
        if spec.level == "bonus":
            bonus += 1
            spec.sort_key = f"999.{bonus:03d}"
            continue
        parent_id = id(spec.parent) if spec.parent else None
        counters[parent_id] = counters.get(parent_id, 0) + 1
        prefix = f"{spec.parent.sort_key}." if spec.parent else ""
        spec.sort_key = f"{prefix}{counters[parent_id]:03d}"


def _parse(data: bytes, result: ImportResult) -> list[NodeSpec]:
    try:
        tables = read_tables(data, layouts=[LONG_LAYOUT, OFFICIAL_LAYOUT])
    except SpreadsheetError as exc:
        result.error(None, str(exc))
        return []
    specs: list[NodeSpec] = []
    for table in tables:
        parser = _parse_long if set(table.columns) >= LONG_LAYOUT else _parse_official
        specs.extend(parser(table, result))
    return specs


def _tree_order(specs: list[NodeSpec]) -> list[NodeSpec]:
    """Nodes in pre-order (each parent followed by its children), bonus last."""
    children: dict[int | None, list[NodeSpec]] = {}
    for spec in specs:
        if spec.level != "bonus":
            children.setdefault(id(spec.parent) if spec.parent else None, []).append(spec)
    ordered: list[NodeSpec] = []

    def walk(parent_id):
        for child in children.get(parent_id, []):
            ordered.append(child)
            walk(id(child))

    walk(None)
    return ordered + [s for s in specs if s.level == "bonus"]


_FIELDS = ["title", "requirement", "points", "guidance", "required_evidence", "sort_key"]


def framework_import(*, data: bytes, framework_name: str, actor=None, dry_run: bool = False) -> ImportResult:
    """Create the framework if needed and upsert its nodes; re-importing the same file changes nothing."""
    result = ImportResult()
    EvaluationMethod.objects.ensure_defaults()
    methods = {normalize_name(m.name): m for m in EvaluationMethod.objects.all()}
    specs = _parse(data, result)
    if specs:
        _validate(specs, methods, result)
    if result.errors:
        return result
    specs = _tree_order(specs)
    _assign_sort_keys(specs)

    framework = Framework.objects.filter(name=framework_name).first()
    existing: dict[tuple[str, str], Indicator] = {}
    existing_methods: dict[int, set[int]] = {}
    if framework is not None:
        result.target_id = framework.pk
        nodes = Indicator.objects.filter(framework=framework).prefetch_related("evaluation_methods")
        for node in nodes:
            existing[(node.level, code_key(node.code))] = node
            existing_methods[node.pk] = {m.pk for m in node.evaluation_methods.all()}

    plan: list[tuple[NodeSpec, Indicator, str, set[int]]] = []
    for spec in specs:
        node = existing.pop((spec.level, code_key(spec.code)), None)
        wanted = {
            "title": spec.title,
            "requirement": spec.requirement,
            "points": spec.points,
            "guidance": spec.guidance,
            "required_evidence": spec.evidence,
            "sort_key": spec.sort_key,
        }
        method_ids = {methods[normalize_name(m)].pk for m in spec.methods}
        if node is None:
            node = Indicator(level=spec.level, code=spec.code, **wanted)
            action = "create"
        else:
            changed = [f for f, v in wanted.items() if getattr(node, f) != v]
            parent_changed = (node.parent_id is not None) != (spec.parent is not None)
            method_changed = existing_methods.get(node.pk, set()) != method_ids
            action = "update" if changed or method_changed or parent_changed else "same"
            for f, v in wanted.items():
                setattr(node, f, v)
        plan.append((spec, node, action, method_ids))
        result.note(action, f"{LEVEL_NAMES[spec.level]} {spec.code}", spec.title[:60])
    result.kept = len(existing)
    if dry_run:
        return result

    with transaction.atomic():
        if framework is None:
            framework = Framework.objects.create(name=framework_name)
            result.target_id = framework.pk
        nodes_by_spec: dict[int, Indicator] = {}
        now = timezone.now()
        # Parents first, so children can point at saved rows; one INSERT and at most one UPDATE per level.
        for level in ("1", "2", "3", "bonus"):
            level_plan = [p for p in plan if p[0].level == level]
            dirty = []
            for spec, node, action, _m in level_plan:
                before = (node.parent_id, node.area_id)
                parent = nodes_by_spec.get(id(spec.parent)) if spec.parent else None
                node.framework, node.parent = framework, parent
                node.area = parent if level == "2" else (parent.area if level == "3" else None)
                if level == "1" and node.pk:
                    node.area = node
                nodes_by_spec[id(spec)] = node
                if action == "update" or (action == "same" and (node.parent_id, node.area_id) != before):
                    node.updated_at = now
                    dirty.append(node)
            created = Indicator.objects.bulk_create([n for _s, n, a, _m in level_plan if a == "create"])
            if level == "1" and created:
                # A level-1 node is its own area; the id exists only after the INSERT.
                for node in created:
                    node.area = node
                dirty += created
            Indicator.objects.bulk_update(dirty, [*_FIELDS, "parent", "area", "updated_at"])
        through = Indicator.evaluation_methods.through
        touched = [n.pk for _s, n, a, _m in plan if a != "same"]
        through.objects.filter(indicator_id__in=touched).delete()
        through.objects.bulk_create(
            [through(indicator_id=n.pk, evaluationmethod_id=m) for _s, n, a, ids in plan if a != "same" for m in ids]
        )
        audit_record(
            actor=actor,
            verb="framework.import",
            target=framework,
            changes={"created": (None, result.created), "updated": (None, result.updated)},
        )
    result.applied = True
    return result
