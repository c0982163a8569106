"""The audit trail in the admin: browsable and searchable, never editable."""

from django.contrib import admin

from luhsan_portal.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "actor", "verb", "target_repr", "unit", "reason")
    list_filter = ("verb", "target_type")
    list_select_related = ("actor", "unit", "target_type")
    search_fields = ("target_repr", "reason", "actor__username", "actor__name")
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
