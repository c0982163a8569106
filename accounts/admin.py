"""User administration: roles, county and unit membership (system administrators only)."""

from django.contrib import admin
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import ROLES_WITHOUT_UNIT, User
from luhsan_portal.access import Role


class RoleUnitRules:
    """The role/unit rules of DESIGN.md §1, checked before the database constraint would refuse."""

    def clean(self):
        data = super().clean()
        role, unit = data.get("role"), data.get("unit")
        if role == Role.LIAISON and unit is None:
            self.add_error("unit", _("单位联络员必须指定所属单位。"))
        if role in ROLES_WITHOUT_UNIT and unit is not None:
            self.add_error("unit", _("创建办工作人员、督导员和管理员不属于任何单位。"))
        if unit is not None:
            # A unit's people belong to its county; keeps the access gate to one indexed filter.
            data["county"] = unit.county
            self.instance.county = unit.county
        return data


class UserChangeForm(RoleUnitRules, auth_forms.UserChangeForm):
    class Meta(auth_forms.UserChangeForm.Meta):
        model = User


class UserCreationForm(RoleUnitRules, auth_forms.AdminUserCreationForm):
    class Meta(auth_forms.AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "name", "role", "county", "unit")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    list_display = ("username", "name", "role", "unit", "county", "is_active", "last_login")
    list_filter = ("role", "is_active", "county", "unit__kind")
    list_select_related = ("unit", "county")
    search_fields = ("username", "name", "unit__name", "unit__short_name", "phone")
    autocomplete_fields = ("unit",)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("个人信息"), {"fields": ("name", "phone", "email")}),
        (_("角色与单位"), {"fields": ("role", "county", "unit")}),
        (_("权限"), {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        (_("时间"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {"classes": ("wide",), "fields": ("username", "password1", "password2", "name", "role", "county", "unit")},
        ),
    )
