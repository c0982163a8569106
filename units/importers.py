"""Importing a unit roster (单位名称, 简称, 类型, 排序, 别名) — all or nothing."""

from django.db import transaction
from django.utils.translation import gettext as _

from luhsan_portal.audit import audit_record
from luhsan_portal.imports import ImportResult
from luhsan_portal.spreadsheets import SpreadsheetError, normalize_name, read_tables, split_list
from units.models import County, Unit, UnitKind

UNIT_COLUMNS = {"单位名称", "类型"}


def _kind_index() -> dict[str, UnitKind]:
    UnitKind.objects.ensure_defaults()
    index: dict[str, UnitKind] = {}
    for kind in UnitKind.objects.all():
        index[normalize_name(kind.name)] = kind
        index[kind.code] = kind
    # What people write for the common kinds.
    for alias, code in (
        ("县直部门", "county_department"),
        ("县直", "county_department"),
        ("乡", "township"),
        ("镇", "township"),
        ("乡（镇）", "township"),
        ("办事处", "street"),
    ):
        if code in index:
            index.setdefault(normalize_name(alias), index[code])
    return index


def units_import(*, data: bytes, county: County, actor=None, dry_run: bool = False) -> ImportResult:
    """Create or update the county's units from a roster. Units missing from the file are kept."""
    result = ImportResult(target_id=county.pk)
    try:
        tables = read_tables(data, layouts=[UNIT_COLUMNS])
    except SpreadsheetError as exc:
        result.error(None, str(exc))
        return result

    kinds = _kind_index()
    existing = {u.name: u for u in Unit.objects.filter(county=county)}
    taken: dict[str, tuple[str, int]] = {}  # normalised name/short name/alias -> (unit name, row)
    planned: list[tuple[Unit, str]] = []
    seen_names: dict[str, int] = {}

    for table in tables:
        for row in table.rows:
            name = row.text("单位名称")
            short = row.text("简称") or name
            kind_text = row.text("类型")
            if not name:
                result.error(row.number, _("单位名称为空。"), row.sheet)
                continue
            if name in seen_names:
                result.error(
                    row.number,
                    _("单位“%(name)s”与第%(other)d行重复。") % {"name": name, "other": seen_names[name]},
                    row.sheet,
                )
                continue
            seen_names[name] = row.number
            kind = kinds.get(normalize_name(kind_text))
            if kind is None:
                allowed = "、".join(k.name for k in UnitKind.objects.all())
                result.error(
                    row.number,
                    _("类型“%(kind)s”无效，可选：%(allowed)s。")
                    % {"kind": kind_text or _("（空）"), "allowed": allowed},
                    row.sheet,
                )
                continue
            order_text = row.text("排序")
            try:
                order = int(float(order_text)) if order_text else row.number
            except ValueError:
                result.error(row.number, _("排序“%(value)s”不是整数。") % {"value": order_text}, row.sheet)
                continue
            alias_list = [a for a in split_list(row.values.get("别名")) if a not in (name, short)]
            aliases = "、".join(alias_list)
            clash = False
            for label in {name, short, *alias_list}:
                key = normalize_name(label)
                owner = taken.get(key)
                if owner and owner[0] != name:
                    result.error(
                        row.number,
                        _("“%(label)s”已被第%(other)d行的“%(owner)s”使用，名称、简称和别名必须唯一。")
                        % {"label": label, "other": owner[1], "owner": owner[0]},
                        row.sheet,
                    )
                    clash = True
                taken[key] = (name, row.number)
            if clash:
                continue

            unit = existing.get(name)
            fields = {"short_name": short, "kind": kind, "order": order, "aliases": aliases}
            if unit is None:
                unit = Unit(county=county, name=name, active=True, **fields)
                action = "create"
            else:
                changed = [f for f, v in fields.items() if getattr(unit, f) != v]
                action = "update" if changed or not unit.active else "same"
                for f, v in fields.items():
                    setattr(unit, f, v)
                unit.active = True
            planned.append((unit, action))
            result.note(action, name, f"{short} · {kind.name}")

    result.kept = len(set(existing) - set(seen_names))
    if result.errors or dry_run:
        return result
    with transaction.atomic():
        Unit.objects.bulk_create([u for u, a in planned if a == "create"])
        Unit.objects.bulk_update(
            [u for u, a in planned if a == "update"], ["short_name", "kind", "order", "aliases", "active"]
        )
        audit_record(
            actor=actor,
            verb="units.import",
            target=county,
            changes={"created": (None, result.created), "updated": (None, result.updated)},
        )
    result.applied = True
    return result
