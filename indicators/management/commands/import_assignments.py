from django.core.management.base import CommandError

from luhsan_portal.management.commands._import_base import ImportCommand


class Command(ImportCommand):
    help = "导入责任清单（指标编号、牵头单位、配合单位，可选 完成时限）到指定创建活动。"

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--campaign", required=True, type=int, help="创建活动编号（create_campaign 输出的 id）")

    def handle(self, *args, **options):
        from indicators.importing.assignments import assignments_import
        from indicators.models import Campaign

        campaign = Campaign.objects.select_related("county", "framework").filter(pk=options["campaign"]).first()
        if campaign is None:
            raise CommandError(f"找不到编号为 {options['campaign']} 的创建活动。")
        data = self.read(options["file"])
        self.report(assignments_import(data=data, campaign=campaign, dry_run=options["dry_run"]))
