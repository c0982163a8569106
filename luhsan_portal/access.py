"""The one permission gate: ``Model.objects.for_user(user, action)``.

Every page, API endpoint, export and task reads scoped data through this. A model opts in by
using a ``ScopedQuerySet`` subclass that names the path to its unit and to its county; the rules
of who may see or change what live here and nowhere else:

=============  ==========================  ===================  ====================
role           view                        submit (unit work)   manage (office work)
=============  ==========================  ===================  ====================
superuser      everything                  everything           everything
admin, office  their county (or all)       their county         their county
leader         their unit, else county     —                    —
liaison        their unit                  their unit           —
supervisor     units of their groups       —                    —
=============  ==========================  ===================  ====================

Objects outside the scope are simply not in the queryset, so a detail fetch answers 404.
Models without a unit (campaigns) are visible county-wide to every role for ``view``.
"""

from enum import StrEnum

from django.db import models
from django.db.models import Q


class Action(StrEnum):
    VIEW = "view"
    SUBMIT = "submit"
    MANAGE = "manage"


class Role(models.TextChoices):
    OFFICE = "office", "创建办工作人员"
    LIAISON = "liaison", "单位联络员"
    SUPERVISOR = "supervisor", "督导员"
    LEADER = "leader", "领导"
    ADMIN = "admin", "系统管理员"


ALL = Q()
NOTHING = Q(pk__in=[])


def supervised_unit_ids(user) -> models.QuerySet | list:
    """Ids of units the supervisor's groups visit (the supervision app fills this in)."""
    from django.apps import apps

    if not apps.is_installed("supervision"):
        return []
    group_model = apps.get_model("supervision", "InspectionGroup")
    # Only current memberships: a member who left a group no longer sees its units.
    active = Q(leader=user) | Q(memberships__user=user, memberships__left_at__isnull=True)
    return group_model.objects.filter(active).values("units")


def _county_q(user, county_field: str | None) -> Q:
    if county_field is None:
        return ALL
    if user.county_id:
        return Q(**{county_field: user.county_id})
    if user.unit_id:
        # A unit's people belong to its county; a join avoids an extra query per request.
        return Q(**{f"{county_field}__units": user.unit_id})
    return ALL


def scope_q(user, action: Action | str, *, unit_field: str | None, county_field: str | None) -> Q:
    """The filter that limits a model's rows to what ``user`` may ``action``."""
    action = Action(action)
    if user is None or not user.is_authenticated or not user.is_active:
        return NOTHING
    if user.is_superuser:
        return ALL
    county = _county_q(user, county_field)
    role = user.role
    if role in (Role.ADMIN, Role.OFFICE):
        return county
    if unit_field is None:
        # Campaign-level rows: anyone with a role reads them within the county, nobody else writes.
        return county if action == Action.VIEW and role else NOTHING
    if role == Role.LEADER:
        if action != Action.VIEW:
            return NOTHING
        return Q(**{unit_field: user.unit_id}) if user.unit_id else county
    if role == Role.LIAISON:
        if action == Action.MANAGE or not user.unit_id:
            return NOTHING
        return Q(**{unit_field: user.unit_id})
    if role == Role.SUPERVISOR and action == Action.VIEW:
        return county & Q(**{f"{unit_field}__in": supervised_unit_ids(user)})
    return NOTHING


def can(user, action: Action | str, *, county_id: int | None = None) -> bool:
    """Whether ``user`` may ``action`` at all (for menus and page-level gates, not for rows)."""
    action = Action(action)
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    if county_id is not None and user.county_id not in (None, county_id):
        return False
    if action == Action.MANAGE:
        return user.role in (Role.ADMIN, Role.OFFICE)
    if action == Action.SUBMIT:
        return user.role in (Role.ADMIN, Role.OFFICE) or (user.role == Role.LIAISON and bool(user.unit_id))
    return bool(user.role)


def sees_whole_county(user) -> bool:
    """Whether the user reads every unit's rows (office, admin, campaign leaders) rather than one unit's."""
    if user is None or not user.is_authenticated:
        return False
    return (
        user.is_superuser or user.role in (Role.ADMIN, Role.OFFICE) or (user.role == Role.LEADER and not user.unit_id)
    )


class ScopedQuerySet(models.QuerySet):
    """A queryset that knows how to scope itself to a user. Subclasses name their paths."""

    scope_unit_field: str | None = "unit"
    scope_county_field: str | None = "unit__county"

    def for_user(self, user, action: Action | str = Action.VIEW):
        """Rows of this model that ``user`` may ``action`` (view, submit or manage)."""
        q = scope_q(user, action, unit_field=self.scope_unit_field, county_field=self.scope_county_field)
        if q is NOTHING:
            return self.none()
        return self.filter(q) if q else self
