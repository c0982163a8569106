"""Stored daily progress figures, so that the trend survives later changes."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from luhsan_portal.access import ScopedQuerySet
from luhsan_portal.models import BaseModel


class ProgressSnapshot(BaseModel):
    """The figures of one campaign, area or unit on one day, as computed that day."""

    class Kind(models.TextChoices):
        CAMPAIGN = "campaign", _("全县")
        AREA = "area", _("一级指标")
        UNIT = "unit", _("单位")

    campaign = models.ForeignKey(
        "indicators.Campaign", verbose_name=_("创建活动"), on_delete=models.CASCADE, related_name="snapshots"
    )
    date = models.DateField(_("日期"))
    kind = models.CharField(_("范围"), max_length=16, choices=Kind.choices)
    # "campaign", "area:<id>" or "unit:<id>": one key so that uniqueness does not depend on NULLs.
    scope_key = models.CharField(_("范围键"), max_length=40)
    area = models.ForeignKey(
        "indicators.Indicator",
        verbose_name=_("一级指标"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    unit = models.ForeignKey(
        "units.Unit", verbose_name=_("单位"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    time_ratio = models.FloatField(_("时间进度"), null=True, blank=True)
    work_ratio = models.FloatField(_("工作进度"), null=True, blank=True)
    indicators_total = models.PositiveIntegerField(_("三级指标数"), default=0)
    indicators_complete = models.PositiveIntegerField(_("已完成三级指标数"), default=0)
    assignments_total = models.PositiveIntegerField(_("任务数"), default=0)
    assignments_done = models.PositiveIntegerField(_("已完成任务数"), default=0)
    figures = models.JSONField(_("其他数据"), default=dict, blank=True)

    class Meta:
        verbose_name = _("进度快照")
        verbose_name_plural = _("进度快照")
        ordering = ["campaign", "date", "scope_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "date", "scope_key"], name="%(app_label)s_%(class)s_unique_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.date} {self.scope_key}"


class PackageExportQuerySet(ScopedQuerySet):
    scope_unit_field = None
    scope_county_field = "campaign__county"


class PackageExport(BaseModel):
    """One export of evidence for the province supervision platform (省平台材料包), built in the background."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("生成中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    class VolumeRule(models.TextChoices):
        INDICATOR = "indicator", _("每项三级指标（附加指标）一册")
        AREA = "area", _("每个一级指标一册")
        SIZE = "size", _("按大小分册")

    campaign = models.ForeignKey(
        "indicators.Campaign", verbose_name=_("创建活动"), on_delete=models.PROTECT, related_name="exports"
    )
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True)
    options = models.JSONField(_("导出范围与分册"), default=dict)
    folder = models.CharField(_("存放目录"), max_length=200, blank=True)
    files_total = models.PositiveIntegerField(_("文件总数"), default=0)
    files_done = models.PositiveIntegerField(_("已处理文件"), default=0)
    bytes_total = models.BigIntegerField(_("总字节"), default=0)
    bytes_done = models.BigIntegerField(_("已处理字节"), default=0)
    size = models.BigIntegerField(_("材料包大小"), default=0)
    index_sha256 = models.CharField(_("索引文件 SHA-256"), max_length=64, blank=True)
    error = models.TextField(_("错误"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    heartbeat_at = models.DateTimeField(_("最近进展"), null=True, blank=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("导出人"), on_delete=models.PROTECT, related_name="+"
    )

    objects = PackageExportQuerySet.as_manager()

    class Meta:
        verbose_name = _("材料包导出")
        verbose_name_plural = _("材料包导出")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"材料包 #{self.pk}"

    @property
    def volume_rule_text(self) -> str:
        rule = self.options.get("volume_rule") or self.VolumeRule.INDICATOR
        text = str(dict(self.VolumeRule.choices).get(rule, rule))
        if rule == self.VolumeRule.SIZE and self.options.get("volume_cap"):
            text += f"（每册不超过 {self.options['volume_cap'] // 2**20} MB）"
        return text

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.files_total:
            return 0
        return int(100 * self.files_done / self.files_total)


class PackageVolume(models.Model):
    """One volume (册) of an export: a ZIP with its manifest."""

    export = models.ForeignKey(PackageExport, on_delete=models.CASCADE, related_name="volumes")
    number = models.PositiveIntegerField(_("册号"))
    title = models.CharField(_("名称"), max_length=200)
    file_name = models.CharField(_("文件名"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.BigIntegerField(_("大小"))
    file_count = models.PositiveIntegerField(_("材料文件数"))
    merged = models.BooleanField(_("含合并 PDF"), default=False)

    class Meta:
        verbose_name = _("材料包分册")
        verbose_name_plural = _("材料包分册")
        ordering = ["export", "number"]
        constraints = [
            models.UniqueConstraint(fields=["export", "number"], name="%(app_label)s_%(class)s_unique_number")
        ]

    def __str__(self) -> str:
        return f"第{self.number}册 {self.title}"
