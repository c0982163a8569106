"""The unit FilterSet, used by the unit list page and the API alike."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from units.models import Unit, UnitKind


class UnitFilterSet(django_filters.FilterSet):
    kind = django_filters.ModelChoiceFilter(
        label=_("类型"), queryset=UnitKind.objects.all(), to_field_name="code", empty_label=_("全部类型")
    )
    q = django_filters.CharFilter(label=_("名称"), method="search")
    active = django_filters.BooleanFilter(label=_("启用"))

    class Meta:
        model = Unit
        fields = ["kind", "q", "active"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(short_name__icontains=value) | Q(aliases__icontains=value))
