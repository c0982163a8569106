"""Progress figures at county scale (SQLite) and city scale (PostgreSQL): 总览, progress API, snapshots.

County:  .venv/bin/python benchmarks/progress_bench.py [--repeat 10]
    Temporary SQLite file, ``seed_demo --force`` + 20,000 evidence items (approved / pending / returned /
    withdrawn, one demo assignment each). Prints median / p90 ms and SQL query counts (in-process test
    client, DEBUG off), with targets: GET /api/v1/campaigns/{id}/progress/ (≤ 20 ms, ≤ 10 queries),
    ``campaign_progress().ranking()`` (≤ 60 ms), GET /dashboard/ (总览), ``progress_snapshot_record``
    (one campaign), and the bare SQL floor (``campaign_progress``'s statements re-run on a cursor).

City:    .venv/bin/python benchmarks/progress_bench.py --city [--evidence 200000] [--repeat 20] [--keep]
         [--database-url postgres://postgres@127.0.0.1:5432/progress_bench]   (name must start progress_bench)
    Drops and recreates the database, migrates, builds 10 counties × 89 units, one 10 × 34 × 100 + 4
    framework, a campaign per county (≈6,000 assignments), a liaison per unit, an office user per county
    and ``--evidence`` items with a file each; prints the build time, ANALYZEs, then prints /dashboard/
    for each county's office user (median of 20, target < 150 ms) with query counts, the progress API
    for one campaign, ``manage.py compute_progress`` for the 10 campaigns (median of 3 runs, target
    < 5 s), the bare SQL floor with the ratios dashboard / floor and API / floor, each statement's time,
    and EXPLAIN ANALYZE of the slowest one (first 15 lines + planning / JIT / execution summary).
    The database is dropped at the end unless ``--keep``.
"""

import argparse
import datetime as dt
import io
import logging
import math
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.core.management import call_command
from django.db import connection, connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

ROOT = Path(__file__).resolve().parents[1]
STATUSES = ["approved"] * 50 + ["pending"] * 30 + ["returned"] * 12 + ["withdrawn"] * 8
BATCH = 5000
SUMMARY = ("Planning", "JIT", "Functions", "Timing", "Execution")
HEADER = f"\n{'measure':<44} {'median':>11} {'p90':>11} {'queries':>8}   target"


def setup(database_url: str, tmp: str) -> None:
    """Environment first, then django.setup() (as evidence_bench.py, without importing it)."""
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luhsan_portal.settings.base")
    os.environ["DJANGO_MEDIA_ROOT"] = f"{tmp}/media"
    os.environ["LINK_CHECK_ENABLED"] = "false"
    os.environ["DJANGO_DEBUG"] = "false"  # measured as deployed: cached templates, no query log
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"
    os.environ["REDIS_URL"] = os.environ["CELERY_BROKER_URL"] = ""  # local memory cache, eager tasks
    import django

    django.setup()
    logging.disable(logging.INFO)  # no Celery / axes chatter between the figures


def add_evidence(campaign, pairs, authors, reviewer_id, stored, count, rng, now) -> None:
    """``count`` submissions of ``campaign``, each serving one (assignment_id, unit_id) of ``pairs``."""
    from evidence.models import Evidence, EvidenceAssignment, EvidenceFile

    # created_at is auto_now_add: switched off while these rows go in, so the spread dates stay.
    Evidence._meta.get_field("created_at").auto_now_add = False
    try:
        for start in range(0, count, BATCH):
            rows, picks = [], []
            for i in range(start, min(start + BATCH, count)):
                assignment_id, unit_id = rng.choice(pairs)
                status = rng.choice(STATUSES)
                reviewed, author = status in ("approved", "returned"), authors.get(unit_id, reviewer_id)
                created = now - dt.timedelta(days=rng.randint(0, 199), minutes=rng.randint(0, 1439))
                decided = min(created + dt.timedelta(hours=rng.randint(2, 120)), now)
                rows.append(
                    Evidence(
                        campaign=campaign,
                        unit_id=unit_id,
                        title=f"批量材料{i}",
                        status=status,
                        unclassified=True,
                        created_by_id=author,
                        created_at=created,
                        reviewed_by_id=reviewer_id if reviewed else None,
                        reviewed_at=decided if reviewed else None,
                        review_reason="材料不完整" if status == "returned" else "",
                        withdrawn_by_id=author if status == "withdrawn" else None,
                        withdrawn_at=decided if status == "withdrawn" else None,
                    )
                )
                picks.append(assignment_id)
            with transaction.atomic():
                made = Evidence.objects.bulk_create(rows)
                EvidenceAssignment.objects.bulk_create(
                    EvidenceAssignment(evidence=e, assignment_id=a) for e, a in zip(made, picks, strict=True)
                )
                EvidenceFile.objects.bulk_create(
                    EvidenceFile(evidence=e, stored_id=rng.choice(stored), name=f"{e.title}.pdf") for e in made
                )
    finally:
        Evidence._meta.get_field("created_at").auto_now_add = True


