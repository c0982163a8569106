"""Read-only API of units (DESIGN.md §5.2)."""

from rest_framework import serializers, viewsets

from units.filters import UnitFilterSet
from units.models import Unit


class UnitSerializer(serializers.ModelSerializer):
    kind = serializers.SlugRelatedField(read_only=True, slug_field="code")
    aliases = serializers.ListField(source="alias_list", child=serializers.CharField(), read_only=True)
    kind_name = serializers.CharField(source="kind.name", read_only=True)

    class Meta:
        model = Unit
        fields = ["id", "county", "name", "short_name", "aliases", "kind", "kind_name", "order", "active"]


class UnitViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = UnitSerializer
    filterset_class = UnitFilterSet

    def get_queryset(self):
        return Unit.objects.for_user(self.request.user).for_list()
