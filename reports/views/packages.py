"""材料包导出: start an export, follow its progress, download its volumes; and the generated reports."""

import datetime as dt
from pathlib import Path

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _

from indicators.models import Indicator
from indicators.selectors import campaign_get_current
from luhsan_portal.access import Action, can
from luhsan_portal.audit import audit_record
from luhsan_portal.views import login_required, portal_page
from reports.forms import PackageExportForm
from reports.models import PackageExport, PackageVolume
from reports.packages.collect import BONUS_AREA
from reports.services import package_export_request
from units.models import Unit

SIDE_FILES = {"index.json": "application/json", "目录.xlsx": None, "网络检索链接.xlsx": None}
# A second click on 开始导出 within this window opens the export the first click started.
DOUBLE_SUBMIT_WINDOW = dt.timedelta(seconds=60)


def _require_office(request) -> None:
    if not can(request.user, Action.MANAGE):
        raise PermissionDenied(_("只有创建办工作人员和系统管理员可以导出材料包。"))


def _exports(request):
    return PackageExport.objects.for_user(request.user, Action.MANAGE).select_related("campaign", "created_by")


def scope_label(export: PackageExport) -> str:
    """The scope in words, as the list and the detail page show it."""
    options = export.options
    parts = []
    if options.get("area_ids"):
        names = {a.pk: f"{a.code}{a.title}" for a in getattr(export, "scope_areas", [])}
        parts.append("、".join(_("附加指标") if a == BONUS_AREA else names.get(a, str(a)) for a in options["area_ids"]))
    if options.get("unit_ids"):
        names = {u.pk: u.short_name for u in getattr(export, "scope_units", [])}
        parts.append("、".join(names.get(u, str(u)) for u in options["unit_ids"]))
    scope = "；".join(parts) or _("全部材料")
    if options.get("include_pending"):
        scope += _("（含待审核）")
    return scope


def _attach_scope_names(exports: list[PackageExport]) -> None:
    """Name the areas and units of every export's scope with two queries in all."""
    area_ids = {a for e in exports for a in e.options.get("area_ids") or () if a}
    unit_ids = {u for e in exports for u in e.options.get("unit_ids") or ()}
    areas = list(Indicator.objects.filter(pk__in=area_ids)) if area_ids else []
    units = list(Unit.objects.filter(pk__in=unit_ids)) if unit_ids else []
    for export in exports:
        export.scope_areas, export.scope_units = areas, units
        export.scope_text = scope_label(export)


@login_required
def package_list(request):
    """The export form and the past exports."""
    _require_office(request)
    campaign = campaign_get_current(request)
    form = PackageExportForm(request.POST or None, user=request.user, campaign=campaign)
    if request.method == "POST" and form.is_valid():
        options = form.options()
        recent = (
            _exports(request)
            .filter(
                created_by=request.user,
                options=options.as_dict(),
                status__in=[PackageExport.Status.QUEUED, PackageExport.Status.RUNNING],
                created_at__gte=timezone.now() - DOUBLE_SUBMIT_WINDOW,
            )
            .first()
        )
        if recent is not None:
            messages.info(request, _("同样范围的导出刚刚已经开始，下面是它的进度。"))
            return redirect("reports:package_detail", pk=recent.pk)
        try:
            export = package_export_request(options=options, actor=request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("已开始生成材料包，可以离开本页，稍后回来下载。"))
            return redirect("reports:package_detail", pk=export.pk)
    exports = list(
        _exports(request).prefetch_related(Prefetch("volumes", queryset=PackageVolume.objects.only("export_id")))[:50]
    )
    _attach_scope_names(exports)
    return portal_page(request, "reports/package_list.html", {"form": form, "exports": exports, "campaign": campaign})


@login_required
def package_detail(request, pk: int):
    _require_office(request)
    export = get_object_or_404(_exports(request), pk=pk)
    _attach_scope_names([export])
    context = {"export": export, "volumes": export.volumes.all(), "side_files": list(SIDE_FILES)}
    if request.headers.get("HX-Request"):
        return portal_page(request, "reports/partials/package_progress.html", context)
    return portal_page(request, "reports/package_detail.html", context)


@login_required
def package_download(request, pk: int, name: str):
    """One volume ZIP or one of the package's side files (index.json, 目录.xlsx, 网络检索链接.xlsx)."""
    _require_office(request)
    export = get_object_or_404(_exports(request), pk=pk, status=PackageExport.Status.DONE)
    names = {v.file_name for v in export.volumes.all()} | set(SIDE_FILES)
    if name not in names:
        raise Http404(_("材料包中没有这个文件。"))
    folder = Path(export.folder)
    path = (folder / name).resolve()
    if path.parent != folder.resolve() or not path.is_file():
        raise Http404(_("材料包文件已被移走或删除，请重新导出。"))
    audit_record(actor=request.user, verb="package.download", target=export, changes={"file": (None, name)})
    content_type = SIDE_FILES.get(name) or (
        "application/zip"
        if name.endswith(".zip")
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return FileResponse(path.open("rb"), as_attachment=True, filename=name, content_type=content_type)


@login_required
def package_retry(request, pk: int):
    """Start a new export with the options of a failed one."""
    _require_office(request)
    if request.method != "POST":
        return redirect("reports:package_detail", pk=pk)
    export = get_object_or_404(_exports(request), pk=pk, status=PackageExport.Status.FAILED)
    from reports.packages.collect import Options

    try:
        again = package_export_request(options=Options.from_dict(export.options), actor=request.user)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect("reports:package_detail", pk=pk)
    messages.success(request, _("已按同样的范围重新开始生成。"))
    return redirect("reports:package_detail", pk=again.pk)
