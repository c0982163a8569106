"""The evidence FilterSet, shared by the review queue and the API."""

import datetime as dt

import django_filters
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from evidence.models import Evidence, EvidenceAssignment
from indicators.models import Assignment, Campaign, EvaluationMethod, Indicator
from units.models import Unit

AGE_CHOICES = [("3", _("超过3天")), ("7", _("超过7天")), ("14", _("超过14天")), ("30", _("超过30天"))]


def _serving(**lookup):
    """Submissions serving an assignment that matches ``lookup`` (an EXISTS, so no duplicate rows)."""
    return Exists(EvidenceAssignment.objects.filter(evidence_id=OuterRef("pk"), **lookup))


class EvidenceFilterSet(django_filters.FilterSet):
    campaign = django_filters.ModelChoiceFilter(label=_("创建活动"), queryset=Campaign.objects.all())
    unit = django_filters.ModelChoiceFilter(label=_("单位"), queryset=Unit.objects.all())
    status = django_filters.ChoiceFilter(label=_("状态"), choices=Evidence.Status.choices)
    assignment = django_filters.ModelChoiceFilter(
        label=_("任务"), queryset=Assignment.objects.all(), method="filter_assignment"
    )
    indicator = django_filters.ModelChoiceFilter(
        label=_("指标"), queryset=Indicator.objects.assessable(), method="filter_indicator"
    )
    area = django_filters.ModelChoiceFilter(
        label=_("一级指标"), queryset=Indicator.objects.filter(level="1"), method="filter_area"
    )
    method = django_filters.ModelChoiceFilter(
        label=_("测评方式"), queryset=EvaluationMethod.objects.all(), to_field_name="code", method="filter_method"
    )
    age = django_filters.ChoiceFilter(label=_("提交时长"), choices=AGE_CHOICES, method="filter_age")

    class Meta:
        model = Evidence
        fields = ["campaign", "unit", "status", "assignment", "indicator", "area", "method", "age"]

    def limit_to(self, campaign) -> "EvidenceFilterSet":
        """Offer only the campaign's units and indicators in the filter bar's drop-downs."""
        if campaign is not None:
            fields = self.form.fields
            fields["unit"].queryset = Unit.objects.filter(county_id=campaign.county_id).order_by("order")
            indicators = Indicator.objects.filter(framework_id=campaign.framework_id).order_by("sort_key")
            fields["indicator"].queryset = indicators.assessable()
            fields["area"].queryset = indicators.filter(level="1")
        return self

    @extend_schema_field(OpenApiTypes.INT)
    def filter_assignment(self, queryset, name, value):
        return queryset.filter(_serving(assignment=value))

    @extend_schema_field(OpenApiTypes.INT)
    def filter_indicator(self, queryset, name, value):
        return queryset.filter(_serving(assignment__indicator=value))

    @extend_schema_field(OpenApiTypes.INT)
    def filter_area(self, queryset, name, value):
        return queryset.filter(_serving(assignment__indicator__area=value))

    @extend_schema_field(OpenApiTypes.STR)
    def filter_method(self, queryset, name, value):
        return queryset.filter(_serving(assignment__indicator__evaluation_methods=value))

    def filter_age(self, queryset, name, value):
        return queryset.filter(created_at__lte=timezone.now() - dt.timedelta(days=int(value)))
