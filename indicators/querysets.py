"""Named read paths for indicators, campaigns and assignments."""

from django.db import models
from django.db.models import Case, Exists, OuterRef, Q, Subquery, Value, When
from django.utils import timezone

from luhsan_portal.access import Action, ScopedQuerySet


class IndicatorQuerySet(models.QuerySet):
    def for_user(self, user, action: Action | str = Action.VIEW) -> "IndicatorQuerySet":
        """Frameworks are reference data: every signed-in user reads them, only the office changes them."""
        from luhsan_portal.access import can

        return self if can(user, action) else self.none()

    def assessable(self) -> "IndicatorQuerySet":
        """Level-3 and bonus indicators: the ones assigned, evidenced and counted."""
        return self.filter(level__in=["3", "bonus"])

    def for_tree(self) -> "IndicatorQuerySet":
        """Every node in tree order with its methods; the tree page groups them in Python."""
        return (
            self.order_by("sort_key")
            .prefetch_related("evaluation_methods")
            .defer("requirement", "guidance", "required_evidence")
        )


class CampaignQuerySet(ScopedQuerySet):
    scope_unit_field = None
    scope_county_field = "county"


class AssignmentStatus(models.TextChoices):
    NOT_SUBMITTED = "not_submitted", "未提交"
    PENDING = "pending", "待审核"
    RETURNED = "returned", "已退回"
    APPROVED = "approved", "已通过"
    WAIVED = "waived", "不适用"


# DESIGN.md §3.1: an assignment is overdue when its due date has passed and nothing acceptable is in.
OVERDUE_STATUSES = (AssignmentStatus.NOT_SUBMITTED, AssignmentStatus.RETURNED)


def is_overdue(status: str, due_date, today) -> bool:
    """The ``overdue`` annotation of ``with_status`` for a row already read (whole-campaign figures
    count in Python rather than repeat the status subqueries in SQL)."""
    return due_date is not None and due_date < today and status in OVERDUE_STATUSES


class AssignmentQuerySet(ScopedQuerySet):
    scope_unit_field = "unit"
    scope_county_field = "campaign__county"

    def with_status(self, today=None, as_of=None, campaign=None) -> "AssignmentQuerySet":
        """Annotate ``status`` and ``overdue`` exactly as DESIGN.md §3.1 defines them (one place).

        Derived from the submissions serving the assignment, withdrawn ones ignored: approved, else
        pending, else returned, else not submitted; a waiver by the office overrides all of them.
        With ``as_of`` (an aware datetime) the status is the one the assignment had at that moment,
        read from the submissions' own timestamps — how a past day's figures are recomputed.

        Give ``campaign`` when every row belongs to it (a whole campaign's figures): the subqueries
        then become uncorrelated sets of that campaign's assignment ids, which PostgreSQL hashes once
        instead of probing per row — 6,000 rows cost one pass over the campaign's submissions.
        """
        from evidence.models import EvidenceAssignment

        if as_of is not None and today is None:
            today = timezone.localtime(as_of).date()
        today = today or timezone.localdate()
        if campaign is not None:
            serving_rows = EvidenceAssignment.objects.filter(evidence__campaign_id=getattr(campaign, "pk", campaign))
        else:
            # The campaign condition changes no result (a submission serves assignments of its own
            # campaign) but keeps PostgreSQL's subplans to one campaign's rows instead of a city's.
            serving_rows = EvidenceAssignment.objects.filter(
                assignment_id=OuterRef("pk"), evidence__campaign_id=OuterRef("campaign_id")
            )

        def exists(rows) -> Q | Exists:
            return Q(pk__in=rows.values("assignment_id")) if campaign is not None else Exists(rows)

        def serving(status: str):
            if as_of is None:
                return exists(serving_rows.filter(evidence__status=status))
            decided = Q(evidence__reviewed_at__lte=as_of)
            if status == "pending":
                still_open = (
                    Q(evidence__status="pending")
                    | (Q(evidence__status__in=["approved", "returned"]) & ~decided)
                    | Q(evidence__status="withdrawn", evidence__withdrawn_at__gt=as_of)
                )
                return exists(serving_rows.filter(Q(evidence__created_at__lte=as_of) & still_open))
            return exists(serving_rows.filter(decided, evidence__status=status))

        waived = Q(waived_at__isnull=False) if as_of is None else Q(waived_at__lte=as_of)
        status = Case(
            When(waived, then=Value(AssignmentStatus.WAIVED)),
            When(serving("approved"), then=Value(AssignmentStatus.APPROVED)),
            When(serving("pending"), then=Value(AssignmentStatus.PENDING)),
            When(serving("returned"), then=Value(AssignmentStatus.RETURNED)),
            default=Value(AssignmentStatus.NOT_SUBMITTED),
            output_field=models.CharField(),
        )
        overdue = Case(
            When(
                Q(due_date__lt=today) & Q(status__in=OVERDUE_STATUSES),
                then=Value(True),
            ),
            default=Value(False),
            output_field=models.BooleanField(),
        )
        return self.annotate(status=status).annotate(overdue=overdue)

    def with_latest_return(self) -> "AssignmentQuerySet":
        """Annotate ``return_reason``: the reason of the latest returned submission serving it."""
        from evidence.models import EvidenceAssignment

        latest = (
            EvidenceAssignment.objects.filter(assignment_id=OuterRef("pk"), evidence__status="returned")
            .order_by("-evidence__reviewed_at", "-evidence_id")
            .values("evidence__review_reason")[:1]
        )
        return self.annotate(return_reason=Subquery(latest))

    def with_last_submission(self) -> "AssignmentQuerySet":
        """Annotate ``last_submitted_at``: when the latest submission (not withdrawn) serving it arrived."""
        from evidence.models import EvidenceAssignment

        latest = (
            EvidenceAssignment.objects.filter(assignment_id=OuterRef("pk"))
            .exclude(evidence__status="withdrawn")
            .order_by("-evidence__created_at")
            .values("evidence__created_at")[:1]
        )
        return self.annotate(last_submitted_at=Subquery(latest))

    def for_api_list(self) -> "AssignmentQuerySet":
        return self.with_status().order_by("id")

    def for_listing(self) -> "AssignmentQuerySet":
        """Rows shown in tables: indicator (with its area), unit and kind joined, status and the
        latest return reason annotated."""
        return (
            self.with_status()
            .with_latest_return()
            .select_related("indicator__area", "indicator__parent", "unit__kind", "campaign")
        )
