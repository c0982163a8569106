from django.contrib import admin

from indicators.models import Campaign, CampaignStage, EvaluationMethod, Framework, ImportJob, Indicator


class CampaignStageInline(admin.TabularInline):
    model = CampaignStage
    extra = 0


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("name", "county", "framework", "start_date", "target_date")
    list_select_related = ("county", "framework")
    inlines = [CampaignStageInline]


@admin.register(Framework)
class FrameworkAdmin(admin.ModelAdmin):
    list_display = ("name", "version", "is_sample")


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ("code", "title", "level", "framework", "points")
    list_filter = ("framework", "level", "evaluation_methods")
    list_select_related = ("framework",)
    search_fields = ("code", "title")
    ordering = ("framework", "sort_key")
    readonly_fields = ("sort_key", "area", "parent", "framework", "level")


@admin.register(EvaluationMethod)
class EvaluationMethodAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "order")


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ("original_name", "kind", "status", "created_by", "created_at")
    list_filter = ("kind", "status")
    list_select_related = ("created_by",)
    readonly_fields = [f.name for f in ImportJob._meta.fields]
