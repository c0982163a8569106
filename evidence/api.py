"""Evidence API (DESIGN.md §5.2): list, retrieve, create (multipart), approve, return, withdraw, download."""

import json

from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from evidence import services
from evidence.filters import EvidenceFilterSet
from evidence.models import Evidence, EvidenceFile, EvidenceLink
from evidence.storage import blob_open
from evidence.uploads import upload_errors
from indicators.models import Assignment
from luhsan_portal.access import Action


class EvidenceFileSerializer(serializers.ModelSerializer):
    size = serializers.IntegerField(source="stored.size")
    sha256 = serializers.CharField(source="stored.sha256")
    kind = serializers.CharField(source="stored.kind")

    class Meta:
        model = EvidenceFile
        fields = ["id", "name", "size", "sha256", "kind"]


class EvidenceLinkSerializer(serializers.ModelSerializer):
    class Meta:
        model = EvidenceLink
        fields = [
            "id",
            "url",
            "site",
            "published_on",
            "check_status",
            "status_code",
            "final_url",
            "page_title",
            "checked_at",
        ]


class EvidenceSerializer(serializers.ModelSerializer):
    assignments = serializers.SerializerMethodField()
    files = EvidenceFileSerializer(many=True, read_only=True)
    links = EvidenceLinkSerializer(many=True, read_only=True)

    class Meta:
        model = Evidence
        fields = [
            "id",
            "campaign",
            "unit",
            "assignments",
            "title",
            "status",
            "revision",
            "previous",
            "statement",
            "note",
            "period_start",
            "period_end",
            "files",
            "links",
            "created_by",
            "created_at",
            "reviewed_by",
            "reviewed_at",
            "review_reason",
            "withdrawn_at",
        ]

    def get_assignments(self, evidence) -> list[int]:
        return sorted(link.assignment_id for link in evidence.links_to_assignments.all())


@extend_schema_field(
    {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {
                "url": {"type": "string"},
                "site": {"type": "string"},
                "published_on": {"type": "string", "format": "date"},
            },
        },
    }
)
class LinksField(serializers.Field):
    """A JSON list of links, given as a JSON array or (in multipart forms) as a JSON string."""

    default_error_messages = {"invalid": _('links 必须是 JSON 数组，例如 [{{"url": "https://…", "site": "…"}}]。')}

    def to_internal_value(self, data):
        if isinstance(data, str):
            try:
                data = json.loads(data) if data.strip() else []
            except ValueError:
                self.fail("invalid")
        if isinstance(data, dict):
            data = [data]
        if not isinstance(data, list):
            self.fail("invalid")
        return data

    def to_representation(self, value):
        return value


class EvidenceCreateInput(serializers.Serializer):
    assignments = serializers.PrimaryKeyRelatedField(many=True, queryset=Assignment.objects.none())
    title = serializers.CharField(max_length=200)
    unclassified = serializers.BooleanField()
    links = LinksField(required=False)
    statement = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    period_start = serializers.DateField(required=False, allow_null=True)
    period_end = serializers.DateField(required=False, allow_null=True)
    previous = serializers.PrimaryKeyRelatedField(queryset=Evidence.objects.none(), required=False, allow_null=True)
    reuse = serializers.PrimaryKeyRelatedField(queryset=Evidence.objects.none(), required=False, allow_null=True)
    client_token = serializers.CharField(required=False, allow_blank=True, max_length=64)

    def __init__(self, *args, user=None, **kwargs):
        # ``user`` is optional only so that the schema generator can build the serializer.
        super().__init__(*args, **kwargs)
        self.fields["assignments"].child_relation.queryset = Assignment.objects.for_user(user, Action.SUBMIT)
        own = Evidence.objects.for_user(user, Action.SUBMIT)
        self.fields["previous"].queryset = own
        self.fields["reuse"].queryset = own


class ReturnInput(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, error_messages={"required": _("退回必须填写理由。")})


class WithdrawInput(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=1000)


class EvidenceViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = EvidenceSerializer
    filterset_class = EvidenceFilterSet
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        return Evidence.objects.for_user(self.request.user).for_api_list()

    def _scoped(self, action_name: Action) -> Evidence:
        queryset = Evidence.objects.for_user(self.request.user, action_name).for_api_list()
        return get_object_or_404(queryset, pk=self.kwargs["pk"])

    def _answer(self, evidence: Evidence, code=status.HTTP_200_OK) -> Response:
        fresh = Evidence.objects.for_api_list().get(pk=evidence.pk)
        return Response(EvidenceSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    @extend_schema(request=EvidenceCreateInput, responses={201: EvidenceSerializer})
    def create(self, request, *args, **kwargs):
        payload = EvidenceCreateInput(data=request.data, user=request.user)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        assignments = list(
            Assignment.objects.filter(pk__in=[a.pk for a in data["assignments"]]).select_related("indicator", "unit")
        )
        files = request.FILES.getlist("files")
        if upload_errors(request):
            raise serializers.ValidationError({"files": upload_errors(request)})
        try:
            evidence = services.evidence_submit(
                unit=assignments[0].unit if assignments else None,
                assignments=assignments,
                title=data["title"],
                actor=request.user,
                unclassified=data["unclassified"],
                files=files,
                links=data.get("links"),
                statement=data.get("statement", ""),
                note=data.get("note", ""),
                period_start=data.get("period_start"),
                period_end=data.get("period_end"),
                previous=data.get("previous"),
                reuse=data.get("reuse"),
                client_token=data.get("client_token", ""),
            )
        except services.AlreadySubmitted as exc:
            return self._answer(exc.evidence, status.HTTP_200_OK)
        return self._answer(evidence, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=EvidenceSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._answer(services.evidence_approve(evidence=self._scoped(Action.MANAGE), actor=request.user))

    @extend_schema(request=ReturnInput, responses=EvidenceSerializer)
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request, pk=None):
        evidence = self._scoped(Action.MANAGE)
        payload = ReturnInput(data=request.data)
        payload.is_valid(raise_exception=True)
        return self._answer(
            services.evidence_return(evidence=evidence, actor=request.user, reason=payload.validated_data["reason"])
        )

    @extend_schema(request=WithdrawInput, responses=EvidenceSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        # Withdrawing is the submitting unit's own act; the office returns instead.
        evidence = get_object_or_404(
            Evidence.objects.for_user(request.user, Action.SUBMIT).filter(unit_id=request.user.unit_id), pk=pk
        )
        payload = WithdrawInput(data=request.data)
        payload.is_valid(raise_exception=True)
        return self._answer(
            services.evidence_withdraw(
                evidence=evidence, actor=request.user, reason=payload.validated_data.get("reason", "")
            )
        )

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    @action(detail=True, methods=["get"], url_path=r"files/(?P<file_id>\d+)")
    def download(self, request, pk=None, file_id=None):
        evidence = get_object_or_404(Evidence.objects.for_user(request.user), pk=pk)
        item = get_object_or_404(
            EvidenceFile.objects.select_related("stored", "evidence__unit"), pk=file_id, evidence=evidence
        )
        services.evidence_log_download(evidence_file=item, actor=request.user, inline=False)
        return FileResponse(
            blob_open(item.stored), as_attachment=True, filename=item.name, content_type=item.stored.content_type
        )
