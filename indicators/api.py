"""Read-only API of campaigns, frameworks, indicators and assignments (DESIGN.md §5.2)."""

from rest_framework import serializers, viewsets

from indicators.filters import AssignmentFilterSet, CampaignFilterSet, IndicatorFilterSet
from indicators.models import Assignment, Campaign, CampaignStage, Framework, Indicator


class CampaignStageSerializer(serializers.ModelSerializer):
    class Meta:
        model = CampaignStage
        fields = ["name", "start_date", "end_date"]


class CampaignSerializer(serializers.ModelSerializer):
    stages = CampaignStageSerializer(many=True, read_only=True)

    class Meta:
        model = Campaign
        fields = ["id", "name", "county", "level", "framework", "start_date", "target_date", "office_name", "stages"]


class FrameworkSerializer(serializers.ModelSerializer):
    class Meta:
        model = Framework
        fields = ["id", "name", "version", "is_sample"]


class IndicatorSerializer(serializers.ModelSerializer):
    evaluation_methods = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")
    points = serializers.DecimalField(max_digits=6, decimal_places=2, coerce_to_string=False, allow_null=True)

    class Meta:
        model = Indicator
        fields = [
            "id",
            "framework",
            "code",
            "level",
            "parent",
            "area",
            "title",
            "requirement",
            "evaluation_methods",
            "points",
            "guidance",
            "required_evidence",
            "sort_key",
        ]


class AssignmentSerializer(serializers.ModelSerializer):
    status = serializers.CharField(read_only=True)
    overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = Assignment
        fields = [
            "id",
            "campaign",
            "indicator",
            "unit",
            "role",
            "due_date",
            "status",
            "overdue",
            "waived_at",
            "waive_reason",
        ]


class CampaignViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = CampaignSerializer
    filterset_class = CampaignFilterSet

    def get_queryset(self):
        return Campaign.objects.for_user(self.request.user).prefetch_related("stages").order_by("id")


class FrameworkViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = FrameworkSerializer

    def get_queryset(self):
        return Framework.objects.all() if self.request.user.is_authenticated else Framework.objects.none()


class IndicatorViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = IndicatorSerializer
    filterset_class = IndicatorFilterSet

    def get_queryset(self):
        return (
            Indicator.objects.for_user(self.request.user)
            .prefetch_related("evaluation_methods")
            .order_by("framework_id", "sort_key")
        )


class AssignmentViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = AssignmentSerializer
    filterset_class = AssignmentFilterSet

    def get_queryset(self):
        return Assignment.objects.for_user(self.request.user).for_api_list()
