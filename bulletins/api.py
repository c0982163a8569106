"""Bulletin and column API (DESIGN.md §5.2): bulletins with submit/approve/publish and PDF/DOCX,
column posts for the office, and a read-only public endpoint with the column's contents."""

import django_filters
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from bulletins import selectors, services
from bulletins.feed import column_feed
from bulletins.models import Bulletin, Post
from indicators.models import Campaign
from luhsan_portal.access import Action

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class BulletinSerializer(serializers.ModelSerializer):
    title = serializers.CharField(source="title_line", read_only=True)
    published_on = serializers.DateField(read_only=True)
    items = serializers.SerializerMethodField()

    class Meta:
        model = Bulletin
        fields = [
            "id",
            "campaign",
            "year",
            "number",
            "status",
            "title",
            "issue_date",
            "published_on",
            "office",
            "bao",
            "song",
            "fa",
            "editors",
            "copies",
            "revision",
            "revision_of",
            "correction_note",
            "items",
        ]

    def get_items(self, bulletin) -> list[dict]:
        return [{"id": i.pk, "headline": i.headline, "kind": i.kind} for i in bulletin.items.all()]


class BulletinCreateInput(serializers.Serializer):
    campaign = serializers.PrimaryKeyRelatedField(queryset=Campaign.objects.none())
    issue_date = serializers.DateField(required=False)
    title = serializers.CharField(required=False, max_length=100)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = (
            Campaign.objects.for_user(user, Action.MANAGE) if user else Campaign.objects.none()
        )


class BulletinFilterSet(django_filters.FilterSet):
    class Meta:
        model = Bulletin
        fields = ["campaign", "status", "year"]


class BulletinViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = BulletinSerializer
    filterset_class = BulletinFilterSet

    def get_queryset(self):
        return Bulletin.objects.for_user(self.request.user).prefetch_related("items").order_by("-issue_date", "-id")

    def _scoped(self) -> Bulletin:
        return get_object_or_404(Bulletin.objects.for_user(self.request.user, Action.MANAGE), pk=self.kwargs["pk"])

    def _answer(self, bulletin: Bulletin, code=status.HTTP_200_OK) -> Response:
        return Response(BulletinSerializer(self.get_queryset().get(pk=bulletin.pk)).data, status=code)

    @extend_schema(request=BulletinCreateInput, responses={201: BulletinSerializer})
    def create(self, request, *args, **kwargs):
        payload = BulletinCreateInput(data=request.data, user=request.user)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        bulletin = services.bulletin_create(
            campaign=data["campaign"], actor=request.user, issue_date=data.get("issue_date")
        )
        if data.get("title"):
            services.bulletin_update(bulletin=bulletin, actor=request.user, title_line=data["title"])
        return self._answer(bulletin, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=BulletinSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._answer(services.bulletin_submit(bulletin=self._scoped(), actor=request.user))

    @extend_schema(request=None, responses=BulletinSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._answer(services.bulletin_approve(bulletin=self._scoped(), actor=request.user))

    @extend_schema(request=None, responses=BulletinSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        return self._answer(services.bulletin_publish(bulletin=self._scoped(), actor=request.user))

    def _file(self, fmt: str) -> HttpResponse:
        from bulletins.render import bulletin_docx, bulletin_pdf

        bulletin = selectors.bulletin_with_items(Bulletin.objects.for_user(self.request.user), self.kwargs["pk"])
        render, content_type = {"pdf": (bulletin_pdf, "application/pdf"), "docx": (bulletin_docx, DOCX_TYPE)}[fmt]
        response = HttpResponse(render(selectors.bulletin_data(bulletin)), content_type=content_type)
        label = f"第{bulletin.number}期" if bulletin.number else "草稿"
        response["Content-Disposition"] = content_disposition_header(
            True, f"{bulletin.title_line}-{label}.{fmt}".replace(" ", "")
        )
        return response

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def pdf(self, request, pk=None):
        return self._file("pdf")

    @extend_schema(responses={(200, DOCX_TYPE): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def docx(self, request, pk=None):
        return self._file("docx")


class PostSerializer(serializers.ModelSerializer):
    attachments = serializers.SerializerMethodField()

    class Meta:
        model = Post
        fields = [
            "id",
            "campaign",
            "board",
            "title",
            "doc_number",
            "source",
            "body",
            "published_on",
            "status",
            "attachments",
        ]
        read_only_fields = ["status"]

    def get_attachments(self, post) -> list[dict]:
        return [
            {"id": a.pk, "name": a.name, "size": a.stored.size, "sha256": a.stored.sha256}
            for a in post.attachments.all()
        ]


class PostViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = PostSerializer

    def get_queryset(self):
        return (
            Post.objects.for_user(self.request.user)
            .prefetch_related("attachments__stored")
            .order_by("-published_on", "-id")
        )

    def perform_create(self, serializer):
        data = serializer.validated_data
        campaign = get_object_or_404(
            Campaign.objects.for_user(self.request.user, Action.MANAGE), pk=data["campaign"].pk
        )
        serializer.instance = services.post_save(
            campaign=campaign,
            actor=self.request.user,
            board=data["board"],
            title=data["title"],
            body=data.get("body", ""),
            doc_number=data.get("doc_number", ""),
            source=data.get("source", ""),
            published_on=data.get("published_on"),
        )

    def perform_update(self, serializer):
        post = get_object_or_404(Post.objects.for_user(self.request.user, Action.MANAGE), pk=self.kwargs["pk"])
        data = {k: v for k, v in serializer.validated_data.items() if k != "campaign"}
        merged = {
            f: data.get(f, getattr(post, f)) for f in ("board", "title", "body", "doc_number", "source", "published_on")
        }
        serializer.instance = services.post_save(campaign=post.campaign, actor=self.request.user, post=post, **merged)

    @extend_schema(request=None, responses=PostSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        post = get_object_or_404(Post.objects.for_user(request.user, Action.MANAGE), pk=pk)
        services.post_set_published(post=post, actor=request.user, published=True)
        return Response(PostSerializer(self.get_queryset().get(pk=post.pk)).data)


class PublicColumnApi(APIView):
    """The public column's contents; no login, published material only."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(responses=OpenApiTypes.OBJECT, summary="公开创建专栏的内容（无需登录）")
    def get(self, request, campaign_id: int):
        campaign = get_object_or_404(
            Campaign.objects.select_related("publication"), pk=campaign_id, publication__column_enabled=True
        )
        return Response(column_feed(campaign, base_url=request.build_absolute_uri("/").rstrip("/")))
