"""Stored daily progress figures, so that the trend survives later changes."""

from django.db import models
from django.utils.translation import gettext_lazy as _

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
