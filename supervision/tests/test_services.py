"""The rectification state machine of DESIGN.md §3.5, extensions, and who may do what."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from conftest import make_user, unit_named
from luhsan_portal.models import AuditEvent
from luhsan_portal.testing import upload
from supervision.models import ExtensionRequest, Rectification
from supervision.services import (
    finding_record,
    group_save,
    rectification_acknowledge,
    rectification_close,
    rectification_extension_decide,
    rectification_extension_request,
    rectification_reject,
    rectification_reopen,
    rectification_respond,
    rectification_save_draft,
    visit_record,
)

pytestmark = pytest.mark.django_db
S = Rectification.Status


def status_of(rectification) -> str:
    return Rectification.objects.get(pk=rectification.pk).status


def test_the_whole_path_to_closure(order, liaison, supervisor, submit):
    assert order.status == S.OPEN
    rectification_acknowledge(rectification=order, actor=liaison)
    assert status_of(order) == S.IN_PROGRESS
    rectification_save_draft(rectification=order, actor=liaison, description="正在更新")
    evidence = submit()
    rectification_respond(rectification=order, actor=liaison, description="已更新公示栏", evidence=[evidence])
    assert status_of(order) == S.AWAITING_CHECK
    rectification_reject(rectification=order, actor=supervisor, reason="照片不清晰")
    order.refresh_from_db()
    assert (order.status, order.check_reason) == (S.IN_PROGRESS, "照片不清晰")
    rectification_respond(rectification=order, actor=liaison, description="已重新拍照")
    rectification_close(rectification=order, actor=supervisor)
    order.refresh_from_db()
    assert order.status == S.CLOSED
    assert order.closed_at is not None
    verbs = list(AuditEvent.objects.for_target(order).order_by("created_at", "id").values_list("verb", flat=True))
    assert verbs == [
        "rectification.order",
        "rectification.acknowledge",
        "rectification.draft",
        "rectification.respond",
        "rectification.reject",
        "rectification.respond",
        "rectification.close",
    ]


def test_respond_directly_from_open_with_files(order, liaison, png_bytes):
    rectification_respond(
        rectification=order, actor=liaison, description="已整改", files=[upload("现场.png", png_bytes)]
    )
    order.refresh_from_db()
    assert order.status == S.AWAITING_CHECK
    assert order.files.get().name == "现场.png"


@pytest.mark.parametrize(
    ("transition", "message"),
    [
        (lambda r, u: rectification_close(rectification=r, actor=u["supervisor"]), "不能销号"),
        (lambda r, u: rectification_reject(rectification=r, actor=u["supervisor"], reason="x"), "不能复核"),
        (lambda r, u: rectification_reopen(rectification=r, actor=u["office"], reason="x"), "不能重新打开"),
    ],
)
def test_illegal_transitions_are_refused_in_chinese_and_change_nothing(order, personas, transition, message):
    with pytest.raises(ValidationError, match=message):
        transition(order, personas)
    assert status_of(order) == S.OPEN


def test_reopen_needs_a_reason_and_the_office(order, liaison, supervisor, office):
    rectification_respond(rectification=order, actor=liaison, description="已整改")
    rectification_close(rectification=order, actor=supervisor)
    with pytest.raises(PermissionDenied):
        rectification_reopen(rectification=order, actor=supervisor, reason="复查发现反弹")
    with pytest.raises(ValidationError, match="请填写理由"):
        rectification_reopen(rectification=order, actor=office, reason="")
    rectification_reopen(rectification=order, actor=office, reason="复查发现反弹")
    assert status_of(order) == S.IN_PROGRESS


def test_overdue_is_a_flag_beside_the_status(order, liaison):
    Rectification.objects.filter(pk=order.pk).update(deadline=dt.date.today() - dt.timedelta(days=1))
    assert Rectification.objects.with_overdue().get(pk=order.pk).overdue is True
    rectification_respond(rectification=order, actor=liaison, description="已整改")
    assert Rectification.objects.with_overdue().get(pk=order.pk).overdue is False


def test_extension_keeps_the_original_deadline(order, liaison, supervisor):
    first = order.deadline
    later = first + dt.timedelta(days=20)
    with pytest.raises(ValidationError, match="必须晚于"):
        rectification_extension_request(rectification=order, actor=liaison, deadline=first, reason="施工")
    rectification_extension_request(rectification=order, actor=liaison, deadline=later, reason="需要施工改造")
    with pytest.raises(ValidationError, match="已有一份待审批"):
        rectification_extension_request(rectification=order, actor=liaison, deadline=later, reason="再申请")
    with pytest.raises(ValidationError, match="请填写理由"):
        rectification_extension_decide(rectification=order, actor=supervisor, approve=True, reason="")
    rectification_extension_decide(rectification=order, actor=supervisor, approve=True, reason="同意，按期完成")
    order.refresh_from_db()
    assert (order.deadline, order.original_deadline) == (later, first)
    request = ExtensionRequest.objects.get()
    assert (request.status, request.previous_deadline, request.decided_by) == ("approved", first, supervisor)
    with pytest.raises(ValidationError, match="没有待审批"):
        rectification_extension_decide(rectification=order, actor=supervisor, approve=False, reason="x")


def test_a_refused_extension_keeps_the_deadline(order, liaison, office):
    rectification_extension_request(
        rectification=order, actor=liaison, deadline=order.deadline + dt.timedelta(days=5), reason="忙"
    )
    rectification_extension_decide(rectification=order, actor=office, approve=False, reason="时限内可以完成")
    assert Rectification.objects.get(pk=order.pk).deadline == order.deadline


def test_only_the_unit_responds(order, other_liaison):
    with pytest.raises(PermissionDenied):
        rectification_respond(rectification=order, actor=other_liaison, description="x")


def test_only_the_rounds_supervisors_or_the_office_close(order, liaison, county):
    outsider = make_user("other_supervisor", "supervisor", county=county)
    rectification_respond(rectification=order, actor=liaison, description="已整改")
    with pytest.raises(PermissionDenied):
        rectification_close(rectification=order, actor=outsider)
    with pytest.raises(PermissionDenied):
        rectification_close(rectification=order, actor=liaison)
    assert status_of(order) == S.AWAITING_CHECK


def test_a_supervisor_writes_only_for_units_of_its_groups(round_, supervisor, county):
    with pytest.raises(ValidationError, match="不在您所在督导组"):
        finding_record(
            round_=round_,
            unit=unit_named(county, "财政局"),
            description="x",
            requirement="y",
            deadline=dt.date.today() + dt.timedelta(days=3),
            actor=supervisor,
        )


def test_a_past_deadline_is_refused(round_, supervisor, county):
    with pytest.raises(ValidationError, match="不能早于今天"):
        finding_record(
            round_=round_,
            unit=unit_named(county, "司法局"),
            description="x",
            requirement="y",
            deadline=dt.date.today() - dt.timedelta(days=1),
            actor=supervisor,
        )


def test_a_member_who_left_can_no_longer_write_but_history_stays(round_, office, county, supervisor):
    member = make_user("member", "supervisor", county=county)
    group = round_.groups.get()
    group_save(
        round_=round_,
        group=group,
        name=group.name,
        leader=supervisor,
        members=[member],
        units=list(group.units.all()),
        actor=office,
    )
    visit = visit_record(
        group=group,
        unit=unit_named(county, "司法局"),
        date=dt.date.today(),
        actor=member,
        interviewed=[{"name": "王海燕", "post": "联络员"}],
    )
    group_save(
        round_=round_,
        group=group,
        name=group.name,
        leader=supervisor,
        members=[],
        units=list(group.units.all()),
        actor=office,
    )
    assert group.memberships.get(user=member).left_at is not None
    with pytest.raises(PermissionDenied):
        visit_record(group=group, unit=unit_named(county, "司法局"), date=dt.date.today(), actor=member)
    assert visit.created_by == member


def test_visit_photos_must_be_images(round_, supervisor, county, pdf_bytes, png_bytes):
    group = round_.groups.get()
    with pytest.raises(ValidationError, match="不是 JPG 或 PNG"):
        visit_record(
            group=group,
            unit=unit_named(county, "司法局"),
            date=dt.date.today(),
            actor=supervisor,
            photos=[upload("照片.pdf", pdf_bytes)],
        )
    visit = visit_record(
        group=group,
        unit=unit_named(county, "司法局"),
        date=dt.date.today(),
        actor=supervisor,
        photos=[upload("公示栏.png", png_bytes)],
        places_inspected="行政执法公示栏",
    )
    assert visit.photos.get().name == "公示栏.png"


def test_a_unit_referenced_by_supervision_cannot_be_deleted(order):
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        order.unit.delete()
