"""The export job (queue → claim → build → done/failed, requeue after a killed worker), its pages,
permissions, downloads and audit trail; and a worker killed mid-export."""

import datetime as dt
import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conftest import make_user
from evidence.services import evidence_approve
from luhsan_portal.models import AuditEvent
from luhsan_portal.testing import upload
from reports.models import PackageExport
from reports.packages.collect import Options
from reports.packages.verify import verify
from reports.services import (
    PACKAGE_GAVE_UP,
    package_export_request,
    package_export_run,
    package_export_sweep,
)


@pytest.fixture
def approved(submit, office, pdf_bytes, png_bytes):
    items = [
        submit(codes=("1",), title="权责清单调整文件", files=[upload("清单.pdf", pdf_bytes)]),
        submit(codes=("3",), title="决策目录", files=[upload("目录.png", png_bytes)]),
    ]
    for item in items:
        evidence_approve(evidence=item, actor=office)
    return items


def _request(campaign, office, django_capture_on_commit_callbacks, **options):
    with django_capture_on_commit_callbacks(execute=True):
        return package_export_request(options=Options(campaign_id=campaign.pk, **options), actor=office)


# ---------------------------------------------------------------------------
# The job
# ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_export_runs_in_the_background_and_records_its_volumes(
    campaign, approved, office, django_capture_on_commit_callbacks
):
    export = _request(campaign, office, django_capture_on_commit_callbacks)
    export.refresh_from_db()
    assert export.status == PackageExport.Status.DONE
    assert (export.files_done, export.files_total, export.attempts) == (2, 2, 1)
    assert export.bytes_done == export.bytes_total > 0
    folder = Path(export.folder)
    assert [v.file_name for v in export.volumes.all()] == sorted(p.name for p in folder.glob("*.zip"))
    index = (folder / "index.json").read_bytes()
    assert export.index_sha256 == hashlib.sha256(index).hexdigest()
    assert export.size == sum(p.stat().st_size for p in folder.iterdir())
    assert verify(folder).problems == []
    event = AuditEvent.objects.get(verb="package.export")
    assert event.actor == office and event.target_id == str(export.pk)
    # A duplicate or redelivered message finds nothing to claim and changes nothing.
    assert package_export_run(export.pk) is False


@pytest.mark.django_db
def test_only_the_office_of_the_county_may_export(campaign, approved, personas, county):
    from units.models import County

    options = Options(campaign_id=campaign.pk)
    for persona in ("liaison", "leader", "supervisor"):
        with pytest.raises(PermissionDenied):
            package_export_request(options=options, actor=personas[persona])
    elsewhere = make_user("other_office", "office", county=County.objects.create(name="宝丰县", short_name="宝丰"))
    with pytest.raises(PermissionDenied):
        package_export_request(options=options, actor=elsewhere)
    assert PackageExport.objects.count() == 0


@pytest.mark.django_db
def test_an_empty_scope_is_refused_with_a_reason(campaign, office):
    with pytest.raises(ValidationError, match="没有可导出的材料"):
        package_export_request(options=Options(campaign_id=campaign.pk), actor=office)


@pytest.mark.django_db
def test_a_build_that_fails_marks_the_job_failed_and_leaves_no_package(
    campaign, approved, office, django_capture_on_commit_callbacks, settings
):
    from django.core.files.storage import default_storage

    blob = approved[1].files.get().stored.blob
    default_storage.delete(blob)  # the disk lost a file
    with pytest.raises(FileNotFoundError):
        _request(campaign, office, django_capture_on_commit_callbacks)
    export = PackageExport.objects.get()
    assert export.status == PackageExport.Status.FAILED
    assert export.error.startswith("生成失败：")
    assert export.volumes.count() == 0
    assert not any(Path(settings.PACKAGE_ROOT).glob("export-*/index.json"))
    assert not any(Path(settings.PACKAGE_ROOT).glob(".*partial"))


@pytest.mark.django_db
def test_a_job_whose_worker_died_is_requeued_then_given_up(
    campaign, approved, office, django_capture_on_commit_callbacks, settings
):
    export = PackageExport.objects.create(
        campaign=campaign, options=Options(campaign_id=campaign.pk).as_dict(), created_by=office
    )
    long_ago = timezone.now() - dt.timedelta(seconds=settings.PACKAGE_EXPORT_STALE_SECONDS + 5)
    PackageExport.objects.filter(pk=export.pk).update(status="running", heartbeat_at=long_ago, attempts=1)
    # A running job that is still beating is left alone.
    fresh = PackageExport.objects.create(campaign=campaign, options=export.options, created_by=office)
    PackageExport.objects.filter(pk=fresh.pk).update(status="running", heartbeat_at=timezone.now(), attempts=1)

    assert package_export_sweep() == [export.pk]  # requeued and dispatched (eager: built at once)
    export.refresh_from_db()
    assert export.status == PackageExport.Status.DONE and export.attempts == 2
    fresh.refresh_from_db()
    assert fresh.status == PackageExport.Status.RUNNING

    PackageExport.objects.filter(pk=fresh.pk).update(
        heartbeat_at=long_ago, attempts=settings.PACKAGE_EXPORT_MAX_ATTEMPTS
    )
    assert package_export_sweep() == []
    fresh.refresh_from_db()
    assert fresh.status == PackageExport.Status.FAILED and fresh.error == PACKAGE_GAVE_UP


