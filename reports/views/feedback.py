"""Generated documents: the one-to-one feedback lists."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from indicators.selectors import campaign_get_current
from luhsan_portal.access import Action, can
from luhsan_portal.audit import audit_record
from luhsan_portal.listing import XLSX_TYPE, file_response
from luhsan_portal.views import login_required, portal_page
from reports.feedback import feedback_docx, feedback_xlsx, feedback_zip
from reports.selectors import feedback_sheets
from units.models import Unit

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
FORMATS = {"docx": (feedback_docx, DOCX_TYPE), "xlsx": (feedback_xlsx, XLSX_TYPE)}


def _office_campaign(request):
    if not can(request.user, Action.MANAGE):
        raise PermissionDenied(_("只有创建办工作人员可以生成反馈清单。"))
    campaign = campaign_get_current(request)
    if campaign is None:
        raise Http404(_("没有可用的创建活动。"))
    return campaign


@login_required
def feedback(request):
    """一对一专项反馈清单: pick a unit (or all) and a format."""
    campaign = _office_campaign(request)
    units = Unit.objects.for_user(request.user, Action.MANAGE).filter(county_id=campaign.county_id, active=True)
    return portal_page(request, "reports/feedback.html", {"campaign": campaign, "units": units.select_related("kind")})


@login_required
def feedback_download(request, unit_id: int, fmt: str):
    campaign = _office_campaign(request)
    if fmt not in FORMATS:
        raise Http404
    unit = get_object_or_404(
        Unit.objects.for_user(request.user, Action.MANAGE), pk=unit_id, county_id=campaign.county_id
    )
    render, content_type = FORMATS[fmt]
    sheet = feedback_sheets(campaign=campaign, units=[unit])[0]
    audit_record(actor=request.user, verb="feedback.export", target=unit, unit=unit, changes={"format": (None, fmt)})
    return file_response(render(sheet), f"{unit.name}-一对一专项反馈清单.{fmt}", content_type)


@login_required
def feedback_download_all(request, fmt: str):
    campaign = _office_campaign(request)
    if fmt not in FORMATS:
        raise Http404
    units = list(
        Unit.objects.for_user(request.user, Action.MANAGE)
        .filter(county_id=campaign.county_id, active=True, assignments__campaign=campaign)
        .distinct()
        .order_by("order", "id")
    )
    content = feedback_zip(feedback_sheets(campaign=campaign, units=units), fmt)
    audit_record(actor=request.user, verb="feedback.export_all", target=campaign, changes={"units": (None, len(units))})
    name = f"{campaign.name}-一对一专项反馈清单-{timezone.localdate():%Y%m%d}-{fmt}.zip"
    return file_response(content, name, "application/zip")
