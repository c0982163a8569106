"""Counties and their responsible units (责任单位) with contacts."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from luhsan_portal.access import ScopedQuerySet
from luhsan_portal.models import BaseModel


class CountyQuerySet(models.QuerySet):
    def default(self) -> "County":
        """The county a command means when it names none: the only one, or a new default one."""
        counties = list(self.order_by("id")[:2])
        if len(counties) == 1:
            return counties[0]
        if not counties:
            return self.create(name=settings.PORTAL_DEFAULT_COUNTY)
        raise County.MultipleObjectsReturned(_("部署中有多个县（区），请用 --county 指明。"))


class County(BaseModel):
    """A county (县/区) whose government runs campaigns; a deployment may host several."""

    name = models.CharField(_("名称"), max_length=50, unique=True)
    short_name = models.CharField(_("简称"), max_length=20, blank=True)

    objects = CountyQuerySet.as_manager()

    class Meta:
        verbose_name = _("县（区）")
        verbose_name_plural = _("县（区）")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name

    @property
    def name_prefixes(self) -> list[str]:
        """Prefixes people put before a unit's name: 鲁山县, 鲁山, 县."""
        base = self.name.removesuffix("县").removesuffix("区").removesuffix("市")
        return [p for p in (self.name, base, "县") if p]


class UnitKindQuerySet(models.QuerySet):
    def ensure_defaults(self) -> None:
        """Create the default kinds if missing (after a flush, or on a hand-made database)."""
        from units.choices import DEFAULT_UNIT_KINDS

        if self.count() >= len(DEFAULT_UNIT_KINDS):
            return
        for order, (code, name, is_township) in enumerate(DEFAULT_UNIT_KINDS, start=1):
            self.get_or_create(code=code, defaults={"name": name, "order": order, "is_township": is_township})


class UnitKind(models.Model):
    """A kind of unit (县直单位, 乡镇, 街道 …); the list is data, seeded by a migration."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=30, unique=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_township = models.BooleanField(_("乡镇/街道级"), default=False)

    objects = UnitKindQuerySet.as_manager()

    class Meta:
        verbose_name = _("单位类型")
        verbose_name_plural = _("单位类型")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name


class UnitQuerySet(ScopedQuerySet):
    scope_unit_field = "pk"
    scope_county_field = "county"

    def for_list(self) -> "UnitQuerySet":
        """The unit list page and API: kind joined, assignment counts for the current campaign added by callers."""
        return self.select_related("kind").order_by("order", "id")

    def active(self) -> "UnitQuerySet":
        return self.filter(active=True)


class Unit(BaseModel):
    """A responsible unit of one county: a department, party organ, court, township or street."""

    county = models.ForeignKey(County, verbose_name=_("县（区）"), on_delete=models.PROTECT, related_name="units")
    name = models.CharField(_("单位名称"), max_length=100)
    short_name = models.CharField(_("简称"), max_length=50)
    # Plain text joined by "、", as people write them, so that a search box finds them on any database.
    aliases = models.CharField(_("别名"), max_length=300, blank=True, help_text=_("多个别名用“、”分隔"))
    kind = models.ForeignKey(UnitKind, verbose_name=_("类型"), on_delete=models.PROTECT, related_name="units")
    order = models.PositiveIntegerField(_("排序"), default=0)
    active = models.BooleanField(_("启用"), default=True)

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("责任单位")
        verbose_name_plural = _("责任单位")
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["county", "name"],
                name="%(app_label)s_%(class)s_unique_name",
                violation_error_message=_("本县已有同名单位。"),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        return self.short_name or self.name

    @property
    def alias_list(self) -> list[str]:
        return [a for a in self.aliases.split("、") if a]


class UnitContact(BaseModel):
    """A person the office calls at a unit: its liaison, the leader in charge, the head."""

    class Role(models.TextChoices):
        LIAISON = "liaison", _("联络员")
        LEADER = "leader", _("分管领导")
        HEAD = "head", _("主要负责人")

    unit = models.ForeignKey(Unit, verbose_name=_("单位"), on_delete=models.CASCADE, related_name="contacts")
    role = models.CharField(_("职责"), max_length=16, choices=Role.choices)
    name = models.CharField(_("姓名"), max_length=30)
    post = models.CharField(_("职务"), max_length=50, blank=True)
    phone = models.CharField(_("电话"), max_length=30, blank=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("单位联系人")
        verbose_name_plural = _("单位联系人")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return f"{self.unit.display_name} {self.get_role_display()} {self.name}"
