from django.core.management.base import CommandError

from luhsan_portal.management.commands._import_base import ImportCommand


class Command(ImportCommand):
    help = "导入责任单位名册（单位名称、简称、类型，可选 排序、别名）。"

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--county", help="县（区）名称；部署中只有一个县时可省略")

    def handle(self, *args, **options):
        from units.importers import units_import
        from units.models import County

        if options.get("county"):
            county = County.objects.filter(name=options["county"]).first()
            if county is None:
                raise CommandError(f"找不到县（区）“{options['county']}”。")
        else:
            try:
                county = County.objects.default()
            except County.MultipleObjectsReturned as exc:
                raise CommandError(str(exc.args[0])) from exc
        data = self.read(options["file"])
        self.report(units_import(data=data, county=county, dry_run=options["dry_run"]))
