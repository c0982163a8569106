from django.contrib import admin
from import_export.admin import ExportMixin

from units.models import County, Unit, UnitContact, UnitKind
from units.resources import UnitResource


class UnitContactInline(admin.TabularInline):
    model = UnitContact
    extra = 0


@admin.register(Unit)
class UnitAdmin(ExportMixin, admin.ModelAdmin):
    resource_classes = [UnitResource]
    list_display = ("name", "short_name", "kind", "county", "order", "active")
    list_filter = ("county", "kind", "active")
    list_select_related = ("kind", "county")
    search_fields = ("name", "short_name", "aliases")
    inlines = [UnitContactInline]

    def has_delete_permission(self, request, obj=None):
        # Units are deactivated, not deleted, once anything refers to them (PROTECT also enforces it).
        return obj is not None and not obj.assignments.exists() and super().has_delete_permission(request, obj)


@admin.register(County)
class CountyAdmin(admin.ModelAdmin):
    list_display = ("name", "short_name")


@admin.register(UnitKind)
class UnitKindAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "order", "is_township")
