"""Progress figures: the boundary cases of DESIGN.md §3.1–§3.3, and agreement between the dashboard,
the unit page, the Excel ledger, the API, the snapshots and an independent count from raw rows."""

import datetime as dt
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.test import APIClient

from evidence.models import Evidence
from evidence.services import evidence_approve, evidence_return, evidence_submit, evidence_withdraw
from indicators.models import Assignment, Indicator
from indicators.services import assignment_waive, campaign_create
from luhsan_portal.testing import upload
from reports.models import ProgressSnapshot
from reports.progress import campaign_progress
from reports.services import progress_snapshot_record

pytestmark = pytest.mark.django_db


def status(assignment) -> tuple[str, bool]:
    row = Assignment.objects.with_status().get(pk=assignment.pk)
    return row.status, row.overdue


def test_campaign_not_started_yet(campaign):
    progress = campaign_progress(campaign, today=dt.date(2025, 12, 1))
    assert progress.time_ratio == 0
    assert progress.double_half is None


def test_past_its_target_date(campaign):
    progress = campaign_progress(campaign, today=dt.date(2027, 3, 1))
    assert progress.time_ratio == 1
    assert progress.double_half is False
    assert progress.days_left == 0


def test_exactly_at_the_half_way_date_is_judged(county, framework):
    campaign = campaign_create(
        name="半程",
        framework=framework,
        start_date=dt.date(2026, 1, 1),
        target_date=dt.date(2026, 1, 11),
        county=county,
    )
    assert campaign_progress(campaign, today=dt.date(2026, 1, 5)).double_half is None
    half = campaign_progress(campaign, today=dt.date(2026, 1, 6))
    assert half.time_ratio == 0.5
    assert half.double_half is False  # judged from this day on


def test_an_indicator_without_assignments_is_incomplete_and_flagged(campaign):
    Assignment.objects.filter(campaign=campaign, indicator__code="4").delete()
    progress = campaign_progress(campaign)
    assert progress.indicators_unassigned == 1
    assert progress.indicators_total == 4


def test_bonus_indicators_are_counted_beside_not_inside_the_work_ratio(campaign, office, pdf_bytes):
    bonus = Assignment.objects.select_related("indicator", "unit").get(campaign=campaign, indicator__code="附1")
    liaison_user = _liaison_for(bonus.unit)
    evidence = evidence_submit(
        unit=bonus.unit,
        assignments=[bonus],
        title="表彰文件",
        actor=liaison_user,
        unclassified=True,
        files=[upload("表彰.pdf", pdf_bytes)],
    )
    evidence_approve(evidence=evidence, actor=office)
    progress = campaign_progress(campaign)
    assert (progress.bonus_complete, progress.bonus_total) == (1, 1)
    assert progress.work_ratio == 0


def _liaison_for(unit):
    from conftest import make_user

    return make_user(f"l{unit.pk}", "liaison", county=unit.county, unit=unit)


def test_waived_counts_as_done(campaign, office, justice_assignments):
    assignment_waive(assignment=justice_assignments["3"], actor=office, reason="无此职能")
    justice = campaign_progress(campaign).unit(justice_assignments["3"].unit_id)
    assert justice.done == 1


def test_returned_then_approved_is_approved(submit, office, justice_assignments):
    v1 = submit()
    evidence_return(evidence=v1, actor=office, reason="不完整")
    v2 = submit(previous=v1)
    evidence_approve(evidence=v2, actor=office)
    assert status(justice_assignments["1"]) == ("approved", False)


def test_one_evidence_reused_across_assignments_completes_both(campaign, submit, office, justice_assignments):
    evidence = submit(codes=("1", "3"))
    evidence_approve(evidence=evidence, actor=office)
    justice = campaign_progress(campaign).unit(justice_assignments["1"].unit_id)
    assert justice.done == 2


def test_a_withdrawn_submission_does_not_count(submit, liaison, justice_assignments):
    evidence_withdraw(evidence=submit(), actor=liaison)
    assert status(justice_assignments["1"])[0] == "not_submitted"


def test_submitted_before_the_due_date_and_waiting_is_not_overdue(submit, justice_assignments):
    task = justice_assignments["1"]
    Assignment.objects.filter(pk=task.pk).update(due_date=timezone.localdate() - dt.timedelta(days=1))
    assert status(task) == ("not_submitted", True)
    submit()
    assert status(task) == ("pending", False)


def test_a_past_day_is_recomputed_from_the_submissions_own_times(submit, office, justice_assignments, campaign):
    evidence = submit()
    evidence_approve(evidence=evidence, actor=office)
    long_ago = timezone.now() - dt.timedelta(days=20)
    Evidence.objects.filter(pk=evidence.pk).update(created_at=long_ago, reviewed_at=long_ago + dt.timedelta(days=10))
    task = justice_assignments["1"]

    def status_on(days_ago: int) -> str:
        as_of = timezone.now() - dt.timedelta(days=days_ago)
        return Assignment.objects.with_status(as_of=as_of).get(pk=task.pk).status

    assert status_on(25) == "not_submitted"
    assert status_on(15) == "pending"
    assert status_on(5) == "approved"


