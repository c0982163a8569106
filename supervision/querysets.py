"""Named read paths for supervision, behind the one access gate."""

from django.db import models
from django.db.models import Case, Q, Value, When
from django.utils import timezone

from luhsan_portal.access import Action, Role, ScopedQuerySet, scope_q, sees_whole_county


def _member_q(user, prefix: str = "") -> Q:
    """Groups the user leads or is (still) a member of."""
    return Q(**{f"{prefix}leader": user}) | Q(
        **{f"{prefix}memberships__user": user, f"{prefix}memberships__left_at__isnull": True}
    )


class RoundQuerySet(models.QuerySet):
    def for_user(self, user, action: Action | str = Action.VIEW):
        """Office/admin: their county's rounds; leaders read them; supervisors: rounds they serve in;
        liaisons: rounds that visit their unit."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        county = scope_q(user, action, unit_field=None, county_field="campaign__county")
        if user.is_superuser or user.role in (Role.OFFICE, Role.ADMIN):
            return self.filter(county)
        if Action(action) != Action.VIEW:
            return self.none()
        if sees_whole_county(user):
            return self.filter(county)
        if user.role == Role.SUPERVISOR:
            return self.filter(county & _member_q(user, "groups__")).distinct()
        if user.unit_id:
            return self.filter(county, groups__units=user.unit_id).distinct()
        return self.none()


class GroupQuerySet(models.QuerySet):
    def for_user(self, user, action: Action | str = Action.VIEW):
        from supervision.models import SupervisionRound

        return self.filter(round__in=SupervisionRound.objects.for_user(user, action).values("pk"))


class VisitQuerySet(ScopedQuerySet):
    scope_unit_field = "unit"
    scope_county_field = "group__round__campaign__county"


class FindingQuerySet(ScopedQuerySet):
    scope_unit_field = "unit"
    scope_county_field = "round__campaign__county"


class RectificationQuerySet(ScopedQuerySet):
    scope_unit_field = "unit"
    scope_county_field = "finding__round__campaign__county"

    def with_overdue(self, today=None) -> "RectificationQuerySet":
        """逾期: the deadline has passed and the order is neither awaiting re-check nor closed."""
        today = today or timezone.localdate()
        return self.annotate(
            overdue=Case(
                When(Q(deadline__lt=today) & Q(status__in=["open", "in_progress"]), then=Value(True)),
                default=Value(False),
                output_field=models.BooleanField(),
            )
        )

    def for_listing(self) -> "RectificationQuerySet":
        return self.with_overdue().select_related("unit", "finding__round", "finding__visit__group")
