"""Reads of the evidence pages: revision chains, histories, a task's submissions, queue ages."""

import datetime as dt

from django.db.models import Count, Q
from django.utils import timezone

from evidence.models import Evidence
from evidence.querysets import files_prefetch
from indicators.models import Assignment
from luhsan_portal.models import AuditEvent


def evidence_chain(evidence: Evidence) -> list[Evidence]:
    """v1, v2, … of the revision chain this submission belongs to, in one query."""
    root_id = evidence.root_id or evidence.pk
    return list(
        Evidence.objects.filter(Q(pk=root_id) | Q(root_id=root_id))
        .only("id", "previous_id", "revision", "status", "title", "created_at")
        .order_by("revision", "id")
    )


def audit_for(evidence: Evidence):
    return AuditEvent.objects.for_target(evidence).select_related("actor")


def evidence_list_for_assignment(*, user, assignment: Assignment) -> list[Evidence]:
    """Every submission serving the assignment (withdrawn included, for the record), newest first."""
    return list(
        Evidence.objects.for_user(user)
        .filter(links_to_assignments__assignment=assignment)
        .select_related("created_by", "reviewed_by")
        .prefetch_related(files_prefetch(), "links")
        .order_by("-created_at", "-id")
    )


def co_unit_evidence(*, user, assignment: Assignment) -> list[Evidence]:
    """For a lead assignment: what the co-responsible units submitted on the same indicator."""
    if assignment.role != Assignment.Role.LEAD:
        return []
    return list(
        Evidence.objects.for_user(user)
        .filter(
            links_to_assignments__assignment__indicator_id=assignment.indicator_id,
            links_to_assignments__assignment__campaign_id=assignment.campaign_id,
        )
        .exclude(unit_id=assignment.unit_id)
        .exclude(status=Evidence.Status.WITHDRAWN)
        .select_related("unit", "created_by")
        .prefetch_related(files_prefetch(), "links")
        .distinct()
        .order_by("unit__order", "-created_at")
    )


def indicator_history(*, user, indicator, campaign) -> list[dict]:
    """Every submission on the indicator in the campaign with its audit events, oldest first."""
    submissions = list(
        Evidence.objects.for_user(user)
        .filter(
            links_to_assignments__assignment__indicator=indicator,
            links_to_assignments__assignment__campaign=campaign,
        )
        .select_related("unit", "created_by", "reviewed_by", "withdrawn_by")
        .prefetch_related(files_prefetch(), "links")
        .distinct()
        .order_by("created_at", "id")
    )
    from django.contrib.contenttypes.models import ContentType

    events: dict[str, list[AuditEvent]] = {}
    if submissions:
        rows = AuditEvent.objects.filter(
            target_type=ContentType.objects.get_for_model(Evidence),
            target_id__in=[str(e.pk) for e in submissions],
        ).select_related("actor")
        for event in rows.order_by("created_at", "id"):
            events.setdefault(event.target_id, []).append(event)
    return [{"evidence": e, "events": events.get(str(e.pk), [])} for e in submissions]


def pending_by_age(queryset) -> list[tuple[str, int]]:
    """Pending submissions bucketed by how long they have waited (one query)."""
    now = timezone.now()
    counts = queryset.filter(status=Evidence.Status.PENDING).aggregate(
        within_3=Count("id", filter=Q(created_at__gt=now - dt.timedelta(days=3))),
        within_7=Count(
            "id", filter=Q(created_at__lte=now - dt.timedelta(days=3), created_at__gt=now - dt.timedelta(days=7))
        ),
        within_14=Count(
            "id", filter=Q(created_at__lte=now - dt.timedelta(days=7), created_at__gt=now - dt.timedelta(days=14))
        ),
        older=Count("id", filter=Q(created_at__lte=now - dt.timedelta(days=14))),
    )
    return [
        ("3天内", counts["within_3"]),
        ("3–7天", counts["within_7"]),
        ("7–14天", counts["within_14"]),
        ("超过14天", counts["older"]),
    ]


def broken_link_count(*, user, campaign) -> int:
    """Links that answered 404/500 at their last check, on submissions the user's unit (or, for the
    office, the county) still relies on."""
    from evidence.models import EvidenceLink
    from luhsan_portal.access import Action

    return (
        EvidenceLink.objects.filter(
            check_status=EvidenceLink.CheckStatus.BROKEN,
            evidence__in=Evidence.objects.for_user(user, Action.SUBMIT).filter(campaign=campaign),
        )
        .exclude(evidence__status=Evidence.Status.WITHDRAWN)
        .count()
    )
