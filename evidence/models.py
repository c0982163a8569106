"""Evidence (佐证材料): submissions, their files stored once by content, web links, review reasons."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from evidence.querysets import EvidenceQuerySet, StoredFileQuerySet
from luhsan_portal.models import BaseModel


class StoredFile(models.Model):
    """One file's bytes, stored once under its SHA-256; never overwritten, never deleted by users."""

    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    size = models.BigIntegerField(_("大小（字节）"))
    kind = models.CharField(_("类型"), max_length=16)
    content_type = models.CharField(_("MIME 类型"), max_length=100)
    blob = models.CharField(_("存储位置"), max_length=200)
    # The CRC-32 a ZIP member of these bytes needs: known before copying, a package export copies the
    # file inside the kernel instead of passing every byte through Python. Null for files stored before
    # it was kept; the first export that copies one fills it in.
    crc32 = models.BigIntegerField(_("CRC-32"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("首次上传"), auto_now_add=True)

    objects = StoredFileQuerySet.as_manager()

    class Meta:
        verbose_name = _("存储文件")
        verbose_name_plural = _("存储文件")

    def __str__(self) -> str:
        return f"{self.sha256[:12]} ({self.kind}, {self.size} B)"


class Evidence(BaseModel):
    """One submission of a unit for one or more of its assignments; a resubmission is a new row."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待审核")
        RETURNED = "returned", _("已退回")
        APPROVED = "approved", _("已通过")
        WITHDRAWN = "withdrawn", _("已撤回")

    campaign = models.ForeignKey(
        "indicators.Campaign", verbose_name=_("创建活动"), on_delete=models.PROTECT, related_name="evidence"
    )
    unit = models.ForeignKey("units.Unit", verbose_name=_("单位"), on_delete=models.PROTECT, related_name="evidence")
    assignments = models.ManyToManyField(
        "indicators.Assignment",
        verbose_name=_("服务的任务"),
        through="EvidenceAssignment",
        related_name="submissions",
    )
    title = models.CharField(_("材料标题"), max_length=200)
    statement = models.TextField(_("书面说明"), blank=True)
    note = models.TextField(_("备注"), blank=True)
    period_start = models.DateField(_("材料所属期间（起）"), null=True, blank=True)
    period_end = models.DateField(_("材料所属期间（止）"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    previous = models.OneToOneField(
        "self",
        verbose_name=_("回应的退回版本"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="next_revision",
    )
    revision = models.PositiveIntegerField(_("版本"), default=1)
    # The chain's first version (null on v1 itself), so that v1, v2, … read in one query.
    root = models.ForeignKey(
        "self", verbose_name=_("首个版本"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unclassified = models.BooleanField(_("已确认不涉密"), default=False)
    # A random token the form carries, so that a double click or a retried request submits once.
    client_token = models.CharField(_("提交令牌"), max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("提交人"), on_delete=models.PROTECT, related_name="+"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    review_reason = models.TextField(_("退回理由"), blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("撤回人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)
    withdraw_reason = models.TextField(_("撤回原因"), blank=True)

    objects = EvidenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("佐证材料")
        verbose_name_plural = _("佐证材料")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["created_by", "client_token"],
                condition=~Q(client_token=""),
                name="%(app_label)s_%(class)s_unique_token",
            ),
            models.CheckConstraint(
                condition=Q(unclassified=True),
                name="%(app_label)s_%(class)s_unclassified_confirmed",
                violation_error_message=_("必须确认材料不涉密。"),
            ),
            models.CheckConstraint(
                condition=~Q(status="returned") | ~Q(review_reason=""),
                name="%(app_label)s_%(class)s_return_has_reason",
                violation_error_message=_("退回必须填写理由。"),
            ),
            models.CheckConstraint(
                condition=Q(period_start__isnull=True)
                | Q(period_end__isnull=True)
                | Q(period_start__lte=F("period_end")),
                name="%(app_label)s_%(class)s_period_order",
                violation_error_message=_("材料所属期间的开始日期不能晚于结束日期。"),
            ),
        ]
        indexes = [
            # The review queue: pending submissions of a campaign, oldest first.
            models.Index(fields=["campaign", "status", "created_at"], name="evidence_queue"),
            models.Index(fields=["unit", "status"], name="evidence_unit_status"),
        ]

    def __str__(self) -> str:
        return f"{self.title}（v{self.revision}）"


class EvidenceAssignment(models.Model):
    """Which assignments a submission serves (all of the submitting unit, in one campaign)."""

    evidence = models.ForeignKey(Evidence, on_delete=models.CASCADE, related_name="links_to_assignments")
    assignment = models.ForeignKey("indicators.Assignment", on_delete=models.PROTECT, related_name="evidence_links")

    class Meta:
        verbose_name = _("材料与任务")
        verbose_name_plural = _("材料与任务")
        constraints = [
            models.UniqueConstraint(fields=["evidence", "assignment"], name="%(app_label)s_%(class)s_unique"),
        ]
        indexes = [
            # Assignment status: "does any submission of status X serve this assignment?"
            models.Index(fields=["assignment", "evidence"], name="evidence_assignment_lookup"),
        ]

    def __str__(self) -> str:
        return f"{self.evidence_id} → {self.assignment_id}"


class EvidenceFile(models.Model):
    """A file of a submission: the stored bytes plus the name the uploader gave it."""

    evidence = models.ForeignKey(Evidence, verbose_name=_("材料"), on_delete=models.CASCADE, related_name="files")
    stored = models.ForeignKey(StoredFile, verbose_name=_("文件"), on_delete=models.PROTECT, related_name="uses")
    name = models.CharField(_("文件名"), max_length=255)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("材料文件")
        verbose_name_plural = _("材料文件")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name


class EvidenceLink(models.Model):
    """A public web link given as evidence (mostly for 网络检索 indicators), with its last check."""

    class CheckStatus(models.TextChoices):
        UNCHECKED = "unchecked", _("未检测")
        OK = "ok", _("正常")
        BROKEN = "broken", _("失效")
        UNREACHABLE = "unreachable", _("无法检测")

    evidence = models.ForeignKey(Evidence, verbose_name=_("材料"), on_delete=models.CASCADE, related_name="links")
    url = models.URLField(_("网址"), max_length=1000)
    site = models.CharField(_("网站或公众号"), max_length=100, blank=True)
    published_on = models.DateField(_("发布日期"), null=True, blank=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    check_status = models.CharField(
        _("检测结果"), max_length=16, choices=CheckStatus.choices, default=CheckStatus.UNCHECKED, db_index=True
    )
    status_code = models.PositiveSmallIntegerField(_("HTTP 状态码"), null=True, blank=True)
    final_url = models.URLField(_("最终地址"), max_length=1000, blank=True)
    page_title = models.CharField(_("网页标题"), max_length=300, blank=True)
    check_error = models.CharField(_("检测说明"), max_length=200, blank=True)
    checked_at = models.DateTimeField(_("检测时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("网络链接")
        verbose_name_plural = _("网络链接")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.url


class ReturnReasonQuerySet(models.QuerySet):
    def ensure_defaults(self) -> None:
        """Create the default reasons if the table is empty (after a flush, or a hand-made database)."""
        from evidence.choices import DEFAULT_RETURN_REASONS

        if not self.exists():
            self.bulk_create(ReturnReason(text=t, order=i) for i, t in enumerate(DEFAULT_RETURN_REASONS, start=1))


class ReturnReason(models.Model):
    """A common return reason the office picks from (模板), editable as data."""

    text = models.CharField(_("理由"), max_length=300, unique=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    objects = ReturnReasonQuerySet.as_manager()

    class Meta:
        verbose_name = _("常用退回理由")
        verbose_name_plural = _("常用退回理由")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.text
