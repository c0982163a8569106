"""Supervision (督导): rounds, inspection groups, visits, findings and rectification orders (整改)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from luhsan_portal.models import BaseModel
from supervision.querysets import (
    FindingQuerySet,
    GroupQuerySet,
    RectificationQuerySet,
    RoundQuerySet,
    VisitQuerySet,
)


class SupervisionRound(BaseModel):
    """A round of inspection of one campaign, with its dates and participating bodies."""

    campaign = models.ForeignKey(
        "indicators.Campaign", verbose_name=_("创建活动"), on_delete=models.PROTECT, related_name="rounds"
    )
    title = models.CharField(_("名称"), max_length=100)
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"))
    bodies = models.CharField(
        _("参加单位"), max_length=300, blank=True, help_text=_("如：县人大办、县政府办、县纪委监委、县委政法委")
    )
    notes = models.TextField(_("说明"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    objects = RoundQuerySet.as_manager()

    class Meta:
        verbose_name = _("督导轮次")
        verbose_name_plural = _("督导轮次")
        ordering = ["-start_date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start_date__lte=F("end_date")),
                name="%(app_label)s_%(class)s_dates",
                violation_error_message=_("开始日期不能晚于结束日期。"),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class InspectionGroup(BaseModel):
    """A 督导组: a leader, members and the units it visits in one round."""

    round = models.ForeignKey(
        SupervisionRound, verbose_name=_("督导轮次"), on_delete=models.CASCADE, related_name="groups"
    )
    name = models.CharField(_("名称"), max_length=50)
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("组长"), on_delete=models.PROTECT, related_name="led_groups"
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("成员"), through="GroupMember", related_name="inspection_groups"
    )
    units = models.ManyToManyField("units.Unit", verbose_name=_("督导单位"), related_name="inspection_groups")
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    objects = GroupQuerySet.as_manager()

    class Meta:
        verbose_name = _("督导组")
        verbose_name_plural = _("督导组")
        ordering = ["round", "order", "id"]

    def __str__(self) -> str:
        return self.name


class GroupMember(models.Model):
    """Membership of a group; leaving keeps the row (with the date) so that history stays true."""

    group = models.ForeignKey(InspectionGroup, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="group_memberships")
    joined_at = models.DateTimeField(_("加入时间"), auto_now_add=True)
    left_at = models.DateTimeField(_("离开时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("督导组成员")
        verbose_name_plural = _("督导组成员")
        constraints = [
            models.UniqueConstraint(
                fields=["group", "user"], condition=Q(left_at__isnull=True), name="%(app_label)s_%(class)s_active"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.group_id}:{self.user_id}"


class Visit(BaseModel):
    """One group at one unit on one day, with the 三必 checklist: 专班人员必谈、关键资料必查、固定场所必看."""

    group = models.ForeignKey(
        InspectionGroup, verbose_name=_("督导组"), on_delete=models.PROTECT, related_name="visits"
    )
    unit = models.ForeignKey("units.Unit", verbose_name=_("单位"), on_delete=models.PROTECT, related_name="visits")
    date = models.DateField(_("走访日期"))
    interviewed = models.JSONField(_("专班人员必谈"), default=list, blank=True, help_text=_("[{姓名, 职务}]"))
    materials_checked = models.TextField(_("关键资料必查"), blank=True)
    evidence_checked = models.ManyToManyField(
        "evidence.Evidence", verbose_name=_("查阅的佐证材料"), blank=True, related_name="visits"
    )
    places_inspected = models.TextField(_("固定场所必看"), blank=True)
    notes = models.TextField(_("走访记录"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    objects = VisitQuerySet.as_manager()

    class Meta:
        verbose_name = _("督导走访")
        verbose_name_plural = _("督导走访")
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return f"{self.date} {self.unit_id}"


class VisitPhoto(models.Model):
    """A photo taken on a visit, stored like evidence (by content, type-checked)."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="photos")
    stored = models.ForeignKey("evidence.StoredFile", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("文件名"), max_length=255)

    class Meta:
        verbose_name = _("走访照片")
        verbose_name_plural = _("走访照片")

    def __str__(self) -> str:
        return self.name


