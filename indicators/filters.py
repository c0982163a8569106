"""FilterSets for indicators and assignments, used by the pages and the API alike."""

import django_filters
from django.utils.translation import gettext_lazy as _

from indicators.models import Assignment, Campaign, Framework, Indicator
from indicators.querysets import AssignmentStatus
from units.models import Unit, UnitKind


class IndicatorFilterSet(django_filters.FilterSet):
    framework = django_filters.ModelChoiceFilter(label=_("指标体系"), queryset=Framework.objects.all())
    level = django_filters.ChoiceFilter(label=_("层级"), choices=Indicator.Level.choices)

    class Meta:
        model = Indicator
        fields = ["framework", "level"]


class CampaignFilterSet(django_filters.FilterSet):
    class Meta:
        model = Campaign
        fields: list[str] = []


class AssignmentFilterSet(django_filters.FilterSet):
    """Expects a queryset annotated by ``with_status()`` (status and overdue are annotations)."""

    campaign = django_filters.ModelChoiceFilter(label=_("创建活动"), queryset=Campaign.objects.all())
    unit = django_filters.ModelChoiceFilter(label=_("单位"), queryset=Unit.objects.all())
    indicator = django_filters.ModelChoiceFilter(label=_("指标"), queryset=Indicator.objects.assessable())
    area = django_filters.ModelChoiceFilter(
        label=_("一级指标"), field_name="indicator__area", queryset=Indicator.objects.filter(level="1")
    )
    role = django_filters.ChoiceFilter(label=_("责任"), choices=Assignment.Role.choices)
    status = django_filters.ChoiceFilter(label=_("状态"), choices=AssignmentStatus.choices)
    overdue = django_filters.BooleanFilter(label=_("逾期"))
    done = django_filters.BooleanFilter(label=_("已完成（已通过或不适用）"), method="filter_done")
    kind = django_filters.ModelChoiceFilter(
        label=_("单位类型"), field_name="unit__kind", queryset=UnitKind.objects.all(), to_field_name="code"
    )

    class Meta:
        model = Assignment
        fields = ["campaign", "unit", "indicator", "area", "role", "status", "overdue", "done", "kind"]

    def filter_done(self, queryset, name, value):
        done = [AssignmentStatus.APPROVED, AssignmentStatus.WAIVED]
        return queryset.filter(status__in=done) if value else queryset.exclude(status__in=done)

    def limit_to(self, campaign, user) -> "AssignmentFilterSet":
        """Offer only the campaign's units (those the user may see) and indicators in the drop-downs."""
        fields = self.form.fields
        fields["unit"].queryset = Unit.objects.for_user(user).filter(county_id=campaign.county_id).order_by("order")
        indicators = Indicator.objects.filter(framework_id=campaign.framework_id).order_by("sort_key")
        fields["indicator"].queryset = indicators.assessable()
        fields["area"].queryset = indicators.filter(level="1")
        return self
