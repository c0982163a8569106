"""Excel exports in the layouts the importers read, so a download can be edited and re-imported."""

import tablib
from import_export import fields, resources

from indicators.models import Assignment, Campaign, Framework, Indicator

LEVEL_LABELS = {"1": "1", "2": "2", "3": "3", "bonus": "附加"}


class IndicatorResource(resources.ModelResource):
    """The long layout of DESIGN.md §5.1: one row per node."""

    level = fields.Field(column_name="层级")
    code = fields.Field(attribute="code", column_name="编号")
    parent_code = fields.Field(attribute="parent__code", column_name="上级编号")
    title = fields.Field(attribute="title", column_name="名称")
    requirement = fields.Field(attribute="requirement", column_name="测评要点")
    methods = fields.Field(column_name="测评方式")
    points = fields.Field(column_name="分值")
    guidance = fields.Field(attribute="guidance", column_name="释义")
    evidence = fields.Field(column_name="佐证材料要求")

    class Meta:
        model = Indicator
        fields = ("level", "code", "parent_code", "title", "requirement", "methods", "points", "guidance", "evidence")
        export_order = fields

    def dehydrate_level(self, node: Indicator) -> str:
        return LEVEL_LABELS[node.level]

    def dehydrate_methods(self, node: Indicator) -> str:
        return "、".join(m.name for m in node.evaluation_methods.all())

    def dehydrate_points(self, node: Indicator):
        return "" if node.points is None else float(node.points)

    def dehydrate_evidence(self, node: Indicator) -> str:
        return "；".join(node.required_evidence or [])


def indicator_dataset(framework: Framework) -> tablib.Dataset:
    nodes = (
        Indicator.objects.filter(framework=framework)
        .select_related("parent")
        .prefetch_related("evaluation_methods")
        .order_by("sort_key")
    )
    return IndicatorResource().export(queryset=nodes)


def responsibility_list_dataset(*, user, campaign: Campaign) -> tablib.Dataset:
    """The 责任清单 layout: one row per indicator and due date, units by full name."""
    data = tablib.Dataset(headers=["指标编号", "指标名称", "牵头单位", "配合单位", "完成时限"])
    assignments = (
        Assignment.objects.for_user(user)
        .filter(campaign=campaign)
        .select_related("indicator", "unit")
        .order_by("indicator__sort_key", "role", "unit__order")
    )
    grouped: dict[tuple, dict] = {}
    for a in assignments:
        key = (a.indicator.sort_key, a.due_date or "")
        row = grouped.setdefault(key, {"indicator": a.indicator, "due": a.due_date, "lead": [], "co": []})
        row["lead" if a.role == Assignment.Role.LEAD else "co"].append(a.unit.name)
    for key in sorted(grouped, key=lambda k: (k[0], str(k[1]))):
        row = grouped[key]
        data.append(
            [
                row["indicator"].code,
                row["indicator"].title,
                "、".join(row["lead"]),
                "、".join(row["co"]),
                row["due"].isoformat() if row["due"] else "",
            ]
        )
    return data
