"""Submitting, reviewing and withdrawing evidence, and what the assignment status becomes."""

import hashlib
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError

from evidence.models import Evidence, EvidenceFile, StoredFile
from evidence.services import (
    AlreadySubmitted,
    evidence_approve,
    evidence_bulk_approve,
    evidence_return,
    evidence_submit,
    evidence_withdraw,
)
from evidence.storage import blob_name
from indicators.models import Assignment
from luhsan_portal.models import AuditEvent
from luhsan_portal.testing import upload, zip_of

pytestmark = pytest.mark.django_db


def status_of(assignment) -> str:
    return Assignment.objects.with_status().get(pk=assignment.pk).status


def blobs() -> list[Path]:
    root = Path(settings.MEDIA_ROOT) / "blobs"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_submit_stores_the_file_once_by_sha256(submit, pdf_bytes):
    first = submit()
    second = submit(codes=("3",), title="另一份")
    digest = hashlib.sha256(pdf_bytes).hexdigest()
    assert StoredFile.objects.count() == 1
    stored = StoredFile.objects.get()
    assert (stored.sha256, stored.size, stored.kind) == (digest, len(pdf_bytes), "pdf")
    assert blobs() == [Path(settings.MEDIA_ROOT) / blob_name(digest)]
    assert (Path(settings.MEDIA_ROOT) / blob_name(digest)).read_bytes() == pdf_bytes
    assert first.files.get().stored == second.files.get().stored


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("报告\x00.pdf", "报告.pdf"),
        (".pdf", "未命名.pdf"),
        ("C:\\Users\\张三\\2024年工作总结（终稿）.pdf", "2024年工作总结（终稿）.pdf"),
    ],
)
def test_odd_names_are_kept_safe_for_display_and_never_used_as_paths(submit, pdf_bytes, name, expected):
    evidence = submit(files=[upload(name, pdf_bytes)])
    assert evidence.files.get().name == expected
    assert all(p.name == hashlib.sha256(pdf_bytes).hexdigest() for p in blobs())


def test_a_300_character_chinese_name_is_shortened_keeping_the_extension(submit, pdf_bytes):
    name = "关于" + "法治政府建设" * 50 + ".pdf"
    stored_name = submit(files=[upload(name, pdf_bytes)]).files.get().name
    assert stored_name.endswith(".pdf")
    assert stored_name.startswith("关于法治政府建设")
    assert len(stored_name) <= 200


@pytest.mark.parametrize(
    ("name", "builder", "message"),
    [
        ("说明.pdf", lambda f: f["exe"], "可执行"),
        ("页面.pdf", lambda f: b"\xef\xbb\xbf<!DOCTYPE html><html><script>alert(1)</script></html>", "HTML"),
        ("空.pdf", lambda f: b"", "文件为空"),
        ("打包.zip", lambda f: zip_of(**{"材料.pdf": f["pdf"], "安装.exe": f["exe"]}), "安装.exe"),
        ("脚本.docx", lambda f: b"#!/bin/sh\nrm -rf /\n", "脚本"),
    ],
)
def test_refused_uploads_leave_no_record_and_no_file(submit, pdf_bytes, exe_bytes, name, builder, message):
    data = builder({"exe": exe_bytes, "pdf": pdf_bytes})
    with pytest.raises(ValidationError) as caught:
        submit(files=[upload("好文件.pdf", pdf_bytes), upload(name, data)])
    assert any(message in m for m in caught.value.messages), caught.value.messages
    assert not Evidence.objects.exists()
    assert not StoredFile.objects.exists()
    assert blobs() == []


def test_a_zip_bomb_is_refused(submit, pdf_bytes):
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("big.pdf", b"%PDF-1.4\n" + b"\x00" * (50 * 1024 * 1024))
    with pytest.raises(ValidationError, match="压缩"):
        submit(files=[upload("炸弹.zip", buf.getvalue())])
    assert not StoredFile.objects.exists()


