from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "按清单重新校验材料包（整个目录或单册 ZIP）中每个文件的 SHA-256；有不符、缺失或多余文件时以非零状态退出。"

    def add_arguments(self, parser):
        parser.add_argument("path", metavar="DIR_OR_ZIP", help="材料包目录（含 index.json）或单册 ZIP")

    def handle(self, *args, **options):
        from reports.packages.verify import verify

        checked = verify(options["path"])
        for problem in checked.problems:
            self.stderr.write(problem)
        if checked.problems:
            found = len(checked.problems)
            scanned = f"{checked.volumes} 册、{checked.files} 个文件"
            raise CommandError(f"校验未通过：发现 {found} 处问题（已检查 {scanned}）。")
        self.stdout.write(f"校验通过：{checked.volumes} 册、{checked.files} 个文件与清单一致。")
