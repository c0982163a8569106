"""The indicator system (指标体系), campaigns and the responsibility list (责任清单)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from indicators.querysets import AssignmentQuerySet, CampaignQuerySet, IndicatorQuerySet
from luhsan_portal.models import BaseModel


class Framework(BaseModel):
    """A versioned indicator system, e.g. 2021年版 市县法治政府建设示范指标体系."""

    name = models.CharField(_("名称"), max_length=100, unique=True)
    version = models.CharField(_("版本"), max_length=50, blank=True)
    is_sample = models.BooleanField(_("示例"), default=False, help_text=_("示例数据，并非官方文本。"))
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("指标体系")
        verbose_name_plural = _("指标体系")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name}（示例）" if self.is_sample else self.name


class EvaluationMethodQuerySet(models.QuerySet):
    def ensure_defaults(self) -> None:
        """Create the five methods if missing (after a flush, or on a hand-made database)."""
        from indicators.choices import DEFAULT_EVALUATION_METHODS

        if self.count() >= len(DEFAULT_EVALUATION_METHODS):
            return
        for order, (code, name) in enumerate(DEFAULT_EVALUATION_METHODS, start=1):
            self.get_or_create(code=code, defaults={"name": name, "order": order})


class EvaluationMethod(models.Model):
    """A way the evaluator checks an indicator: 材料审查, 网络检索, 实地核查 …; seeded by a migration."""

    code = models.SlugField(_("代码"), max_length=30, unique=True)
    name = models.CharField(_("名称"), max_length=20, unique=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    WEB_SEARCH = "web_search"

    objects = EvaluationMethodQuerySet.as_manager()

    class Meta:
        verbose_name = _("测评方式")
        verbose_name_plural = _("测评方式")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name


class Indicator(BaseModel):
    """A node of a framework: a level-1 area, a level-2 item, a level-3 or a bonus indicator."""

    class Level(models.TextChoices):
        AREA = "1", _("一级指标")
        ITEM = "2", _("二级指标")
        INDICATOR = "3", _("三级指标")
        BONUS = "bonus", _("附加指标")

    ASSESSABLE = (Level.INDICATOR, Level.BONUS)

    framework = models.ForeignKey(
        Framework, verbose_name=_("指标体系"), on_delete=models.PROTECT, related_name="indicators"
    )
    level = models.CharField(_("层级"), max_length=8, choices=Level.choices)
    code = models.CharField(_("编号"), max_length=20, help_text=_("按原文显示，如“一、”“1.”“27”。"))
    sort_key = models.CharField(_("排序键"), max_length=40, db_index=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级指标"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # The level-1 ancestor, kept by the importer so that area figures are one GROUP BY.
    area = models.ForeignKey(
        "self", verbose_name=_("所属一级指标"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("名称"), max_length=500)
    requirement = models.TextField(_("测评要点"), blank=True)
    evaluation_methods = models.ManyToManyField(
        EvaluationMethod, verbose_name=_("测评方式"), blank=True, related_name="indicators"
    )
    points = models.DecimalField(_("分值"), max_digits=6, decimal_places=2, null=True, blank=True)
    guidance = models.TextField(_("释义"), blank=True)
    required_evidence = models.JSONField(_("佐证材料要求"), default=list, blank=True)

    objects = IndicatorQuerySet.as_manager()

    class Meta:
        verbose_name = _("指标")
        verbose_name_plural = _("指标")
        ordering = ["framework", "sort_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["framework", "level", "code"],
                name="%(app_label)s_%(class)s_unique_code",
                violation_error_message=_("同一指标体系同一层级的编号不能重复。"),
            ),
            models.CheckConstraint(
                condition=Q(level__in=["1", "bonus"], parent__isnull=True)
                | Q(level__in=["2", "3"], parent__isnull=False),
                name="%(app_label)s_%(class)s_parent_by_level",
                violation_error_message=_("一级指标和附加指标没有上级；二级、三级指标必须有上级。"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}" if self.level != self.Level.INDICATOR else f"{self.code}. {self.title}"

    @property
    def is_assessable(self) -> bool:
        return self.level in self.ASSESSABLE


class Campaign(BaseModel):
    """One campaign of one county (创建活动): framework, dates, stages. Everything hangs off it."""

    class Level(models.TextChoices):
        PROVINCE = "province", _("省级")
        NATIONAL = "national", _("国家级")

    county = models.ForeignKey(
        "units.County", verbose_name=_("县（区）"), on_delete=models.PROTECT, related_name="campaigns"
    )
    name = models.CharField(_("名称"), max_length=100)
    level = models.CharField(_("级别"), max_length=16, choices=Level.choices, default=Level.PROVINCE)
    framework = models.ForeignKey(
        Framework, verbose_name=_("指标体系"), on_delete=models.PROTECT, related_name="campaigns"
    )
    start_date = models.DateField(_("开始日期"))
    target_date = models.DateField(_("目标日期"))
    office_name = models.CharField(
        _("创建办名称"), max_length=100, blank=True, help_text=_("如：鲁山县创建省级法治政府建设示范县指挥部办公室")
    )
    show_ranking_to_units = models.BooleanField(
        _("向单位公开排名"), default=False, help_text=_("勾选后，各单位在本单位进度页能看到同类单位的排名表。")
    )

    objects = CampaignQuerySet.as_manager()

    class Meta:
        verbose_name = _("创建活动")
        verbose_name_plural = _("创建活动")
        ordering = ["-start_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["county", "name"],
                name="%(app_label)s_%(class)s_unique_name",
                violation_error_message=_("本县已有同名创建活动。"),
            ),
            models.CheckConstraint(
                condition=Q(start_date__lt=F("target_date")),
                name="%(app_label)s_%(class)s_start_before_target",
                violation_error_message=_("开始日期必须早于目标日期。"),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CampaignStage(BaseModel):
    """A stage of a campaign (动员部署, 全面创建, 自查评估, 迎检验收) with its dates."""

    campaign = models.ForeignKey(Campaign, verbose_name=_("创建活动"), on_delete=models.CASCADE, related_name="stages")
    name = models.CharField(_("阶段"), max_length=50)
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"))
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("创建阶段")
        verbose_name_plural = _("创建阶段")
        ordering = ["campaign", "order", "start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start_date__lte=F("end_date")),
                name="%(app_label)s_%(class)s_start_before_end",
                violation_error_message=_("阶段开始日期不能晚于结束日期。"),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Assignment(BaseModel):
    """One line of the responsibility list: an assessable indicator given to one unit as lead or co."""

    class Role(models.TextChoices):
        LEAD = "lead", _("牵头")
        CO = "co", _("配合")

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("创建活动"), on_delete=models.PROTECT, related_name="assignments"
    )
    indicator = models.ForeignKey(
        Indicator, verbose_name=_("指标"), on_delete=models.PROTECT, related_name="assignments"
    )
    unit = models.ForeignKey("units.Unit", verbose_name=_("单位"), on_delete=models.PROTECT, related_name="assignments")
    role = models.CharField(_("责任"), max_length=8, choices=Role.choices)
    due_date = models.DateField(_("完成时限"), null=True, blank=True)
    waived_at = models.DateTimeField(_("免除时间"), null=True, blank=True)
    waived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("免除人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    waive_reason = models.TextField(_("不适用理由"), blank=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("责任清单条目")
        verbose_name_plural = _("责任清单")
        ordering = ["campaign", "indicator__sort_key", "role", "unit__order"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "indicator", "unit"],
                name="%(app_label)s_%(class)s_unique_unit",
                violation_error_message=_("同一指标不能重复分配给同一单位。"),
            ),
            models.CheckConstraint(
                condition=Q(waived_at__isnull=True) | ~Q(waive_reason=""),
                name="%(app_label)s_%(class)s_waiver_has_reason",
                violation_error_message=_("设为不适用必须填写理由。"),
            ),
        ]
        indexes = [
            # The unit's task page and the unit ranking read by campaign and unit.
            models.Index(fields=["campaign", "unit"], name="%(app_label)s_%(class)s_unit"),
        ]

    def __str__(self) -> str:
        # Callers that print many assignments select_related indicator and unit.
        return f"{self.indicator.code} {self.unit.display_name}（{self.get_role_display()}）"


class ImportJob(BaseModel):
    """An uploaded spreadsheet waiting for confirmation, and the result once applied."""

    class Kind(models.TextChoices):
        FRAMEWORK = "framework", _("指标体系")
        UNITS = "units", _("责任单位")
        ASSIGNMENTS = "assignments", _("责任清单")

    class Status(models.TextChoices):
        PREVIEWED = "previewed", _("待确认")
        INVALID = "invalid", _("有错误")
        APPLIED = "applied", _("已导入")
        CANCELLED = "cancelled", _("已取消")

    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    county = models.ForeignKey("units.County", verbose_name=_("县（区）"), on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices)
    file = models.FileField(_("文件"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("文件名"), max_length=255)
    options = models.JSONField(_("参数"), default=dict, blank=True)
    report = models.JSONField(_("预览结果"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), on_delete=models.PROTECT, related_name="+"
    )
    applied_at = models.DateTimeField(_("导入时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("导入记录")
        verbose_name_plural = _("导入记录")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.original_name}"