def timed(fn, repeat: int) -> tuple[float, float, int]:
    """(median ms, p90 ms, queries) of ``fn`` after one warm-up call."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    with CaptureQueriesContext(connection) as ctx:
        fn()
    times.sort()
    return statistics.median(times), times[max(math.ceil(len(times) * 0.9) - 1, 0)], len(ctx.captured_queries)


def get(client, url: str):
    return lambda: client.get(url).status_code == 200 or sys.exit(f"GET {url} did not answer 200")


def row(label: str, result: tuple[float, float, int], target: str = "") -> None:
    median, p90, queries = result
    print(f"{label:<44} {median:8.1f} ms {p90:8.1f} ms {queries:8d}   {target}")


def captured_statements(campaign) -> list[tuple[str, tuple]]:
    """The (sql, params) pairs ``campaign_progress`` executes for ``campaign``."""
    from reports.progress import campaign_progress

    captured = []

    def wrapper(execute, sql, params, many, context):
        captured.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        campaign_progress(campaign)
    return captured


def replay(statements):
    def run():
        with connection.cursor() as cursor:
            for sql, params in statements:
                cursor.execute(sql, params)
                cursor.fetchall()

    return run


def run_county(args) -> None:
    from accounts.models import User
    from evidence.models import Evidence, StoredFile
    from indicators.models import Assignment, Campaign
    from reports.progress import campaign_progress
    from reports.services import progress_snapshot_record

    repeat = args.repeat or 10
    call_command("migrate", verbosity=0)
    call_command("seed_demo", "--force", verbosity=0, stdout=io.StringIO())
    campaign = Campaign.objects.get(name__contains="鲁山")
    office = User.objects.get(username="demo_office")
    pairs = list(Assignment.objects.filter(campaign=campaign).values_list("id", "unit_id"))
    authors = dict(User.objects.filter(role="liaison").values_list("unit_id", "id"))
    stored = list(StoredFile.objects.values_list("id", flat=True)[:5]) or [
        StoredFile.objects.create(sha256="0" * 64, size=1, kind="pdf", content_type="application/pdf", blob="x").pk
    ]
    start = time.perf_counter()
    add_evidence(campaign, pairs, authors, office.pk, stored, 20000, random.Random(7), timezone.now())
    print(
        f"database: {connection.vendor}; campaign {campaign.pk} {campaign.name}: {len(pairs)} assignments, "
        f"{Evidence.objects.filter(campaign=campaign).count()} evidence rows "
        f"(20000 added in {time.perf_counter() - start:.1f} s); repeat {repeat}"
    )
    client = Client()
    client.force_login(office)
    print(HEADER)
    api = f"/api/v1/campaigns/{campaign.pk}/progress/"
    row("GET /api/v1/campaigns/{id}/progress/", timed(get(client, api), repeat), "≤ 20 ms, ≤ 10 queries")
    row("campaign_progress().ranking()", timed(lambda: campaign_progress(campaign).ranking(), repeat), "≤ 60 ms")
    row("GET /dashboard/ (总览)", timed(get(client, "/dashboard/"), repeat))
    row("progress_snapshot_record (one campaign)", timed(lambda: progress_snapshot_record(campaign=campaign), repeat))
    statements = captured_statements(campaign)
    row(f"bare SQL floor ({len(statements)} statements, cursor)", timed(replay(statements), repeat))


def build_city(evidence_total: int) -> None:
    from django.contrib.auth.hashers import make_password

    from accounts.models import User
    from evidence.models import StoredFile
    from indicators.importing.framework import framework_import
    from indicators.models import Assignment, Framework, Indicator
    from indicators.services import campaign_create
    from units.models import County, Unit, UnitKind

    rng = random.Random(11)
    lines = ["层级,编号,上级编号,名称,测评方式"]  # long layout: 10 areas, 34 items, 100 indicators, 4 bonus
    items = [(a, n) for n, a in enumerate([a for a in range(10) for _ in range(4 if a < 4 else 3)], start=1)]
    for a in range(10):
        lines.append(f"1,{'一二三四五六七八九十'[a]}、,,领域{a + 1},")
        for area, n in items:
            if area == a:
                lines.append(f"2,{n}.,{'一二三四五六七八九十'[a]}、,二级指标{n},")
                lines += [f"3,{k},{n}.,三级指标{k},材料审查" for k in range(1, 101) if (k - 1) * 34 // 100 + 1 == n]
    lines += [f"附加,附{b},,附加指标{b},材料审查" for b in range(1, 5)]
    result = framework_import(data=("\n".join(lines) + "\n").encode(), framework_name="基准体系")
    assert result.ok, [str(e) for e in result.errors]
    framework = Framework.objects.get(name="基准体系")
    indicators = list(Indicator.objects.filter(framework=framework).assessable().values_list("id", flat=True))
    kinds = dict(UnitKind.objects.values_list("code", "id"))
    stored = [
        f.pk
        for f in StoredFile.objects.bulk_create(
            StoredFile(sha256=f"{n:064x}", size=100_000 * n, kind="pdf", content_type="application/pdf", blob=f"b/{n}")
            for n in range(1, 6)
        )
    ]
    unusable = make_password(None)
    today, now = timezone.localdate(), timezone.now()
    per_campaign = evidence_total // 10
    for c in range(10):
        start = time.perf_counter()
        with transaction.atomic():
            county = County.objects.create(name=f"基准第{c}县", short_name=f"第{c}县")
            shape = [("county_department", "局", i) for i in range(64)] + [("township", "镇", i) for i in range(25)]
            units = Unit.objects.bulk_create(
                Unit(county=county, name=f"第{c}县第{i}{s}", short_name=f"第{i}{s}", kind_id=kinds[k], order=n)
                for n, (k, s, i) in enumerate(shape)
            )
            office = User.objects.create(username=f"bench_office{c}", role="office", county=county, password=unusable)
            liaisons = User.objects.bulk_create(
                User(username=f"bench_liaison{c}_{i}", role="liaison", county=county, unit=u, password=unusable)
                for i, u in enumerate(units)
            )
            campaign = campaign_create(
                name=f"第{c}县创建示范",
                framework=framework,
                county=county,
                start_date=today - dt.timedelta(days=200),
                target_date=today + dt.timedelta(days=100),
            )
            assignments = []
            for i, indicator_id in enumerate(indicators):
                lead = units[i % 64]
                co = [u for u in units[i % 89 :] + units[: i % 89] if u is not lead][:57]
                due = campaign.start_date + dt.timedelta(days=30 + (i * 37) % 265)
                assignments += [
                    Assignment(campaign=campaign, indicator_id=indicator_id, unit=u, role=role, due_date=due + shift)
                    for u, role, shift in [(lead, "lead", dt.timedelta(0))]
                    + [(u, "co", dt.timedelta(days=(j % 3) * 7)) for j, u in enumerate(co)]
                ]
            assignments = Assignment.objects.bulk_create(assignments, batch_size=BATCH)
        pairs, authors = [(a.pk, a.unit_id) for a in assignments], {u.unit_id: u.pk for u in liaisons}
        add_evidence(campaign, pairs, authors, office.pk, stored, per_campaign, rng, now)
        print(f"  county {c}: {len(pairs)} assignments, {per_campaign} evidence, {time.perf_counter() - start:.1f} s")


def run_city(args) -> None:
    from accounts.models import User
    from evidence.models import Evidence
    from indicators.models import Assignment, Campaign

    repeat = args.repeat or 20
    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT version(), current_setting('jit')")
        version, jit = cursor.fetchone()
    print(f"database: {version.split(' on ')[0]} (jit={jit}), {connection.settings_dict['NAME']}; building the city …")
    start = time.perf_counter()
    build_city(args.evidence)
    built = time.perf_counter() - start
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"build: {built:.1f} s (+ ANALYZE {time.perf_counter() - start - built:.1f} s); "
        f"{Campaign.objects.count()} campaigns, {Assignment.objects.count()} assignments, "
        f"{Evidence.objects.count()} evidence rows; repeat {repeat}"
    )

    print(HEADER)
    dashboards = []
    for office in User.objects.filter(username__startswith="bench_office").order_by("county_id"):
        client = Client()
        client.force_login(office)
        result = timed(get(client, "/dashboard/"), repeat)
        dashboards.append(result[0])
        row(f"GET /dashboard/ ({office.username})", result, "< 150 ms")
    print(f"{'  median over the 10 counties':<44} {statistics.median(dashboards):8.1f} ms")
    campaign = Campaign.objects.select_related("county").order_by("id").first()
    client = Client()
    client.force_login(User.objects.get(username="bench_office0"))
    api = timed(get(client, f"/api/v1/campaigns/{campaign.pk}/progress/"), repeat)
    row(f"GET /api/v1/campaigns/{campaign.pk}/progress/", api)

    runs = []
    for _ in range(3):
        out = io.StringIO()
        start = time.perf_counter()
        call_command("compute_progress", stdout=out)
        runs.append(time.perf_counter() - start)
    print(
        f"{'manage.py compute_progress (10 campaigns)':<44} {statistics.median(runs):8.2f} s  "
        f"(runs: {', '.join(f'{r:.2f}' for r in runs)}; {len(out.getvalue().splitlines())} campaigns)   < 5 s"
    )

    statements = captured_statements(campaign)
    floor = timed(replay(statements), repeat)
    row(f"bare SQL floor ({len(statements)} statements, cursor)", floor)
    print(
        f"  ratio dashboard ({campaign.county.short_name}) / floor: {dashboards[0] / floor[0]:.1f}×;"
        f" progress API / floor: {api[0] / floor[0]:.1f}×"
    )
    per_statement = [(timed(replay([s]), 5)[0], s) for s in statements]
    for ms, (sql, _params) in per_statement:
        print(f"  {ms:7.1f} ms  {sql[:100]}…")
    ms, (sql, params) = max(per_statement, key=lambda p: p[0])
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN ANALYZE " + sql, params)
        plan = [line for (line,) in cursor.fetchall()]
    print(f"\nEXPLAIN ANALYZE of the slowest statement ({ms:.1f} ms), first 15 of {len(plan)} lines, then its summary:")
    print("\n".join(plan[:15] + ["…"] + [line for line in plan[15:] if line.lstrip().startswith(SUMMARY)]))
    print(f"({sum(line.lstrip().startswith('SubPlan') for line in plan)} SubPlan nodes in the full plan)")


def recreate_database(url: str, drop_only: bool = False) -> None:
    import psycopg2
    from psycopg2 import sql

    parts = urlsplit(url)
    name = unquote(parts.path.lstrip("/"))
    if not name.startswith("progress_bench"):
        sys.exit(f"refusing to drop database {name!r}: its name must start with 'progress_bench'")
    conn = psycopg2.connect(parts._replace(path="/postgres").geturl())  # the maintenance database
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            if not drop_only:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--city", action="store_true", help="city scale on PostgreSQL (default: county on SQLite)")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/progress_bench")
    parser.add_argument("--repeat", type=int, help="timed repetitions (default 10 county, 20 city)")
    parser.add_argument("--evidence", type=int, default=200_000, help="evidence items in the city (total)")
    parser.add_argument("--keep", action="store_true", help="keep the city database at the end")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="progress-bench-")
    try:
        if not args.city:
            setup(f"sqlite:///{tmp}/bench.sqlite3", tmp)
            run_county(args)
            return
        recreate_database(args.database_url)
        try:
            setup(args.database_url, tmp)
            run_city(args)
        finally:
            connections.close_all()
            if not args.keep:
                recreate_database(args.database_url, drop_only=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
