"""``python manage.py seed_demo``: a complete demo county, idempotent, printing the demo logins."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

ROLE_NOTES = {
    "demo_office": "创建办工作人员",
    "demo_liaison": "单位联络员（鲁山县司法局，牵头多项指标）",
    "demo_liaison_town": "单位联络员（琴台街道办事处）",
    "demo_supervisor": "督导员",
    "demo_leader": "领导（只读）",
    "demo_admin": "系统管理员",
}


class Command(BaseCommand):
    help = "Load the 鲁山县 demo county (campaign, framework, units, users, assignments …). Safe to re-run."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="run even when DEBUG is off")

    def handle(self, *args, force: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError("DEBUG 已关闭（生产环境），为防误操作拒绝载入演示数据；确需载入请加 --force。")
        from django.test.utils import override_settings

        from accounts.demo import DEMO_PASSWORD, seed_users
        from bulletins.demo import seed_bulletins
        from evidence.demo import seed_evidence
        from indicators.demo import seed_campaign, seed_framework
        from luhsan_portal.models import ensure_reference_data
        from reports.demo import seed_package
        from reports.services import progress_snapshot_record
        from supervision.demo import seed_supervision
        from units.demo import seed_county

        # The demo has no internet: do not start link checks for the demo's links (they carry
        # prepared results instead).
        with override_settings(LINK_CHECK_ENABLED=False), transaction.atomic():
            ensure_reference_data()
            county = seed_county()
            framework = seed_framework()
            campaign = seed_campaign(county, framework)
            users = seed_users(county)
            office = next(u for u in users if u.username == "demo_office")
            created = seed_evidence(campaign, office)
            findings = seed_supervision(campaign, office)
            bulletins = seed_bulletins(campaign, office)
            package = seed_package(campaign, office)
            # A weekly trend since the start, rebuilt from the submissions' own dates, then today.
            import datetime as dt

            from django.utils import timezone

            day = campaign.start_date
            while day < timezone.localdate():
                progress_snapshot_record(campaign=campaign, date=day)
                day += dt.timedelta(days=7)
            progress_snapshot_record(campaign=campaign)
        if created:
            self.stdout.write(f"已生成 {created} 份演示材料（待审核、已退回、已通过、已撤回等各种状态）。")
        if bulletins:
            self.stdout.write(f"已生成 {bulletins} 期工作简报（含草稿）和公开专栏文章。")
        if package is not None:
            package.refresh_from_db()
            volumes = package.volumes.count()
            status = package.get_status_display()
            self.stdout.write(f"已生成演示材料包（{status}，{volumes} 册、{package.files_total} 个文件）。")
        if findings:
            self.stdout.write(f"已生成两轮督导，{findings} 个督导问题及整改（待整改、整改中、待复核、已销号、逾期）。")
        self.stdout.write(
            self.style.SUCCESS(f"演示数据已就绪：{campaign.name}（{campaign.start_date} — {campaign.target_date}）")
        )
        self.stdout.write(f"演示账号（密码均为 {DEMO_PASSWORD}）：")
        for user in users:
            self.stdout.write(f"  {user.username:<20} {ROLE_NOTES.get(user.username, user.get_role_display())}")