def test_a_zip_of_accepted_files_is_accepted(submit, pdf_bytes, png_bytes, docx_bytes):
    evidence = submit(
        files=[upload("材料汇编.zip", zip_of(**{"a.pdf": pdf_bytes, "b.png": png_bytes, "c.docx": docx_bytes}))]
    )
    assert evidence.files.get().stored.kind == "zip"


def test_the_unclassified_confirmation_is_required(submit):
    with pytest.raises(ValidationError, match="不涉密"):
        submit(unclassified=False)
    assert not Evidence.objects.exists()
    assert blobs() == []


def test_something_must_be_submitted(submit):
    with pytest.raises(ValidationError, match="至少上传一个文件"):
        submit(files=[])


def test_a_statement_or_a_link_alone_is_enough(submit):
    assert submit(files=[], statement="本单位已按要求完成清单调整。").statement
    evidence = submit(
        files=[],
        links=[{"url": "https://www.hnls.gov.cn/a.html", "site": "鲁山县人民政府网", "published_on": "2024年1月12日"}],
    )
    link = evidence.links.get()
    assert (link.site, link.published_on.isoformat(), link.check_status) == (
        "鲁山县人民政府网",
        "2024-01-12",
        "unchecked",
    )


@pytest.mark.parametrize("url", ["javascript:alert(1)", "www.example.com", "ftp://x.cn/a"])
def test_bad_links_are_refused(submit, url):
    with pytest.raises(ValidationError, match="不是有效的网址"):
        submit(files=[], links=[{"url": url}])


def test_only_the_units_own_assignments_can_be_served(submit, campaign, liaison, pdf_bytes):
    foreign = (
        Assignment.objects.filter(campaign=campaign).exclude(unit=liaison.unit).select_related("indicator").first()
    )
    with pytest.raises(ValidationError, match="本单位"):
        evidence_submit(
            unit=liaison.unit,
            assignments=[foreign],
            title="x",
            actor=liaison,
            unclassified=True,
            files=[upload("a.pdf", pdf_bytes)],
        )


def test_a_waived_assignment_takes_no_evidence(submit, justice_assignments, office):
    from indicators.services import assignment_waive

    assignment_waive(assignment=justice_assignments["1"], actor=office, reason="无此职能")
    justice_assignments["1"].refresh_from_db()
    with pytest.raises(ValidationError, match="不适用"):
        submit()


def test_status_follows_the_submissions(submit, justice_assignments, office, liaison):
    task = justice_assignments["1"]
    assert status_of(task) == "not_submitted"
    v1 = submit()
    assert status_of(task) == "pending"
    evidence_return(evidence=v1, actor=office, reason="缺少正式印发文件")
    row = Assignment.objects.with_status().with_latest_return().get(pk=task.pk)
    assert (row.status, row.return_reason) == ("returned", "缺少正式印发文件")
    v2 = submit(previous=v1, title="权责清单调整文件（正式版）")
    assert (v2.revision, v2.previous_id) == (2, v1.pk)
    assert status_of(task) == "pending"
    evidence_approve(evidence=v2, actor=office)
    assert status_of(task) == "approved"
    # Supplementary material after approval is a new submission and does not lower the status.
    submit(title="补充材料")
    assert status_of(task) == "approved"


def test_a_withdrawn_submission_is_ignored(submit, justice_assignments, liaison):
    evidence = submit()
    evidence_withdraw(evidence=evidence, actor=liaison, reason="传错文件")
    assert status_of(justice_assignments["1"]) == "not_submitted"
    assert Evidence.objects.get(pk=evidence.pk).withdraw_reason == "传错文件"


def test_one_submission_serves_several_assignments_and_one_review_decides_all(submit, justice_assignments, office):
    evidence = submit(codes=("1", "3"))
    evidence_approve(evidence=evidence, actor=office)
    assert status_of(justice_assignments["1"]) == "approved"
    assert status_of(justice_assignments["3"]) == "approved"


