"""People who log in, with their role and (for liaisons and unit heads) their unit."""

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from luhsan_portal.access import Role

ROLES_WITHOUT_UNIT = (Role.OFFICE, Role.SUPERVISOR, Role.ADMIN)


class User(AbstractUser):
    """A portal user: office staff, unit liaison, supervisor, leader or administrator."""

    Role = Role

    name = models.CharField(_("姓名"), max_length=30, blank=True)
    phone = models.CharField(_("电话"), max_length=30, blank=True)
    role = models.CharField(_("角色"), max_length=16, choices=Role.choices, blank=True)
    county = models.ForeignKey(
        "units.County",
        verbose_name=_("县（区）"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
        help_text=_("留空表示可访问本部署的所有县（区）。"),
    )
    unit = models.ForeignKey(
        "units.Unit",
        verbose_name=_("所属单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
        help_text=_("单位联络员必须指定单位；创建办工作人员、督导员、管理员不属于单位。"),
    )

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(role=Role.LIAISON) | Q(unit__isnull=False),
                name="%(app_label)s_%(class)s_liaison_has_unit",
                violation_error_message=_("单位联络员必须指定所属单位。"),
            ),
            models.CheckConstraint(
                condition=~Q(role__in=ROLES_WITHOUT_UNIT) | Q(unit__isnull=True),
                name="%(app_label)s_%(class)s_staff_without_unit",
                violation_error_message=_("创建办工作人员、督导员和管理员不属于任何单位。"),
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name or self.get_full_name() or self.username

    def clean(self) -> None:
        super().clean()
        if self.unit_id and self.county_id and self.unit.county_id != self.county_id:
            raise ValidationError({"unit": _("所属单位不在所选县（区）。")})
