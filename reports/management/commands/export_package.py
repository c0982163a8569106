import re
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

SPLIT = re.compile(r"[,，、;；\s]+")
# Area codes end in "、" (一、), so only commas and spaces separate them.
AREA_SPLIT = re.compile(r"[,，;；\s]+")


class Command(BaseCommand):
    help = (
        "导出省督导平台材料包（DESIGN.md §3.7）：在 DIR 中写入每册一个 ZIP、index.json、目录.xlsx 和"
        "网络检索链接.xlsx。与网页上的“材料包导出”是同一个任务。"
    )
    # The checks import every URLconf, view and API schema: ~20 MB the export itself never uses.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--campaign", type=int, required=True, help="创建活动编号")
        parser.add_argument("--out", required=True, help="输出目录（不存在则创建；已有材料包则整体替换）")
        parser.add_argument(
            "--scope",
            default="all",
            help="all（默认，全部）、areas 或 units；也可写成 areas:一、,二、 或 units:司法局,财政局",
        )
        parser.add_argument("--areas", default="", help="一级指标编号，逗号分隔；“附加”表示附加指标")
        parser.add_argument("--units", default="", help="单位名称、简称或别名，逗号分隔")
        parser.add_argument("--include-pending", action="store_true", help="同时导出待审核的材料（默认只导出已通过的）")
        parser.add_argument(
            "--volumes",
            choices=["indicator", "area", "size"],
            help="分册方式：每项指标一册（默认）、每个一级指标一册、按大小",
        )
        parser.add_argument("--volume-cap", type=int, help="按大小分册时每册的字节上限（给出即按大小分册）")
        parser.add_argument("--user", default="", help="记为导出人的用户名（默认记为“命令行”）")

    def handle(self, *args, **options):
        from django.contrib.auth import get_user_model

        from indicators.models import Campaign
        from luhsan_portal.audit import audit_record
        from reports.packages.builder import build_package
        from reports.packages.collect import Options

        campaign = Campaign.objects.select_related("county", "framework").filter(pk=options["campaign"]).first()
        if campaign is None:
            raise CommandError(f"找不到编号为 {options['campaign']} 的创建活动。")
        scope, _sep, listed = options["scope"].partition(":")
        if scope not in ("all", "areas", "units", "area", "unit"):
            raise CommandError(f"--scope 只能是 all、areas 或 units，收到“{options['scope']}”。")
        areas = self._areas(campaign, (listed if scope.startswith("area") else "") or options["areas"])
        units = self._units(campaign, (listed if scope.startswith("unit") else "") or options["units"])
        if scope.startswith("area") and not areas:
            raise CommandError("按一级指标导出时请用 --areas 给出一级指标编号。")
        if scope.startswith("unit") and not units:
            raise CommandError("按单位导出时请用 --units 给出单位。")
        cap = options.get("volume_cap")
        if cap is not None and cap <= 0:
            raise CommandError("--volume-cap 必须是正整数（字节）。")
        rule = options.get("volumes") or ("size" if cap else "indicator")
        if rule == "size" and not cap:
            raise CommandError("按大小分册时请用 --volume-cap 给出每册的字节上限。")
        export_options = Options(
            campaign_id=campaign.pk,
            area_ids=tuple(sorted(areas)),
            unit_ids=tuple(sorted(units)),
            include_pending=options["include_pending"],
            volume_rule=rule,
            volume_cap=cap,
        )
        actor = None
        if options["user"]:
            actor = get_user_model().objects.filter(username=options["user"]).first()
            if actor is None:
                raise CommandError(f"找不到用户“{options['user']}”。")
        out = Path(options["out"]).resolve()
        if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / "index.json").exists())):
            raise CommandError(f"{out} 已存在且不是空目录或材料包，为免误删，请换一个输出目录。")

        def progress(files_done, files_total, bytes_done, bytes_total):
            if options["verbosity"] >= 1:
                sys.stderr.write(
                    f"\r已处理 {files_done}/{files_total} 个文件，{bytes_done / 2**20:.1f}/{bytes_total / 2**20:.1f} MB"
                )
                sys.stderr.flush()

        built = build_package(
            export_options, out, generated_by=actor.display_name if actor else "命令行", progress=progress
        )
        if options["verbosity"] >= 1:
            sys.stderr.write("\n")
        audit_record(
            actor=actor,
            verb="package.export",
            target=campaign,
            reason=f"命令行导出到 {out}",
            changes={"options": (None, export_options.as_dict()), "index_sha256": (None, built.index_sha256)},
        )
        self.stdout.write(
            f"已导出 {len(built.volumes)} 册、{built.files_total} 个文件，共 {built.size:,} 字节，到 {out}\n"
            f"index.json SHA-256：{built.index_sha256}"
        )

    def _areas(self, campaign, text: str) -> set[int]:
        from indicators.models import Indicator
        from reports.packages.collect import BONUS_AREA

        wanted = [t for t in AREA_SPLIT.split(text or "") if t]
        if not wanted:
            return set()
        areas = {a.code.rstrip("、."): a.pk for a in Indicator.objects.filter(framework=campaign.framework, level="1")}
        found, missing = set(), []
        for code in wanted:
            if code in ("附加", "附加指标", "bonus"):
                found.add(BONUS_AREA)
            elif code.rstrip("、.") in areas:
                found.add(areas[code.rstrip("、.")])
            else:
                missing.append(code)
        if missing:
            raise CommandError(f"指标体系中没有这些一级指标：{'、'.join(missing)}")
        return found

    def _units(self, campaign, text: str) -> set[int]:
        from units.selectors import UnitResolver

        wanted = [t for t in SPLIT.split(text or "") if t]
        if not wanted:
            return set()
        resolver = UnitResolver(campaign.county)
        found, missing = set(), []
        for name in wanted:
            unit = resolver.resolve(name)
            if unit is None:
                missing.append(name)
            else:
                found.add(unit.pk)
        if missing:
            raise CommandError(f"找不到这些单位：{'、'.join(missing)}")
        return found
