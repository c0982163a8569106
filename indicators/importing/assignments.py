"""Importing a responsibility list (指标编号, 牵头单位, 配合单位, 完成时限) — all or nothing."""

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from indicators.importing.framework import code_key
from indicators.models import Assignment, Campaign, Indicator
from luhsan_portal.audit import audit_record
from luhsan_portal.imports import ImportResult
from luhsan_portal.spreadsheets import SpreadsheetError, parse_date, read_tables, split_list
from units.selectors import UnitResolver

ASSIGNMENT_COLUMNS = {"指标编号", "牵头单位"}
BONUS_PREFIXES = ("附加指标", "附加", "附")


def _indicator_index(campaign: Campaign) -> tuple[dict[str, Indicator], dict[str, Indicator], dict[str, Indicator]]:
    level3: dict[str, Indicator] = {}
    bonus: dict[str, Indicator] = {}
    other: dict[str, Indicator] = {}
    for ind in Indicator.objects.filter(framework_id=campaign.framework_id).only("id", "code", "level", "title"):
        target = level3 if ind.level == "3" else bonus if ind.level == "bonus" else other
        target[code_key(ind.code)] = ind
    return level3, bonus, other


def _bare(key: str) -> str:
    """A bonus code without its 附/附加/附加指标 prefix: 附加1, 附1 and 附加指标1 all mean the same."""
    for prefix in BONUS_PREFIXES:
        if key.startswith(prefix):
            return code_key(key[len(prefix) :])
    return key


def _resolve_indicator(text: str, level3, bonus, other) -> Indicator | None:
    key = code_key(text)
    if key in level3:
        return level3[key]
    if key in bonus:
        return bonus[key]
    if key != _bare(key):
        bare = {_bare(code): ind for code, ind in bonus.items()}
        return bare.get(_bare(key))
    return None


def assignments_import(*, data: bytes, campaign: Campaign, actor=None, dry_run: bool = False) -> ImportResult:
    """Create or update the campaign's assignments. Assignments not in the file are kept as they are."""
    result = ImportResult(target_id=campaign.pk)
    try:
        tables = read_tables(data, layouts=[ASSIGNMENT_COLUMNS])
    except SpreadsheetError as exc:
        result.error(None, str(exc))
        return result

    resolver = UnitResolver(campaign.county)
    level3, bonus, other = _indicator_index(campaign)
    # (indicator id, unit id) -> (role, due date, row number) as the file states it.
    wanted: dict[tuple[int, int], tuple[str, dt.date | None, int]] = {}
    labels: dict[tuple[int, int], str] = {}
    has_lead: set[int] = set()
    first_row: dict[int, tuple[int, str, str]] = {}

    for table in tables:
        for row in table.rows:
            code = row.text("指标编号")
            if not code:
                result.error(row.number, _("指标编号为空。"), row.sheet)
                continue
            indicator = _resolve_indicator(code, level3, bonus, other)
            if indicator is None:
                if code_key(code) in other:
                    message = _("编号“%(code)s”是一级或二级指标；责任只能分解到三级指标或附加指标。")
                else:
                    message = _("指标编号“%(code)s”在指标体系“%(framework)s”中不存在。")
                result.error(row.number, message % {"code": code, "framework": campaign.framework.name}, row.sheet)
                continue
            try:
                due = parse_date(row.values.get("完成时限"))
            except ValueError as exc:
                result.error(row.number, _("完成时限：%(error)s。") % {"error": exc}, row.sheet)
                due = None
            leads = split_list(row.values.get("牵头单位"))
            if leads:
                has_lead.add(indicator.pk)
            first_row.setdefault(indicator.pk, (row.number, row.sheet, indicator.code))
            names = [(n, Assignment.Role.LEAD) for n in leads] + [
                (n, Assignment.Role.CO) for n in split_list(row.values.get("配合单位"))
            ]
            for name, role in names:
                unit = resolver.resolve(name)
                if unit is None:
                    result.error(row.number, resolver.unknown_message(name), row.sheet)
                    continue
                key = (indicator.pk, unit.pk)
                if key in wanted:
                    result.error(
                        row.number,
                        _("单位“%(unit)s”在指标“%(code)s”上重复出现（另见第%(other)d行）。")
                        % {"unit": unit.name, "code": indicator.code, "other": wanted[key][2]},
                        row.sheet,
                    )
                    continue
                wanted[key] = (role, due, row.number)
                labels[key] = f"{indicator.code} · {unit.display_name}"
    # An indicator may span several rows (e.g. one per due date); one of them must name its lead.
    for indicator_id, (number, sheet, code) in first_row.items():
        if indicator_id not in has_lead:
            result.error(number, _("指标“%(code)s”没有牵头单位。") % {"code": code}, sheet)
    if result.errors:
        return result

    existing = {(a.indicator_id, a.unit_id): a for a in Assignment.objects.filter(campaign=campaign)}
    to_create: list[Assignment] = []
    to_update: list[Assignment] = []
    role_names = dict(Assignment.Role.choices)
    for key, (role, due, _row) in wanted.items():
        detail = f"{role_names[role]}" + (f" · {due:%Y-%m-%d}" if due else "")
        current = existing.pop(key, None)
        if current is None:
            to_create.append(
                Assignment(campaign=campaign, indicator_id=key[0], unit_id=key[1], role=role, due_date=due)
            )
            result.note("create", labels[key], detail)
        elif current.role != role or current.due_date != due:
            current.role, current.due_date, current.updated_at = role, due, timezone.now()
            to_update.append(current)
            result.note("update", labels[key], detail)
        else:
            result.note("same", labels[key])
    result.kept = len(existing)
    if dry_run:
        return result

    with transaction.atomic():
        Assignment.objects.bulk_create(to_create)
        Assignment.objects.bulk_update(to_update, ["role", "due_date", "updated_at"])
        audit_record(
            actor=actor,
            verb="assignments.import",
            target=campaign,
            changes={"created": (None, result.created), "updated": (None, result.updated)},
        )
        from reports.services import progress_recompute_on_commit

        progress_recompute_on_commit(campaign.pk)
    result.applied = True
    return result
