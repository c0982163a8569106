import datetime as dt

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "计算并保存进度快照（全县、各一级指标、各单位）；与每晚定时任务相同。"

    def add_arguments(self, parser):
        parser.add_argument("--campaign", type=int, help="创建活动编号；省略则计算所有进行中的活动")
        parser.add_argument("--date", help="YYYY-MM-DD；省略则为今天。过去的日期按当天结束时的材料和审核状态计算")

    def handle(self, *args, **options):
        from django.utils import timezone

        from indicators.models import Campaign
        from reports.services import progress_snapshot_record

        day = None
        if options.get("date"):
            try:
                day = dt.date.fromisoformat(options["date"])
            except ValueError as exc:
                raise CommandError(f"日期“{options['date']}”格式不对，应为 YYYY-MM-DD。") from exc
            if day > timezone.localdate():
                raise CommandError("不能计算未来日期的进度。")
        if options.get("campaign"):
            campaigns = list(Campaign.objects.filter(pk=options["campaign"]))
            if not campaigns:
                raise CommandError(f"找不到编号为 {options['campaign']} 的创建活动。")
        else:
            cutoff = timezone.localdate() - dt.timedelta(days=30)
            campaigns = list(Campaign.objects.filter(target_date__gte=cutoff))
        for campaign in campaigns:
            rows = progress_snapshot_record(campaign=campaign, date=day)
            self.stdout.write(f"{campaign.name}（{day or timezone.localdate()}）：已保存 {rows} 条进度数据")
