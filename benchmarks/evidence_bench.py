"""Evidence pages at county scale: the demo county plus 20,000 evidence items (SQLite by default).

Run:  .venv/bin/python benchmarks/evidence_bench.py [--items 20000] [--repeat 30]
Prints, for the review queue page (page of 20), the evidence API list (page of 20), the liaison's
task page and a submission's page: median / p90 server time (in-process, Django test client) and
SQL query counts, then the process's peak RSS. Targets (SQLite): queue ≤ 30 ms median, task page
≤ 40 ms; query counts independent of the number of items.

The 20,000 items are bulk-inserted rows (states, dates and files spread realistically); the
submit path itself is measured by benchmarks/upload_bench.py.
"""

import argparse
import datetime as dt
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
_tmp = tempfile.mkdtemp(prefix="evidence-bench-")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{_tmp}/bench.sqlite3")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luhsan_portal.settings.base")
os.environ.setdefault("DJANGO_MEDIA_ROOT", f"{_tmp}/media")
os.environ.setdefault("LINK_CHECK_ENABLED", "false")
# Measured as deployed: DEBUG off (cached templates, no query log).
os.environ["DJANGO_DEBUG"] = "false"
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,127.0.0.1")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402


def bulk_evidence(count: int) -> None:
    """Add ``count`` submissions spread over every assignment of the demo campaign."""
    from accounts.models import User
    from evidence.models import Evidence, EvidenceAssignment, EvidenceFile, EvidenceLink, StoredFile
    from indicators.models import Assignment, Campaign

    rng = random.Random(7)  # noqa: S311 — reproducible data
    campaign = Campaign.objects.get(name__contains="鲁山")
    assignments = list(Assignment.objects.filter(campaign=campaign).values_list("id", "unit_id"))
    authors = dict(User.objects.filter(role="liaison").values_list("unit_id", "id"))
    office = User.objects.get(username="demo_office").pk
    stored = list(StoredFile.objects.values_list("id", flat=True)[:5])
    now = timezone.now()
    statuses = ["approved"] * 5 + ["pending"] * 3 + ["returned"] + ["withdrawn"]
    batch = 2000
    with transaction.atomic():
        for start in range(0, count, batch):
            rows = []
            picks = []
            for i in range(start, min(start + batch, count)):
                assignment_id, unit_id = rng.choice(assignments)
                status = rng.choice(statuses)
                created = now - dt.timedelta(days=rng.randint(0, 200), minutes=rng.randint(0, 1000))
                # created_at is auto_now_add: bulk_create overrides it; dates are spread below.
                rows.append(
                    Evidence(
                        campaign=campaign,
                        unit_id=unit_id,
                        title=f"批量材料{i}",
                        status=status,
                        unclassified=True,
                        created_by_id=authors[unit_id],
                        created_at=created,
                        reviewed_by_id=office if status in ("approved", "returned") else None,
                        reviewed_at=created + dt.timedelta(days=2) if status in ("approved", "returned") else None,
                        review_reason="材料不完整" if status == "returned" else "",
                    )
                )
                picks.append(assignment_id)
            created_rows = Evidence.objects.bulk_create(rows)
            EvidenceAssignment.objects.bulk_create(
                EvidenceAssignment(evidence=e, assignment_id=a) for e, a in zip(created_rows, picks, strict=True)
            )
            EvidenceFile.objects.bulk_create(
                EvidenceFile(evidence=e, stored_id=rng.choice(stored), name=f"{e.title}.pdf") for e in created_rows
            )
            EvidenceLink.objects.bulk_create(
                EvidenceLink(evidence=e, url=f"https://www.hnls.gov.cn/{e.title}.html", site="县政府网")
                for e in created_rows[::4]
            )
    # Spread the submission dates (auto_now_add ignored them) with one UPDATE per day bucket.
    ids = list(Evidence.objects.filter(title__startswith="批量材料").values_list("id", flat=True))
    with transaction.atomic():
        for day in range(0, 200, 5):
            chunk = ids[day * len(ids) // 200 : (day + 5) * len(ids) // 200]
            Evidence.objects.filter(pk__in=chunk).update(created_at=now - dt.timedelta(days=day))


def measure(client: Client, url: str, repeat: int) -> tuple[float, float, int]:
    client.get(url)  # warm caches and templates
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.9) - 1], len(ctx.captured_queries)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()

    from accounts.models import User
    from evidence.models import Evidence

    call_command("migrate", verbosity=0)
    call_command("seed_demo", "--force", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    start = time.perf_counter()
    bulk_evidence(args.items)
    total = Evidence.objects.count()
    print(
        f"database: {connection.vendor}; evidence rows: {total}"
        f" (added {args.items} in {time.perf_counter() - start:.1f} s)"
    )

    office, liaison = Client(), Client()
    office.force_login(User.objects.get(username="demo_office"))
    liaison.force_login(User.objects.get(username="demo_liaison"))
    sample = Evidence.objects.filter(status="pending").order_by("-id").first()
    pages = [
        ("review queue (page of 20)", office, "/review/?page_size=20"),
        ("review queue, filtered by 网络检索", office, "/review/?method=web_search&page_size=20"),
        ("evidence API list (page of 20)", office, "/api/v1/evidence/?page_size=20"),
        ("evidence API list, one unit", office, f"/api/v1/evidence/?unit={sample.unit_id}&page_size=20"),
        ("liaison task page (本单位任务)", liaison, "/my/tasks/"),
        ("assignment API list (page of 100)", liaison, "/api/v1/assignments/?page_size=100"),
        ("a submission's page", office, f"/evidence/{sample.pk}/"),
    ]
    print(f"\n{'page':<38} {'median':>9} {'p90':>9} {'queries':>8}")
    for label, client, url in pages:
        median, p90, queries = measure(client, url, args.repeat)
        print(f"{label:<38} {median:7.1f} ms {p90:7.1f} ms {queries:8d}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nprocess peak RSS: {peak:.0f} MB (includes the bulk insert of {args.items} rows)")


if __name__ == "__main__":
    main()
