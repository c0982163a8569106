"""Shared fixtures: media in a temporary folder, a small county built through the real importers,
and the personas every permission test uses (office, liaison, other-unit liaison, supervisor,
leader, admin, anonymous)."""

import datetime as dt
import io

import pytest
from django.test import Client

from luhsan_portal.testing import CSV_ASSIGNMENTS, CSV_FRAMEWORK, CSV_UNITS, upload


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """A reused test database may have been flushed by the previous run's transactional tests."""
    from luhsan_portal.models import ensure_reference_data

    with django_db_blocker.unblock():
        ensure_reference_data()


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PACKAGE_ROOT = tmp_path / "packages"


@pytest.fixture
def county(db):
    from luhsan_portal.models import ensure_reference_data
    from units.importers import units_import
    from units.models import County

    ensure_reference_data()  # transactional tests flush the rows data migrations created
    county = County.objects.create(name="鲁山县", short_name="鲁山")
    result = units_import(data=CSV_UNITS.encode(), county=county)
    assert result.ok, result.errors
    return county


@pytest.fixture
def framework(db):
    from indicators.importing.framework import framework_import
    from indicators.models import Framework

    result = framework_import(data=CSV_FRAMEWORK.encode(), framework_name="测试指标体系")
    assert result.ok, result.errors
    return Framework.objects.get(name="测试指标体系")


@pytest.fixture
def campaign(county, framework, django_capture_on_commit_callbacks):
    from indicators.importing.assignments import assignments_import
    from indicators.services import campaign_create

    campaign = campaign_create(
        name="鲁山县创建省级法治政府建设示范县",
        framework=framework,
        start_date=dt.date(2026, 1, 1),
        target_date=dt.date(2026, 12, 31),
        county=county,
    )
    with django_capture_on_commit_callbacks(execute=True):
        result = assignments_import(data=CSV_ASSIGNMENTS.encode(), campaign=campaign)
    assert result.ok, result.errors
    return campaign


def unit_named(county, short_name: str):
    from units.models import Unit

    return Unit.objects.get(county=county, short_name=short_name)


def make_user(username: str, role: str, *, county=None, unit=None, **extra):
    from accounts.models import User

    return User.objects.create_user(
        username=username, password="pw-123456", role=role, county=county, unit=unit, name=username, **extra
    )


@pytest.fixture
def office(county):
    return make_user("office", "office", county=county)


@pytest.fixture
def admin_user(county):
    return make_user("admin1", "admin", county=county, is_staff=True, is_superuser=True)


@pytest.fixture
def liaison(county):
    """Liaison of 司法局, which leads indicators 1 and 3 and co-serves 2 and 4."""
    return make_user("liaison", "liaison", county=county, unit=unit_named(county, "司法局"))


@pytest.fixture
def other_liaison(county):
    """Liaison of 财政局: a different unit."""
    return make_user("other", "liaison", county=county, unit=unit_named(county, "财政局"))


@pytest.fixture
def supervisor(county):
    return make_user("supervisor", "supervisor", county=county)


@pytest.fixture
def leader(county):
    return make_user("leader", "leader", county=county)


@pytest.fixture
def personas(office, admin_user, liaison, other_liaison, supervisor, leader):
    return {
        "office": office,
        "admin": admin_user,
        "liaison": liaison,
        "other_liaison": other_liaison,
        "supervisor": supervisor,
        "leader": leader,
        "anonymous": None,
    }


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def as_user():
    return client_for


# ---------------------------------------------------------------------------
# Real files and evidence
# ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def pdf_bytes() -> bytes:
    from weasyprint import HTML

    return HTML(string="<h1>鲁山县司法局</h1><p>权责清单动态调整情况说明（测试材料）</p>").write_pdf()


@pytest.fixture(scope="session")
def png_bytes() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 40)).save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture(scope="session")
def docx_bytes() -> bytes:
    from docx import Document

    doc = Document()
    doc.add_paragraph("关于推进法治政府建设的工作总结")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


@pytest.fixture(scope="session")
def exe_bytes() -> bytes:
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200


