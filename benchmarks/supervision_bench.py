"""Supervision figures: a round of 4 groups × 43 units × 5 findings on the demo county (SQLite).

Run:  .venv/bin/python benchmarks/supervision_bench.py
Prints the round board's and the supervisor's visit page's server time and SQL query counts (the
counts must not depend on the round's size: measured with 1 and with 5 findings per unit), and
the 督导情况通报's render time (median of 5, from the database) and size.
"""

import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
_tmp = tempfile.mkdtemp(prefix="supervision-bench-")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{_tmp}/bench.sqlite3")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luhsan_portal.settings.base")
os.environ.setdefault("DJANGO_MEDIA_ROOT", f"{_tmp}/media")
os.environ["DJANGO_DEBUG"] = "false"
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
os.environ.setdefault("LINK_CHECK_ENABLED", "false")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402


def measure(client, url, repeat=10) -> tuple[float, int]:
    client.get(url)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        assert client.get(url).status_code == 200, url
        times.append((time.perf_counter() - start) * 1000)
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    return statistics.median(times), len(ctx.captured_queries)


def main() -> None:
    from accounts.models import User
    from indicators.models import Campaign
    from supervision.report import round_report_docx
    from supervision.selectors import round_report_data
    from supervision.services import finding_record, group_save, round_create, visit_record

    call_command("migrate", verbosity=0)
    call_command("seed_demo", "--force", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    campaign = Campaign.objects.get(name__contains="鲁山")
    office = User.objects.get(username="demo_office")
    supervisors = [User.objects.get(username="demo_supervisor")] + list(
        User.objects.filter(username__startswith="supervisor_").order_by("username")
    )
    today = timezone.localdate()
    units = list(campaign.county.units.filter(active=True).order_by("order")[:43])
    round_ = round_create(
        campaign=campaign,
        title="基准督导轮次",
        start_date=today - dt.timedelta(days=3),
        end_date=today + dt.timedelta(days=3),
        bodies="县人大办、县政府办、县纪委监委、县委政法委",
        actor=office,
    )
    groups = [
        group_save(
            round_=round_, name=f"基准第{i + 1}组", leader=supervisors[i], members=[], units=units[i::4], actor=office
        )
        for i in range(4)
    ]
    office_client, supervisor_client = Client(), Client()
    office_client.force_login(office)
    supervisor_client.force_login(supervisors[0])
    visits = {}
    start = time.perf_counter()
    for findings_per_unit in (1, 4):
        for group in groups:
            for unit in group.units.all():
                visit = visits.get(unit.pk) or visit_record(
                    group=group,
                    unit=unit,
                    date=today,
                    actor=group.leader,
                    interviewed=[{"name": "专班负责人", "post": "副局长"}],
                    materials_checked="台账",
                    places_inspected="大厅",
                )
                visits[unit.pk] = visit
                for n in range(findings_per_unit):
                    finding_record(
                        round_=round_,
                        unit=unit,
                        visit=visit,
                        description=f"问题{n}：材料归档不规范",
                        actor=group.leader,
                        requirement="按指标整理归档",
                        deadline=today + dt.timedelta(days=10 + n),
                        category="materials",
                    )
        total = 5 if findings_per_unit == 4 else 1
        board = measure(office_client, f"/supervision/rounds/{round_.pk}/")
        visit_page = measure(supervisor_client, f"/supervision/visits/{visits[units[0].pk].pk}/")
        print(
            f"{total} finding(s) per unit: round board {board[0]:.1f} ms / {board[1]} queries; "
            f"visit page {visit_page[0]:.1f} ms / {visit_page[1]} queries"
        )
    print(f"(built {len(units)} units × 5 findings in {time.perf_counter() - start:.1f} s)")

    times, size = [], 0
    for _ in range(5):
        begin = time.perf_counter()
        content = round_report_docx(round_report_data(round_))
        times.append(time.perf_counter() - begin)
        size = len(content)
    print(
        f"督导情况通报 for 4 groups × {len(units)} units × 5 findings: {statistics.median(times) * 1000:.0f} ms "
        f"(median of 5, including the database reads), {size / 1024:.1f} KB"
    )


if __name__ == "__main__":
    main()
