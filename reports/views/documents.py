"""生成报告: the progress report and the annual report draft as editable Word files."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from indicators.selectors import campaign_get_current
from luhsan_portal.access import sees_whole_county
from luhsan_portal.audit import audit_record
from luhsan_portal.listing import file_response
from luhsan_portal.views import login_required, portal_page
from reports.documents import annual_report_docx, progress_report_docx
from reports.forms import ReportForm
from reports.selectors import report_figures
from reports.views.feedback import DOCX_TYPE


@login_required
def report_documents(request):
    """Choose a report and a date; the Word file downloads with every figure filled in."""
    if not sees_whole_county(request.user):
        raise PermissionDenied(_("报告涉及全县数据，仅对创建办和领导开放。"))
    campaign = campaign_get_current(request)
    if campaign is None:
        raise Http404(_("没有可用的创建活动。"))
    form = ReportForm(request.POST or None, campaign=campaign)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if data["kind"] == "annual":
            year = data.get("year") or data["as_of"].year
            figures = report_figures(campaign, today=data["as_of"], year=year)
            content, name = (
                annual_report_docx(figures),
                f"{campaign.county.name}{year}年度法治政府建设情况报告（初稿）.docx",
            )
        else:
            figures = report_figures(campaign, today=data["as_of"])
            content, name = (
                progress_report_docx(figures),
                f"{campaign.name}推进情况报告（截至{data['as_of']:%Y-%m-%d}）.docx",
            )
        audit_record(
            actor=request.user,
            verb="report.generate",
            target=campaign,
            changes={"report": (None, data["kind"]), "as_of": (None, data["as_of"].isoformat())},
        )
        return file_response(content, name, DOCX_TYPE)
    return portal_page(request, "reports/documents.html", {"form": form, "campaign": campaign})
