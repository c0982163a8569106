"""Excel exports of the unit roster in the same layout the importer reads (django-import-export)."""

from import_export import fields, resources

from units.models import Unit


class UnitResource(resources.ModelResource):
    name = fields.Field(attribute="name", column_name="单位名称")
    short_name = fields.Field(attribute="short_name", column_name="简称")
    kind = fields.Field(attribute="kind__name", column_name="类型")
    order = fields.Field(attribute="order", column_name="排序")
    aliases = fields.Field(attribute="aliases", column_name="别名")
    active = fields.Field(column_name="状态")

    class Meta:
        model = Unit
        fields = ("name", "short_name", "kind", "order", "aliases", "active")
        export_order = ("name", "short_name", "kind", "order", "aliases", "active")

    def dehydrate_active(self, unit: Unit) -> str:
        return "启用" if unit.active else "停用"


def unit_dataset(units):
    """The roster as a tablib Dataset; ``units`` should have ``kind`` selected."""
    return UnitResource().export(queryset=units.select_related("kind"))