@pytest.mark.django_db
def test_a_stale_running_job_can_be_claimed_again_by_a_redelivered_message(campaign, approved, office, settings):
    export = PackageExport.objects.create(
        campaign=campaign, options=Options(campaign_id=campaign.pk).as_dict(), created_by=office
    )
    PackageExport.objects.filter(pk=export.pk).update(status="running", heartbeat_at=timezone.now(), attempts=1)
    assert package_export_run(export.pk) is False  # its worker is alive
    PackageExport.objects.filter(pk=export.pk).update(heartbeat_at=timezone.now() - dt.timedelta(hours=1))
    assert package_export_run(export.pk) is True
    export.refresh_from_db()
    assert export.status == PackageExport.Status.DONE and export.attempts == 2


# ---------------------------------------------------------------------------
# Pages
# ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_office_starts_an_export_follows_it_and_downloads_a_volume(campaign, approved, office, as_user):
    client = as_user(office)
    page = client.get("/exports/")
    assert page.status_code == 200
    assert "开始导出" in page.content.decode()
    response = client.post(
        "/exports/", {"campaign": campaign.pk, "scope": "all", "volume_rule": "indicator"}, follow=True
    )
    # Test transactions never commit, so the job is still queued: the page polls for progress.
    export = PackageExport.objects.get()
    assert response.redirect_chain[-1][0] == f"/exports/{export.pk}/"
    body = response.content.decode()
    assert "排队中" in body and 'hx-trigger="every 1s"' in body

    package_export_run(export.pk)
    partial = client.get(f"/exports/{export.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in partial  # done: polling stops
    assert "文件 2 / 2" in partial
    volume = export.volumes.first()
    assert volume.title in partial and f"/exports/{export.pk}/files/" in partial

    download = client.get(f"/exports/{export.pk}/files/{volume.file_name}")
    assert download.status_code == 200
    content = b"".join(download.streaming_content)
    assert hashlib.sha256(content).hexdigest() == volume.sha256
    assert download["Content-Type"] == "application/zip"
    toc = client.get(f"/exports/{export.pk}/files/目录.xlsx")
    assert toc.status_code == 200
    downloads = AuditEvent.objects.filter(verb="package.download")
    assert [e.changes["file"][1] for e in downloads.order_by("id")] == [volume.file_name, "目录.xlsx"]

    listing = client.get("/exports/").content.decode()
    assert export.index_sha256[:12] in listing and "全部材料" in listing


@pytest.mark.django_db
def test_a_double_click_opens_the_export_already_started(campaign, approved, office, as_user):
    client = as_user(office)
    data = {"campaign": campaign.pk, "scope": "all", "volume_rule": "indicator"}
    first = client.post("/exports/", data)
    second = client.post("/exports/", data)
    assert PackageExport.objects.count() == 1
    assert first["Location"] == second["Location"]


@pytest.mark.django_db
def test_form_errors_are_in_chinese_and_nothing_starts(campaign, approved, office, as_user):
    client = as_user(office)
    body = client.post("/exports/", {"campaign": campaign.pk, "scope": "areas", "volume_rule": "size"}).content
    text = body.decode()
    assert "请至少选择一个一级指标" in text and "按大小分册时请填写每册大小上限" in text
    finance = campaign.county.units.get(short_name="财政局")
    text = client.post(
        "/exports/", {"campaign": campaign.pk, "scope": "units", "units": [finance.pk], "volume_rule": "indicator"}
    ).content.decode()
    assert "所选范围内没有可导出的材料" in text
    assert PackageExport.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["liaison", "leader", "supervisor"])
def test_exports_are_for_the_office_and_admin(campaign, approved, office, personas, as_user, persona):
    export = package_export_request(options=Options(campaign_id=campaign.pk), actor=office)
    client = as_user(personas[persona])
    assert client.get("/exports/").status_code == 403
    assert client.get(f"/exports/{export.pk}/").status_code == 403
    assert as_user(personas["admin"]).get(f"/exports/{export.pk}/").status_code == 200


@pytest.mark.django_db
def test_downloads_only_serve_files_of_a_finished_package(campaign, approved, office, as_user, county):
    from units.models import County

    client = as_user(office)
    export = package_export_request(options=Options(campaign_id=campaign.pk), actor=office)
    assert client.get(f"/exports/{export.pk}/files/index.json").status_code == 404  # not built yet
    package_export_run(export.pk)
    for name in ("..", "manifest.json", "secret.txt", "%2E%2E"):
        assert client.get(f"/exports/{export.pk}/files/{name}").status_code == 404
    elsewhere = make_user("other_office", "office", county=County.objects.create(name="宝丰县", short_name="宝丰"))
    assert as_user(elsewhere).get(f"/exports/{export.pk}/").status_code == 404
    Path(PackageExport.objects.get().folder, "index.json").unlink()
    assert client.get(f"/exports/{export.pk}/files/index.json").status_code == 404