# ---------------------------------------------------------------------------
# Agreement everywhere
# ---------------------------------------------------------------------------


def _independent(campaign, today):
    """The figures computed from raw rows with plain Python, not with the portal's code."""
    assignments = list(
        Assignment.objects.filter(campaign=campaign).values("id", "indicator_id", "unit_id", "waived_at")
    )
    links = {}
    for e in Evidence.objects.filter(campaign=campaign).prefetch_related("links_to_assignments"):
        for link in e.links_to_assignments.all():
            links.setdefault(link.assignment_id, []).append(e.status)
    done_ids = set()
    for a in assignments:
        statuses = links.get(a["id"], [])
        if a["waived_at"] or "approved" in statuses:
            done_ids.add(a["id"])
    level3 = list(Indicator.objects.filter(framework=campaign.framework, level="3").values_list("id", flat=True))
    by_indicator = {}
    for a in assignments:
        by_indicator.setdefault(a["indicator_id"], []).append(a["id"] in done_ids)
    complete = [i for i in level3 if by_indicator.get(i) and all(by_indicator[i])]
    per_unit = {}
    for a in assignments:
        total, done = per_unit.get(a["unit_id"], (0, 0))
        per_unit[a["unit_id"]] = (total + 1, done + (a["id"] in done_ids))
    return {
        "indicators_complete": len(complete),
        "work_ratio": round(len(complete) / len(level3), 4),
        "assignments_total": len(assignments),
        "assignments_done": len(done_ids),
        "units": per_unit,
    }


def test_figures_agree_everywhere(campaign, submit, office, liaison, justice_assignments, as_user, pdf_bytes):
    # A mixed day: approvals, a return, a waiver, a withdrawal, a reuse across two assignments.
    evidence_approve(evidence=submit(codes=("1", "3")), actor=office)
    evidence_return(evidence=submit(codes=("2",)), actor=office, reason="不完整")
    evidence_withdraw(evidence=submit(codes=("4",)), actor=liaison)
    for a in Assignment.objects.filter(campaign=campaign, indicator__code__in=["1", "3"]).exclude(unit=liaison.unit):
        assignment_waive(assignment=a, actor=office, reason="无此职能")
    today = timezone.localdate()
    expected = _independent(campaign, today)
    assert expected["indicators_complete"] == 2  # a non-trivial case

    api = APIClient()
    api.force_authenticate(office)
    body = api.get(f"/api/v1/campaigns/{campaign.pk}/progress/").json()
    assert body["indicators_complete"] == expected["indicators_complete"]
    assert body["work_ratio"] == expected["work_ratio"]
    assert (body["assignments_total"], body["assignments_approved"]) == (
        expected["assignments_total"],
        expected["assignments_done"],
    )
    for row in body["units"]:
        assert (row["assignments_total"], row["assignments_approved"]) == expected["units"][row["id"]]

    dashboard = as_user(office).get("/dashboard/")
    progress = dashboard.context["progress"]
    assert (progress.indicators_complete, progress.assignments_done) == (
        expected["indicators_complete"],
        expected["assignments_done"],
    )
    unit_page = as_user(office).get(f"/dashboard/units/{liaison.unit_id}/")
    assert (unit_page.context["figures"].total, unit_page.context["figures"].done) == expected["units"][liaison.unit_id]

    progress_snapshot_record(campaign=campaign)
    snap = ProgressSnapshot.objects.get(campaign=campaign, date=today, kind="campaign")
    assert (snap.indicators_complete, snap.assignments_done) == (
        expected["indicators_complete"],
        expected["assignments_done"],
    )
    unit_snap = ProgressSnapshot.objects.get(campaign=campaign, date=today, scope_key=f"unit:{liaison.unit_id}")
    assert (unit_snap.assignments_total, unit_snap.assignments_done) == expected["units"][liaison.unit_id]

    ledger = load_workbook(io.BytesIO(as_user(office).get("/dashboard/ledger.xlsx").content))
    summary = {row[0]: row[1] for row in ledger["汇总"].iter_rows(values_only=True) if row and row[0]}
    assert summary["已完成三级指标"] == expected["indicators_complete"]
    assert summary["已完成任务（已通过或不适用）"] == expected["assignments_done"]
    rows = [r for name in ledger.sheetnames[1:] for r in ledger[name].iter_rows(min_row=2, values_only=True)]
    assert len(rows) == expected["assignments_total"]
    assert sum(1 for r in rows if r[7] in ("已通过", "不适用")) == expected["assignments_done"]
