import datetime as dt

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"日期“{value}”格式不对，应为 YYYY-MM-DD。") from exc


class Command(BaseCommand):
    help = "新建创建活动；标准输出的最后一行是新活动的编号。"

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="活动名称")
        parser.add_argument("--framework", required=True, help="指标体系名称（须已导入）")
        parser.add_argument("--start", required=True, help="开始日期 YYYY-MM-DD")
        parser.add_argument("--target", required=True, help="目标日期 YYYY-MM-DD")
        parser.add_argument("--county", help="县（区）名称；部署中只有一个县时可省略")

    def handle(self, *args, **options):
        from indicators.models import Framework
        from indicators.services import campaign_create
        from units.models import County

        framework = Framework.objects.filter(name=options["framework"]).first()
        if framework is None:
            raise CommandError(f"找不到指标体系“{options['framework']}”，请先用 import_indicators 导入。")
        county = None
        if options.get("county"):
            county = County.objects.filter(name=options["county"]).first()
            if county is None:
                raise CommandError(f"找不到县（区）“{options['county']}”。")
        try:
            campaign = campaign_create(
                name=options["name"],
                framework=framework,
                start_date=_date(options["start"]),
                target_date=_date(options["target"]),
                county=county,
            )
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from exc
        except County.MultipleObjectsReturned as exc:
            raise CommandError(str(exc.args[0])) from exc
        self.stdout.write(f"已创建：{campaign.name}（{campaign.county.name}）")
        self.stdout.write(str(campaign.pk))
