"""Demo framework (marked 示例), the 鲁山 campaign and its responsibility list.

The campaign started about 200 days before the day of seeding and ends about 100 days after it,
so 双过半 is judged and some due dates have passed. Due dates are spread deterministically.
"""

import csv
import datetime as dt
import io
from pathlib import Path

from django.core.management.base import CommandError
from django.utils import timezone

from indicators.importing.assignments import assignments_import
from indicators.importing.framework import framework_import
from indicators.models import Campaign, CampaignStage, Framework
from indicators.services import campaign_create
from units.models import County

DATA = Path(__file__).parent
FRAMEWORK_NAME = "市县法治政府建设示范指标体系"
CAMPAIGN_NAME = "鲁山县创建省级法治政府建设示范县"
OFFICE_NAME = "鲁山县创建省级法治政府建设示范县指挥部办公室"


def _fail(result) -> None:
    if not result.ok:
        raise CommandError("\n".join(str(e) for e in result.errors))


def seed_framework(actor=None) -> Framework:
    _fail(framework_import(data=(DATA / "framework.csv").read_bytes(), framework_name=FRAMEWORK_NAME, actor=actor))
    framework = Framework.objects.get(name=FRAMEWORK_NAME)
    if not framework.is_sample:
        framework.is_sample = True
        framework.version = "示例"
        framework.note = "演示用示例数据，措辞为本平台自拟，并非官方指标体系文本。"
        framework.save(update_fields=["is_sample", "version", "note", "updated_at"])
    return framework


def _stages(start: dt.date, target: dt.date) -> list[tuple[str, dt.date, dt.date]]:
    return [
        ("动员部署", start, start + dt.timedelta(days=30)),
        ("全面创建", start + dt.timedelta(days=31), start + dt.timedelta(days=220)),
        ("自查评估", start + dt.timedelta(days=221), start + dt.timedelta(days=260)),
        ("迎检验收", start + dt.timedelta(days=261), target),
    ]


def seed_campaign(county: County, framework: Framework, actor=None) -> Campaign:
    today = timezone.localdate()
    start, target = today - dt.timedelta(days=200), today + dt.timedelta(days=100)
    campaign = Campaign.objects.filter(county=county, name=CAMPAIGN_NAME).first()
    if campaign is None:
        campaign = campaign_create(
            name=CAMPAIGN_NAME,
            framework=framework,
            start_date=start,
            target_date=target,
            county=county,
            office_name=OFFICE_NAME,
            stages=_stages(start, target),
            actor=actor,
        )
    elif (campaign.start_date, campaign.target_date) != (start, target):
        # Re-seeding on a later day keeps the demo's dates relative to today.
        campaign.start_date, campaign.target_date = start, target
        campaign.save(update_fields=["start_date", "target_date", "updated_at"])
        CampaignStage.objects.filter(campaign=campaign).delete()
        CampaignStage.objects.bulk_create(
            CampaignStage(campaign=campaign, name=n, start_date=s, end_date=e, order=i)
            for i, (n, s, e) in enumerate(_stages(start, target), start=1)
        )
    _fail(assignments_import(data=_responsibility_list(campaign), campaign=campaign, actor=actor))
    return campaign


def _responsibility_list(campaign: Campaign) -> bytes:
    """The demo list with due dates spread from day 45 to day 285 of the campaign."""
    out = io.StringIO()
    writer = csv.writer(out)
    with (DATA / "assignments.csv").open(encoding="utf-8") as source:
        reader = csv.DictReader(source)
        writer.writerow([*reader.fieldnames, "完成时限"])
        for index, row in enumerate(reader):
            if row["指标编号"].startswith("附"):
                due = campaign.target_date - dt.timedelta(days=15)
            else:
                due = campaign.start_date + dt.timedelta(days=45 + (index * 37) % 241)
            writer.writerow([*row.values(), due.strftime("%Y年%-m月%-d日")])
    return out.getvalue().encode("utf-8")
