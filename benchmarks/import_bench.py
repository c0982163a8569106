"""Import benchmark: a generated framework (10 × 34 × 100 + 4), an 89-unit roster and a ~600-row
responsibility list for one county, then a city (10 counties, 10 campaigns).

Run:  .venv/bin/python benchmarks/import_bench.py            (SQLite in a temporary file)
      DATABASE_URL=postgres://... .venv/bin/python benchmarks/import_bench.py
Prints seconds, rows per second and SQL query counts for each import. Target (SQLite): the
county responsibility list in ≤ 0.3 s with a query count that does not grow with the rows.
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
_tmp = tempfile.mkdtemp(prefix="import-bench-")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{_tmp}/bench.sqlite3")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luhsan_portal.settings.base")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

METHODS = ["材料审查", "网络检索", "实地核查", "满意度测评", "数据核验"]
CN = "一二三四五六七八九十"


def framework_csv() -> str:
    lines = ["层级,编号,上级编号,名称,测评要点,测评方式,分值,释义,佐证材料要求"]
    level2 = 0
    level3 = 0
    for a in range(10):
        lines.append(f"1,{CN[a]}、,,领域{a + 1},,,,,")
        for _ in range(4 if a < 4 else 3):
            level2 += 1
            lines.append(f"2,{level2}.,{CN[a]}、,二级指标{level2},,,,,")
            per_item = 3 if level3 + 3 <= 100 and level2 <= 32 else 2
            for _ in range(per_item):
                if level3 >= 100:
                    break
                level3 += 1
                methods = "、".join(METHODS[i % 5] for i in range(level3 % 2 + 1))
                lines.append(f"3,{level3},{level2}.,三级指标{level3},测评要点{level3},{methods},1,释义,材料一；材料二")
    while level3 < 100:  # top up the last item so that there are exactly 100
        level3 += 1
        lines.append(f"3,{level3},{level2}.,三级指标{level3},,材料审查,1,,")
    for b in range(1, 5):
        lines.append(f"附加,附{b},,附加指标{b},,材料审查,2,,")
    return "\n".join(lines) + "\n"


def units_csv() -> str:
    lines = ["单位名称,简称,类型,排序,别名"]
    for n in range(64):
        lines.append(f"测试县第{n}局,第{n}局,县直单位,{n + 1},县第{n}局")
    for n in range(25):
        lines.append(f"第{n}镇人民政府,第{n}镇,乡镇,{65 + n},")
    return "\n".join(lines) + "\n"


def assignments_csv() -> tuple[str, int]:
    lines = ["指标编号,牵头单位,配合单位,完成时限"]
    rows = 0
    codes = [str(n) for n in range(1, 101)] + [f"附{b}" for b in range(1, 5)]
    for i, code in enumerate(codes):
        lead = f"第{i % 64}局"
        cos = [f"第{(i + k) % 64}局" for k in (7, 13)] + [f"第{(i + k) % 25}镇" for k in (0, 5, 11)]
        due = dt.date(2026, 3, 1) + dt.timedelta(days=(i * 37) % 240)
        lines.append(f"{code},{lead},{'、'.join(cos)},{due:%Y年%-m月%-d日}")
        rows += 1 + len(cos)
    return "\n".join(lines) + "\n", rows


def timed(label: str, rows: int, fn):
    with CaptureQueriesContext(connection) as ctx:
        start = time.perf_counter()
        result = fn()
        seconds = time.perf_counter() - start
    assert result.ok, [str(e) for e in result.errors]
    print(f"{label:<44} {seconds:7.3f} s  {rows / seconds:9.0f} rows/s  {len(ctx.captured_queries):4d} queries")
    return seconds, len(ctx.captured_queries)


def main() -> None:
    from indicators.importing.assignments import assignments_import
    from indicators.importing.framework import framework_import
    from indicators.models import Framework
    from indicators.services import campaign_create
    from units.importers import units_import
    from units.models import County

    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor}")
    fw = framework_csv().encode()
    timed("framework 10 × 34 × 100 + 4 (148 nodes)", 148, lambda: framework_import(data=fw, framework_name="基准体系"))
    timed("framework re-import (no change)", 148, lambda: framework_import(data=fw, framework_name="基准体系"))
    framework = Framework.objects.get(name="基准体系")
    roster = units_csv().encode()
    listing, rows = assignments_csv()
    listing_bytes = listing.encode()

    county = County.objects.create(name="测试县")
    timed("unit roster (89 units)", 89, lambda: units_import(data=roster, county=county))
    campaign = campaign_create(
        name="县级创建",
        framework=framework,
        start_date=dt.date(2026, 1, 1),
        target_date=dt.date(2026, 12, 31),
        county=county,
    )
    seconds, queries = timed(
        f"responsibility list ({rows} assignments, 89 units)",
        rows,
        lambda: assignments_import(data=listing_bytes, campaign=campaign),
    )
    again = []
    for _ in range(5):
        s, _q = timed(
            "responsibility list re-import (no change)",
            rows,
            lambda: assignments_import(data=listing_bytes, campaign=campaign),
        )
        again.append(s)
    # Same list at half the size: the query count must be the same.
    half = "\n".join(listing.splitlines()[:53]) + "\n"
    county_b = County.objects.create(name="对照县")
    units_import(data=roster, county=county_b)
    campaign_b = campaign_create(
        name="对照",
        framework=framework,
        start_date=dt.date(2026, 1, 1),
        target_date=dt.date(2026, 12, 31),
        county=county_b,
    )
    _s, half_queries = timed(
        "responsibility list, first half of the rows",
        rows // 2,
        lambda: assignments_import(data=half.encode(), campaign=campaign_b),
    )

    print("\ncity scale: 10 counties × (89 units + 1 campaign + list)")
    start = time.perf_counter()
    city_queries = 0
    for n in range(10):
        c = County.objects.create(name=f"市辖第{n}县")
        units_import(data=roster, county=c)
        camp = campaign_create(
            name=f"第{n}县创建",
            framework=framework,
            start_date=dt.date(2026, 1, 1),
            target_date=dt.date(2026, 12, 31),
            county=c,
        )
        _s, q = timed(
            f"  county {n}: responsibility list",
            rows,
            lambda camp=camp: assignments_import(data=listing_bytes, campaign=camp),
        )
        city_queries += q
    city = time.perf_counter() - start
    print(f"city total (10 rosters + 10 campaigns + 10 lists)  {city:7.3f} s  {10 * rows / city:9.0f} assignments/s")

    print("\nsummary")
    print(f"  county list import: {seconds:.3f} s ({rows} rows, {queries} queries; target ≤ 0.3 s)")
    print(f"  re-import median:   {statistics.median(again):.3f} s")
    print(
        f"  queries for {rows} rows = {queries}, for about half the rows = {half_queries}"
        f" (constant: {queries == half_queries})"
    )


if __name__ == "__main__":
    main()