class Finding(BaseModel):
    """A problem found at a unit, tied to indicators where it applies."""

    class Category(models.TextChoices):
        ORGANISATION = "organisation", _("组织领导")
        SYSTEM = "system", _("制度建设")
        MATERIALS = "materials", _("材料归档")
        PUBLICITY = "publicity", _("宣传氛围")
        VENUES = "venues", _("阵地建设")
        ENFORCEMENT = "enforcement", _("执法规范")
        OTHER = "other", _("其他")

    class Severity(models.TextChoices):
        MINOR = "minor", _("一般")
        MAJOR = "major", _("较重")
        SEVERE = "severe", _("严重")

    round = models.ForeignKey(
        SupervisionRound, verbose_name=_("督导轮次"), on_delete=models.PROTECT, related_name="findings"
    )
    visit = models.ForeignKey(
        Visit, verbose_name=_("走访"), null=True, blank=True, on_delete=models.PROTECT, related_name="findings"
    )
    unit = models.ForeignKey("units.Unit", verbose_name=_("单位"), on_delete=models.PROTECT, related_name="findings")
    indicators = models.ManyToManyField(
        "indicators.Indicator", verbose_name=_("相关指标"), blank=True, related_name="findings"
    )
    description = models.TextField(_("问题描述"))
    category = models.CharField(_("类别"), max_length=16, choices=Category.choices, default=Category.MATERIALS)
    severity = models.CharField(_("程度"), max_length=8, choices=Severity.choices, default=Severity.MINOR)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    objects = FindingQuerySet.as_manager()

    class Meta:
        verbose_name = _("督导问题")
        verbose_name_plural = _("督导问题")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.description[:40]


class Rectification(BaseModel):
    """The order to rectify one finding (整改), from 待整改 to 已销号 (DESIGN.md §3.5)."""

    class Status(models.TextChoices):
        OPEN = "open", _("待整改")
        IN_PROGRESS = "in_progress", _("整改中")
        AWAITING_CHECK = "awaiting_check", _("待复核")
        CLOSED = "closed", _("已销号")

    finding = models.OneToOneField(
        Finding, verbose_name=_("问题"), on_delete=models.PROTECT, related_name="rectification"
    )
    unit = models.ForeignKey(
        "units.Unit", verbose_name=_("单位"), on_delete=models.PROTECT, related_name="rectifications"
    )
    requirement = models.TextField(_("整改意见"))
    deadline = models.DateField(_("整改时限"))
    original_deadline = models.DateField(_("原定整改时限"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.OPEN, db_index=True)
    response = models.TextField(_("整改情况"), blank=True)
    response_evidence = models.ManyToManyField(
        "evidence.Evidence", verbose_name=_("引用的佐证材料"), blank=True, related_name="rectifications"
    )
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    responded_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    checked_at = models.DateTimeField(_("复核时间"), null=True, blank=True)
    check_reason = models.TextField(_("复核意见"), blank=True)
    closed_at = models.DateTimeField(_("销号时间"), null=True, blank=True)

    objects = RectificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("整改")
        verbose_name_plural = _("整改")
        ordering = ["deadline", "id"]
        indexes = [
            # The unit's dashboard counts open and overdue orders per unit.
            models.Index(fields=["unit", "status", "deadline"], name="rectification_unit_status"),
        ]

    def __str__(self) -> str:
        return f"{self.requirement[:30]}（{self.get_status_display()}）"


class RectificationFile(models.Model):
    """A file a unit attached to its rectification response (stored like evidence)."""

    rectification = models.ForeignKey(Rectification, on_delete=models.CASCADE, related_name="files")
    stored = models.ForeignKey("evidence.StoredFile", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("文件名"), max_length=255)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("整改材料")
        verbose_name_plural = _("整改材料")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.name


class ExtensionRequest(BaseModel):
    """A unit's request for a later rectification deadline, and its decision; the history stays."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待审批")
        APPROVED = "approved", _("已同意")
        REFUSED = "refused", _("未同意")

    rectification = models.ForeignKey(
        Rectification, verbose_name=_("整改"), on_delete=models.CASCADE, related_name="extensions"
    )
    previous_deadline = models.DateField(_("原整改时限"))
    requested_deadline = models.DateField(_("申请延至"))
    reason = models.TextField(_("申请理由"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_reason = models.TextField(_("审批意见"), blank=True)

    class Meta:
        verbose_name = _("延期申请")
        verbose_name_plural = _("延期申请")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["rectification"],
                condition=Q(status="pending"),
                name="%(app_label)s_%(class)s_one_pending",
                violation_error_message=_("已有一份待审批的延期申请。"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.previous_deadline} → {self.requested_deadline}"
