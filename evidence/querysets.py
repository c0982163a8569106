"""Named read paths for evidence, behind the one access gate."""

from django.db import models
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce

from luhsan_portal.access import NOTHING, Action, Role, ScopedQuerySet, scope_q


class StoredFileQuerySet(models.QuerySet):
    pass


class EvidenceQuerySet(ScopedQuerySet):
    scope_unit_field = "unit"
    scope_county_field = "campaign__county"

    def for_user(self, user, action: Action | str = Action.VIEW) -> "EvidenceQuerySet":
        """The unit's own submissions; for viewing, a lead unit also sees what its co-units
        submitted on the indicators it leads (DESIGN.md §1)."""
        own = scope_q(user, action, unit_field=self.scope_unit_field, county_field=self.scope_county_field)
        if Action(action) == Action.VIEW and getattr(user, "role", None) == Role.LIAISON and user.unit_id:
            from indicators.models import Assignment

            led = Assignment.objects.filter(
                unit_id=user.unit_id,
                role=Assignment.Role.LEAD,
                campaign_id=OuterRef("assignment__campaign_id"),
                indicator_id=OuterRef("assignment__indicator_id"),
            )
            from evidence.models import EvidenceAssignment

            serving_led = EvidenceAssignment.objects.filter(evidence_id=OuterRef("pk")).filter(Exists(led))
            return self.filter(own | Q(Exists(serving_led)))
        if own is NOTHING:
            return self.none()
        return self.filter(own) if own else self

    def for_review_queue(self) -> "EvidenceQuerySet":
        """The office's queue: unit, submitter and the served indicators, oldest first."""
        return (
            self.select_related("unit", "created_by", "campaign")
            .prefetch_related(assignments_prefetch())
            .annotate(file_count=_count_of("files"), link_count=_count_of("links"))
            .order_by("created_at", "id")
        )

    def for_detail(self) -> "EvidenceQuerySet":
        return self.select_related(
            "unit", "created_by", "reviewed_by", "withdrawn_by", "campaign", "previous"
        ).prefetch_related(files_prefetch(), "links", assignments_prefetch())

    def for_api_list(self) -> "EvidenceQuerySet":
        return self.prefetch_related(files_prefetch(), "links", "links_to_assignments").order_by("-created_at", "-id")


def files_prefetch() -> Prefetch:
    """A submission's files with their stored bytes' facts, in one query."""
    from evidence.models import EvidenceFile

    return Prefetch("files", queryset=EvidenceFile.objects.select_related("stored"))


def assignments_prefetch() -> Prefetch:
    """The assignments a submission serves, with their indicators, in one query."""
    from indicators.models import Assignment

    return Prefetch("assignments", queryset=Assignment.objects.select_related("indicator"))


def _count_of(relation: str):
    """A per-row count as a correlated subquery: computed for the page's rows only, and left out
    of the paginator's COUNT (a JOIN + GROUP BY over every pending row would not be)."""
    from evidence.models import Evidence

    model = Evidence._meta.get_field(relation).related_model
    counts = model.objects.filter(evidence_id=OuterRef("pk")).order_by().values("evidence_id").annotate(n=Count("id"))
    return Coalesce(Subquery(counts.values("n")), 0)
