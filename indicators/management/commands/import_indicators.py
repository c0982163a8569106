from luhsan_portal.management.commands._import_base import ImportCommand


class Command(ImportCommand):
    help = "导入指标体系（逐行格式或官方表格格式）；指标体系不存在则新建，重复导入同一文件不产生变化。"

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--framework", required=True, help="指标体系名称")

    def handle(self, *args, **options):
        from indicators.importing.framework import framework_import

        data = self.read(options["file"])
        self.report(framework_import(data=data, framework_name=options["framework"], dry_run=options["dry_run"]))
