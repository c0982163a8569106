"""Pages of the indicator system, the responsibility list, a unit's tasks and the importers."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from indicators import resources, selectors, services
from indicators.forms import ImportUploadForm, WaiveForm
from indicators.importing.jobs import import_job_apply, import_job_cancel, import_job_create
from indicators.models import Assignment, Campaign, Framework, ImportJob, Indicator
from luhsan_portal.access import Action, can
from luhsan_portal.listing import xlsx_response
from luhsan_portal.views import login_required, portal_page
from units.models import County, Unit


def _framework_for(request, campaign: Campaign | None) -> Framework:
    framework_id = request.GET.get("framework")
    if framework_id and framework_id.isdigit():
        return get_object_or_404(Framework, pk=framework_id)
    if campaign is not None:
        return campaign.framework
    framework = Framework.objects.order_by("-id").first()
    if framework is None:
        raise Http404(_("还没有指标体系，请先导入。"))
    return framework


@login_required
def indicator_tree(request):
    campaign = selectors.campaign_get_current(request)
    framework = _framework_for(request, campaign)
    if request.GET.get("export") == "xlsx":
        if not can(request.user, Action.MANAGE):
            raise PermissionDenied
        return xlsx_response(resources.indicator_dataset(framework), f"{framework.name}.xlsx")
    roots, bonus = selectors.indicator_tree(framework_id=framework.pk, campaign=campaign)
    return portal_page(
        request,
        "indicators/indicator_tree.html",
        {
            "framework": framework,
            "frameworks": Framework.objects.all(),
            "roots": roots,
            "bonus": bonus,
            "campaign": campaign,
            "can_export": can(request.user, Action.MANAGE),
        },
    )


@login_required
def indicator_detail(request, pk: int):
    indicator = selectors.indicator_get_detail(user=request.user, pk=pk)
    campaign = selectors.campaign_get_current(request)
    if campaign is not None and campaign.framework_id != indicator.framework_id:
        campaign = None
    assignments = selectors.assignment_list_for_indicator(user=request.user, indicator=indicator, campaign=campaign)
    return portal_page(
        request,
        "indicators/indicator_detail.html",
        {
            "indicator": indicator,
            "campaign": campaign,
            "leads": [a for a in assignments if a.role == Assignment.Role.LEAD],
            "cos": [a for a in assignments if a.role == Assignment.Role.CO],
            "children": [] if indicator.is_assessable else indicator.children.order_by("sort_key"),
        },
    )


@login_required
def assignment_matrix(request):
    campaign = selectors.campaign_get_current(request)
    if campaign is None:
        return portal_page(request, "indicators/no_campaign.html", {})
    filters = {key: request.GET.get(key) for key in ("area", "unit", "role") if (request.GET.get(key) or "").strip()}
    if filters.get("area") and not filters["area"].isdigit() or filters.get("unit") and not filters["unit"].isdigit():
        filters = {}
    if request.GET.get("export") == "xlsx":
        return xlsx_response(
            resources.responsibility_list_dataset(user=request.user, campaign=campaign),
            f"{campaign.name}-责任清单.xlsx",
        )
    groups = selectors.assignment_matrix(user=request.user, campaign=campaign, filters=filters)
    return portal_page(
        request,
        "indicators/assignment_matrix.html",
        {
            "campaign": campaign,
            "groups": groups,
            "row_count": sum(len(rows) for _area, rows in groups),
            "areas": Indicator.objects.filter(framework_id=campaign.framework_id, level="1").order_by("sort_key"),
            "units": Unit.objects.for_user(request.user).filter(county_id=campaign.county_id).order_by("order"),
            "filters": filters,
            "roles": Assignment.Role.choices,
        },
    )


@login_required
def my_tasks(request):
    """本单位任务: a liaison's (or unit head's) assignments grouped by level-1 area."""
    campaign = selectors.campaign_get_current(request)
    if not request.user.unit_id:
        raise Http404(_("您的账号没有所属单位。"))
    if campaign is None:
        return portal_page(request, "indicators/no_campaign.html", {})
    assignments = selectors.assignment_list_for_unit(user=request.user, unit_id=request.user.unit_id, campaign=campaign)
    return portal_page(
        request,
        "indicators/my_tasks.html",
        {
            "campaign": campaign,
            "unit": request.user.unit,
            "groups": selectors.group_by_area(assignments),
            "lead_count": sum(a.role == Assignment.Role.LEAD for a in assignments),
            "total": len(assignments),
            "overdue": sum(a.overdue for a in assignments),
            "returned": sum(a.status == "returned" for a in assignments),
            "approved": sum(a.status in ("approved", "waived") for a in assignments),
        },
    )


def _back(request, assignment: Assignment):
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("units:unit_detail", pk=assignment.unit_id)


def _assignment_for_manage(request, pk: int) -> Assignment:
    return get_object_or_404(
        Assignment.objects.for_user(request.user, Action.MANAGE).select_related("indicator", "unit", "campaign"),
        pk=pk,
    )


@login_required
@require_POST
def assignment_waive(request, pk: int):
    assignment = _assignment_for_manage(request, pk)
    form = WaiveForm(request.POST)
    if form.is_valid():
        try:
            services.assignment_waive(assignment=assignment, actor=request.user, reason=form.cleaned_data["reason"])
            messages.success(request, _("已将“%(a)s”设为不适用。") % {"a": assignment})
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, _("设为不适用必须填写理由。"))
    return _back(request, assignment)


@login_required
@require_POST
def assignment_unwaive(request, pk: int):
    assignment = _assignment_for_manage(request, pk)
    try:
        services.assignment_unwaive(assignment=assignment, actor=request.user, reason=request.POST.get("reason", ""))
        messages.success(request, _("已恢复“%(a)s”。") % {"a": assignment})
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return _back(request, assignment)


# ---------------------------------------------------------------------------
# Imports
# ---------------------------------------------------------------------------


def _require_manage(request) -> None:
    if not can(request.user, Action.MANAGE):
        raise PermissionDenied(_("只有创建办工作人员和系统管理员可以导入数据。"))


def _import_jobs(request):
    jobs = ImportJob.objects.select_related("created_by").order_by("-created_at")
    if request.user.county_id:
        jobs = jobs.filter(county_id=request.user.county_id)
    return jobs


@login_required
def import_list(request):
    _require_manage(request)
    campaigns = Campaign.objects.for_user(request.user, Action.MANAGE)
    form = ImportUploadForm(request.POST or None, request.FILES or None, campaigns=campaigns)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        campaign = data.get("campaign")
        county = campaign.county if campaign else (request.user.county or County.objects.default())
        options = {"framework_name": data["framework_name"].strip(), "campaign_id": campaign.pk if campaign else None}
        job = import_job_create(
            kind=data["kind"], upload=data["file"], county=county, options=options, actor=request.user
        )
        return redirect("indicators:import_detail", pk=job.pk)
    export_links = []
    current = selectors.campaign_get_current(request)
    if current is not None:
        export_links = [
            (_("指标体系"), f"/indicators/?framework={current.framework_id}&export=xlsx"),
            (_("责任单位名册"), "/units/?export=xlsx"),
            (_("责任清单"), "/assignments/?export=xlsx"),
        ]
    return portal_page(
        request,
        "indicators/import_list.html",
        {"form": form, "jobs": _import_jobs(request)[:20], "export_links": export_links},
    )


@login_required
def import_detail(request, pk: int):
    _require_manage(request)
    job = get_object_or_404(_import_jobs(request), pk=pk)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "apply":
                result = import_job_apply(job=job, actor=request.user)
                messages.success(request, _("导入完成：%(summary)s") % {"summary": result.summary()})
            elif action == "cancel":
                import_job_cancel(job=job, actor=request.user)
                messages.info(request, _("已取消本次导入，没有写入任何数据。"))
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        return redirect("indicators:import_detail", pk=job.pk)
    return portal_page(request, "indicators/import_detail.html", {"job": job, "report": job.report})