@pytest.fixture
def justice_assignments(campaign):
    """司法局's four assignments: leads 1 and 3, co on 2 and 4."""
    from indicators.models import Assignment

    return {
        a.indicator.code: a
        for a in Assignment.objects.filter(campaign=campaign, unit__short_name="司法局").select_related(
            "indicator", "unit"
        )
    }


@pytest.fixture
def submit(liaison, justice_assignments, pdf_bytes):
    """Submit evidence as 司法局's liaison through the real service."""
    from evidence.services import evidence_submit

    def _submit(codes=("1",), files=None, **kwargs):
        assignments = [justice_assignments[c] for c in codes]
        kwargs.setdefault("title", "权责清单调整文件")
        kwargs.setdefault("unclassified", True)
        kwargs.setdefault("actor", liaison)
        return evidence_submit(
            unit=assignments[0].unit,
            assignments=assignments,
            files=files if files is not None else [upload("权责清单.pdf", pdf_bytes)],
            **kwargs,
        )

    return _submit


# ---------------------------------------------------------------------------
# A real Celery worker on Redis (worker-marked tests; CI runs them on PostgreSQL)
# ---------------------------------------------------------------------------


@pytest.fixture
def celery_worker_process(transactional_db):
    """Start ``celery worker`` against the test database and the configured Redis broker."""
    import os
    import subprocess
    import sys
    import time
    from pathlib import Path

    from django.db import connection

    from luhsan_portal.celery import app

    broker = os.environ.get("CELERY_BROKER_URL", "")
    if not broker.startswith("redis") or connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL) and a Redis CELERY_BROKER_URL")
    db = connection.settings_dict
    url = (
        f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "luhsan_portal.settings.base",
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    app.control.purge()
    log = Path(os.environ.get("TEST_ARTIFACTS", "test-artifacts")) / "celery-worker.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "luhsan_portal",
                "worker",
                "--pool=solo",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "-n",
                f"test-{os.getpid()}@%h",
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while not app.control.ping(timeout=1):
            if worker.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"celery worker did not start; see {log}")
        app.conf.task_always_eager = False
        yield worker
    finally:
        app.conf.task_always_eager = True
        worker.terminate()
        worker.wait(timeout=30)


# ---------------------------------------------------------------------------
# Browser journeys (Playwright driving Debian's Chromium)
# ---------------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def browser(live_server, monkeypatch):
    from pathlib import Path

    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (apt install chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; Django's ORM calls here are sync.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        yield chromium
        chromium.close()


@pytest.fixture
def screenshot(request):
    """Save a screenshot under test-artifacts/<test name>/ and return its path."""
    import os
    import re
    from pathlib import Path

    folder = Path(os.environ.get("TEST_ARTIFACTS", "test-artifacts")) / re.sub(r"[^\w-]+", "_", request.node.name)
    folder.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def login(page, live_server, username: str, password: str = "pw-123456"):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


# ---------------------------------------------------------------------------
# Supervision
# ---------------------------------------------------------------------------


@pytest.fixture
def round_(campaign, office, supervisor, county):
    """A round with one group (led by the supervisor) visiting 司法局 and 琴台街道."""
    from supervision.services import group_save, round_create

    round_ = round_create(
        campaign=campaign,
        title="2026年第一轮督导",
        start_date=dt.date(2026, 11, 1),
        end_date=dt.date(2026, 12, 15),
        bodies="县人大办、县政府办、县纪委监委、县委政法委",
        actor=office,
    )
    group_save(
        round_=round_,
        name="第一督导组",
        leader=supervisor,
        members=[],
        actor=office,
        units=[unit_named(county, "司法局"), unit_named(county, "琴台街道")],
    )
    return round_


@pytest.fixture
def order(round_, supervisor, county):
    """A rectification order at 司法局, due in ten days."""
    from django.utils import timezone

    from supervision.services import finding_record

    finding = finding_record(
        round_=round_,
        unit=unit_named(county, "司法局"),
        description="执法公示栏未及时更新",
        requirement="一周内更新执法公示栏并上传照片",
        deadline=timezone.localdate() + dt.timedelta(days=10),
        actor=supervisor,
    )
    return finding.rectification