@pytest.mark.parametrize("first", ["approve", "return", "withdraw"])
def test_only_pending_submissions_change(submit, office, liaison, first):
    evidence = submit()
    {
        "approve": lambda: evidence_approve(evidence=evidence, actor=office),
        "return": lambda: evidence_return(evidence=evidence, actor=office, reason="x"),
        "withdraw": lambda: evidence_withdraw(evidence=evidence, actor=liaison),
    }[first]()
    final = Evidence.objects.get(pk=evidence.pk).status
    for again in (
        lambda: evidence_approve(evidence=evidence, actor=office),
        lambda: evidence_return(evidence=evidence, actor=office, reason="y"),
        lambda: evidence_withdraw(evidence=evidence, actor=liaison),
    ):
        with pytest.raises(ValidationError, match="只有待审核的材料"):
            again()
    assert Evidence.objects.get(pk=evidence.pk).status == final


def test_return_needs_a_reason(submit, office):
    evidence = submit()
    with pytest.raises(ValidationError, match="退回必须填写理由"):
        evidence_return(evidence=evidence, actor=office, reason="   ")
    assert Evidence.objects.get(pk=evidence.pk).status == "pending"


def test_a_returned_version_is_answered_once(submit, office):
    v1 = submit()
    evidence_return(evidence=v1, actor=office, reason="不完整")
    submit(previous=v1)
    with pytest.raises(ValidationError, match="已经重新提交过"):
        submit(previous=v1)


def test_every_transition_is_audited_with_old_new_and_reason(submit, office):
    evidence = submit()
    evidence_return(evidence=evidence, actor=office, reason="扫描件不清晰")
    events = list(AuditEvent.objects.for_target(evidence).order_by("created_at", "id"))
    assert [e.verb for e in events] == ["evidence.submit", "evidence.return"]
    assert events[0].changes["status"] == [None, "待审核"]
    assert events[1].changes["status"] == ["待审核", "已退回"]
    assert events[1].reason == "扫描件不清晰"
    assert events[1].actor == office


def test_reuse_attaches_the_same_stored_files_without_uploading(submit, justice_assignments):
    first = submit(links=[{"url": "https://www.hnls.gov.cn/1.html", "site": "县政府网"}])
    second = submit(codes=("3",), files=[], reuse=first, title="引用")
    assert second.files.get().stored_id == first.files.get().stored_id
    assert second.links.get().url == "https://www.hnls.gov.cn/1.html"
    assert StoredFile.objects.count() == 1


def test_the_same_form_submitted_twice_creates_one_submission(submit):
    first = submit(client_token="abc123")
    with pytest.raises(AlreadySubmitted) as caught:
        submit(client_token="abc123")
    assert caught.value.evidence == first
    assert Evidence.objects.count() == 1


def test_a_database_failure_after_storing_removes_the_new_blob(submit, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(EvidenceFile.objects, "bulk_create", explode)
    with pytest.raises(RuntimeError):
        submit()
    assert not Evidence.objects.exists()
    assert not StoredFile.objects.exists()
    assert blobs() == []


def test_bulk_approve_skips_what_is_no_longer_pending(submit, office, liaison):
    a, b = submit(), submit(codes=("3",))
    evidence_withdraw(evidence=b, actor=liaison)
    approved, skipped = evidence_bulk_approve(evidences=[a, b], actor=office)
    assert approved == 1
    assert len(skipped) == 1
    assert "已撤回" in skipped[0]


def test_submission_enqueues_the_link_check_and_a_review_the_recompute(
    submit, office, django_capture_on_commit_callbacks, settings
):
    settings.LINK_CHECK_ENABLED = False
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        evidence = submit(links=[{"url": "https://www.hnls.gov.cn/x.html"}])
    assert [c.__name__ for c in callbacks] == ["<lambda>"]  # the link check only
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        evidence_approve(evidence=evidence, actor=office)
    assert [c.__name__ for c in callbacks] == ["recompute"]
