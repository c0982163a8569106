"""Bulletin and column figures (SQLite, demo county).

Run:  .venv/bin/python benchmarks/bulletin_bench.py
Prints the PDF and DOCX generation time for a bulletin of 6 items with 4 images (median of 5) and
the PDF's size, then the public column pages' server time (cold and cached) and query counts.
"""

import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
_tmp = tempfile.mkdtemp(prefix="bulletin-bench-")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{_tmp}/bench.sqlite3")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luhsan_portal.settings.base")
os.environ.setdefault("DJANGO_MEDIA_ROOT", f"{_tmp}/media")
os.environ["DJANGO_DEBUG"] = "false"
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
os.environ.setdefault("LINK_CHECK_ENABLED", "false")

import django  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402


def photo(n: int) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (1200, 800), (40 + n * 30, 90, 150))
    ImageDraw.Draw(image).ellipse((300, 150, 900, 650), fill=(230, 200, 60))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def median_ms(fn, repeat: int = 5) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def main() -> None:
    from accounts.models import User
    from bulletins import selectors
    from bulletins.models import Bulletin
    from bulletins.render import bulletin_docx, bulletin_pdf
    from bulletins.services import bulletin_create, item_save
    from indicators.models import Campaign

    call_command("migrate", verbosity=0)
    call_command("seed_demo", "--force", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    campaign = Campaign.objects.get(name__contains="鲁山")
    office = User.objects.get(username="demo_office")
    bulletin = bulletin_create(campaign=campaign, actor=office, issue_date=timezone.localdate())
    paragraph = "各单位对照指标体系逐项梳理短板弱项，明确责任人和完成时限，推动创建工作走深走实。" * 4
    for n in range(6):
        images = [SimpleUploadedFile(f"现场{n}.jpg", photo(n))] if n < 4 else []
        item_save(
            bulletin=bulletin,
            actor=office,
            headline=f"第{n + 1}篇工作动态标题",
            body=f"{paragraph}\n\n{paragraph}\n\n{paragraph}",
            images=images,
            captions=[f"图{n + 1}"],
        )
    full = selectors.bulletin_with_items(Bulletin.objects.all(), bulletin.pk)
    data = selectors.bulletin_data(full)
    bulletin_pdf(data)  # first render loads fonts
    pdf_ms, pdf = median_ms(lambda: bulletin_pdf(data))
    docx_ms, docx = median_ms(lambda: bulletin_docx(data))
    print("bulletin with 6 items and 4 images (1200×800 JPEG):")
    print(f"  PDF  {pdf_ms:7.0f} ms (median of 5), {len(pdf) / 1024:.0f} KB")
    print(f"  DOCX {docx_ms:7.0f} ms (median of 5), {len(docx) / 1024:.0f} KB")

    client = Client()
    print("public column (anonymous):")
    for path in ("", "dongtai/", "zhengce/", "jiansuo/", "baogao/"):
        url = f"/zhuanlan/{campaign.pk}/{path}"
        cold = []
        for _ in range(5):
            cache.clear()
            start = time.perf_counter()
            assert client.get(url).status_code == 200
            cold.append((time.perf_counter() - start) * 1000)
        cache.clear()
        with CaptureQueriesContext(connection) as ctx:
            client.get(url)
        cold_queries = len(ctx.captured_queries)  # read now: the property slices the live log
        warm_ms, _ = median_ms(lambda url=url: client.get(url), repeat=20)
        with CaptureQueriesContext(connection) as cached:
            client.get(url)
        cached_queries = len(cached.captured_queries)
        print(
            f"  {url:<22} cold {statistics.median(cold):6.1f} ms / {cold_queries} queries;"
            f" cached {warm_ms:5.1f} ms / {cached_queries} queries"
        )


if __name__ == "__main__":
    main()