@pytest.mark.django_db
def test_a_failed_export_shows_why_and_can_be_started_again(campaign, approved, office, as_user):
    export = package_export_request(options=Options(campaign_id=campaign.pk), actor=office)
    PackageExport.objects.filter(pk=export.pk).update(status="failed", error="生成失败：磁盘已满")
    client = as_user(office)
    body = client.get(f"/exports/{export.pk}/").content.decode()
    assert "生成失败：磁盘已满" in body and "按同样范围重新生成" in body
    response = client.post(f"/exports/{export.pk}/retry/")
    again = PackageExport.objects.exclude(pk=export.pk).get()
    assert response["Location"] == f"/exports/{again.pk}/"
    assert again.options == export.options


@pytest.mark.django_db
def test_the_export_list_runs_a_fixed_number_of_queries(campaign, approved, office, as_user):
    client = as_user(office)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/exports/").status_code == 200
        return len(ctx.captured_queries)

    unit = campaign.county.units.get(short_name="司法局")
    package_export_request(options=Options(campaign_id=campaign.pk), actor=office)
    package_export_request(options=Options(campaign_id=campaign.pk, unit_ids=(unit.pk,)), actor=office)
    two = count()
    for _ in range(4):
        package_export_request(options=Options(campaign_id=campaign.pk, unit_ids=(unit.pk,)), actor=office)
    assert count() == two


# ---------------------------------------------------------------------------
# A process killed mid-export (SIGKILL, as the OOM killer or a redeploy would)
# ---------------------------------------------------------------------------


def _mp4(n: int, size: int) -> bytes:
    return b"\x00\x00\x00\x18ftypisom" + n.to_bytes(4, "big") + os.urandom(size - 16)


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return (
        f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )


def _workers_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:  # not a process, or one that just ended
            continue
        if b"reports.packages.drawing" in command and str(pid).encode() in command:
            found.append(int(entry.name))
    return found


@pytest.mark.django_db(transaction=True)
def test_a_killed_export_leaves_no_package_and_a_rerun_gives_the_same_files(
    campaign, submit, office, tmp_path, settings
):
    for n in range(24):
        item = submit(
            codes=("1", "3")[n % 2 :][:1], title=f"执法记录视频{n}", files=[upload(f"v{n}.mp4", _mp4(n, 6 * 2**20))]
        )
        evidence_approve(evidence=item, actor=office)
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DJANGO_SETTINGS_MODULE": "luhsan_portal.settings.base",
        "DJANGO_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "CELERY_TASK_ALWAYS_EAGER": "true",
    }
    out = tmp_path / "package"
    command = [sys.executable, "manage.py", "export_package", "--campaign", str(campaign.pk), "--out", str(out)]
    command += ["--volume-cap", str(20 * 2**20), "-v", "0"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    partial = tmp_path / ".package.partial"
    deadline = time.monotonic() + 60
    while not list(partial.glob("*.zip"))[1:] and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert process.poll() is None, process.stderr.read().decode()[-2000:]
    process.send_signal(signal.SIGKILL)
    process.wait()
    # Nothing at the target: a half-built package is never presented as complete.
    assert not out.exists()
    # Its worker processes end with it, not going on writing volumes into the folder the rerun uses.
    deadline = time.monotonic() + 10
    while _workers_of(process.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _workers_of(process.pid) == []

    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert not partial.exists()
    assert verify(out).problems == []
    reference = tmp_path / "reference"
    done = subprocess.run([*command[:-5], str(reference), *command[-4:]], env=env, capture_output=True, timeout=300)
    assert done.returncode == 0
    volumes = sorted(p.name for p in out.glob("*.zip"))
    assert len(volumes) >= 5
    assert volumes == sorted(p.name for p in reference.glob("*.zip"))
    for name in volumes:
        assert (out / name).read_bytes() == (reference / name).read_bytes()


# ---------------------------------------------------------------------------
# On a real Celery worker (PostgreSQL + Redis; skipped on the embedded default)
# ---------------------------------------------------------------------------


@pytest.fixture
def shared_folders(monkeypatch, settings):
    """The worker process must read the same evidence and write where the pages look."""
    monkeypatch.setenv("DJANGO_MEDIA_ROOT", str(settings.MEDIA_ROOT))
    monkeypatch.setenv("PACKAGE_ROOT", str(settings.PACKAGE_ROOT))


def test_an_export_is_built_by_a_real_worker(shared_folders, celery_worker_process, campaign, submit, office):
    for n in range(3):
        item = submit(codes=("1",), title=f"视频{n}", files=[upload(f"v{n}.mp4", _mp4(n, 2**20))])
        evidence_approve(evidence=item, actor=office)
    export = package_export_request(options=Options(campaign_id=campaign.pk), actor=office)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        export.refresh_from_db()
        if export.status in (PackageExport.Status.DONE, PackageExport.Status.FAILED):
            break
        time.sleep(0.2)
    assert export.status == PackageExport.Status.DONE, export.error
    assert export.files_done == 3
    assert verify(Path(export.folder)).problems == []
