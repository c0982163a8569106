"""Shared behaviour of the three import commands: read the file, print row errors, exit non-zero."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from luhsan_portal.imports import ImportResult


class ImportCommand(BaseCommand):
    def add_arguments(self, parser):
        parser.add_argument("file", help=".xlsx 或 .csv 文件")
        parser.add_argument("--dry-run", action="store_true", help="只检查并预览，不写入数据库")

    def read(self, path: str) -> bytes:
        file = Path(path)
        if not file.is_file():
            raise CommandError(f"找不到文件：{path}")
        return file.read_bytes()

    def execute(self, *args, **options):
        self.verbosity = options.get("verbosity", 1)
        return super().execute(*args, **options)

    def report(self, result: ImportResult) -> None:
        if result.errors:
            for error in result.errors:
                self.stderr.write(str(error))
            raise CommandError(result.summary())
        for row in result.preview[:50] if self.verbosity > 1 else []:
            self.stdout.write(f"  {row['action']:<6} {row['label']} {row['detail']}")
        self.stdout.write(self.style.SUCCESS(result.summary()))
