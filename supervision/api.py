"""Supervision API (DESIGN.md §5.2): rounds, groups, visits, findings, rectifications and the
rectification commands respond, close, reject, reopen, extend and extension/decide."""

import django_filters
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from evidence.models import Evidence
from luhsan_portal.access import Action
from supervision import services
from supervision.models import Finding, InspectionGroup, Rectification, SupervisionRound, Visit

# ---------------------------------------------------------------------------
# Serializers
# ---------------------------------------------------------------------------


class RoundSerializer(serializers.ModelSerializer):
    class Meta:
        model = SupervisionRound
        fields = ["id", "campaign", "title", "start_date", "end_date", "bodies", "notes"]


class GroupSerializer(serializers.ModelSerializer):
    members = serializers.SerializerMethodField()
    units = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = InspectionGroup
        fields = ["id", "round", "name", "leader", "members", "units"]

    def get_members(self, group) -> list[int]:
        return [m.user_id for m in group.memberships.all() if m.left_at is None]


class VisitSerializer(serializers.ModelSerializer):
    evidence_checked = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Visit
        fields = [
            "id",
            "group",
            "unit",
            "date",
            "interviewed",
            "materials_checked",
            "evidence_checked",
            "places_inspected",
            "notes",
            "created_by",
            "created_at",
        ]


class FindingSerializer(serializers.ModelSerializer):
    indicators = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    rectification = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Finding
        fields = [
            "id",
            "round",
            "visit",
            "unit",
            "indicators",
            "description",
            "category",
            "severity",
            "rectification",
            "created_by",
            "created_at",
        ]


class RectificationSerializer(serializers.ModelSerializer):
    overdue = serializers.BooleanField(read_only=True)
    round = serializers.IntegerField(source="finding.round_id", read_only=True)
    response_evidence = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Rectification
        fields = [
            "id",
            "finding",
            "round",
            "unit",
            "requirement",
            "deadline",
            "original_deadline",
            "status",
            "overdue",
            "response",
            "response_evidence",
            "responded_at",
            "checked_at",
            "check_reason",
            "closed_at",
        ]


# ---------------------------------------------------------------------------
# Filters
# ---------------------------------------------------------------------------


class RoundFilterSet(django_filters.FilterSet):
    class Meta:
        model = SupervisionRound
        fields = ["campaign"]


class FindingFilterSet(django_filters.FilterSet):
    class Meta:
        model = Finding
        fields = ["round", "unit"]


class RectificationFilterSet(django_filters.FilterSet):
    round = django_filters.NumberFilter(field_name="finding__round", label=_("督导轮次"))
    overdue = django_filters.BooleanFilter(label=_("逾期"))

    class Meta:
        model = Rectification
        fields = ["unit", "status", "round", "overdue"]


# ---------------------------------------------------------------------------
# Resources
# ---------------------------------------------------------------------------


class RoundViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = RoundSerializer
    filterset_class = RoundFilterSet

    def get_queryset(self):
        return SupervisionRound.objects.for_user(self.request.user).order_by("-start_date", "id")


class GroupViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = GroupSerializer

    def get_queryset(self):
        return (
            InspectionGroup.objects.for_user(self.request.user)
            .prefetch_related("memberships", "units")
            .order_by("round", "order", "id")
        )


class VisitViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = VisitSerializer

    def get_queryset(self):
        return Visit.objects.for_user(self.request.user).prefetch_related("evidence_checked").order_by("-date", "-id")


class FindingViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = FindingSerializer
    filterset_class = FindingFilterSet

    def get_queryset(self):
        return (
            Finding.objects.for_user(self.request.user)
            .select_related("rectification")
            .prefetch_related("indicators")
            .order_by("-created_at", "-id")
        )


class ReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class RespondInput(serializers.Serializer):
    description = serializers.CharField(max_length=20000)
    evidence = serializers.PrimaryKeyRelatedField(many=True, queryset=Evidence.objects.none(), required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["evidence"].child_relation.queryset = Evidence.objects.for_user(user, Action.SUBMIT)


class ExtendInput(serializers.Serializer):
    deadline = serializers.DateField()
    reason = serializers.CharField(max_length=2000)


class DecideInput(serializers.Serializer):
    approve = serializers.BooleanField()
    reason = serializers.CharField(max_length=2000)


class RectificationViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = RectificationSerializer
    filterset_class = RectificationFilterSet

    def get_queryset(self):
        return (
            Rectification.objects.for_user(self.request.user)
            .with_overdue()
            .select_related("finding")
            .prefetch_related("response_evidence")
            .order_by("deadline", "id")
        )

    def _order(self) -> Rectification:
        return get_object_or_404(
            Rectification.objects.for_user(self.request.user).select_related("unit", "finding__round__campaign"),
            pk=self.kwargs["pk"],
        )

    def _answer(self, order: Rectification) -> Response:
        return Response(RectificationSerializer(self.get_queryset().get(pk=order.pk)).data)

    def _payload(self, serializer_class, **kwargs):
        payload = serializer_class(data=self.request.data, **kwargs)
        payload.is_valid(raise_exception=True)
        return payload.validated_data

    @extend_schema(request=RespondInput, responses=RectificationSerializer)
    @action(detail=True, methods=["post"])
    def respond(self, request, pk=None):
        order = self._order()
        data = self._payload(RespondInput, user=request.user)
        services.rectification_respond(
            rectification=order,
            actor=request.user,
            description=data["description"],
            evidence=list(data.get("evidence", [])),
            files=request.FILES.getlist("files"),
        )
        return self._answer(order)

    @extend_schema(request=None, responses=RectificationSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return self._answer(services.rectification_close(rectification=self._order(), actor=request.user))

    @extend_schema(request=ReasonInput, responses=RectificationSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        order = self._order()
        data = self._payload(ReasonInput)
        return self._answer(
            services.rectification_reject(rectification=order, actor=request.user, reason=data["reason"])
        )

    @extend_schema(request=ReasonInput, responses=RectificationSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        order = self._order()
        data = self._payload(ReasonInput)
        return self._answer(
            services.rectification_reopen(rectification=order, actor=request.user, reason=data["reason"])
        )

    @extend_schema(request=ExtendInput, responses=RectificationSerializer)
    @action(detail=True, methods=["post"])
    def extend(self, request, pk=None):
        order = self._order()
        data = self._payload(ExtendInput)
        services.rectification_extension_request(
            rectification=order, actor=request.user, deadline=data["deadline"], reason=data["reason"]
        )
        return self._answer(order)

    @extend_schema(request=DecideInput, responses=RectificationSerializer)
    @action(detail=True, methods=["post"], url_path="extension/decide")
    def decide_extension(self, request, pk=None):
        order = self._order()
        data = self._payload(DecideInput)
        services.rectification_extension_decide(
            rectification=order, actor=request.user, approve=data["approve"], reason=data["reason"]
        )
        return self._answer(order)
