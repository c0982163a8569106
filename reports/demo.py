"""A finished package export for the demo county, so that 材料包导出 shows what a done job looks like."""

from reports.models import PackageExport


def seed_package(campaign, office) -> PackageExport | None:
    """Queue an export of the first level-1 area (built when the demo's transaction commits)."""
    from indicators.models import Indicator
    from reports.packages.collect import Options
    from reports.services import package_export_request

    if PackageExport.objects.filter(campaign=campaign).exists():
        return None
    area = Indicator.objects.filter(framework_id=campaign.framework_id, level="1").order_by("sort_key").first()
    return package_export_request(options=Options(campaign_id=campaign.pk, area_ids=(area.pk,)), actor=office)
