"""Project-level pages: home (工作台), campaign switcher, error pages."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from luhsan_portal.access import Role
from luhsan_portal.navigation import user_role

__all__ = ["login_required", "portal_page"]


def portal_page(request, template: str, context: dict, status: int = 200):
    """Render a page inside the portal frame (base.html reads navigation from the context processor)."""
    return render(request, template, context, status=status)


def add_service_errors(form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: under the field it names, else above the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error.messages)
    else:
        form.add_error(None, exc.messages)


@login_required
def home(request):
    from indicators.selectors import campaign_get_current
    from reports.progress import DEFINITION, campaign_progress

    campaign = campaign_get_current(request)
    role = user_role(request.user)
    context = {"campaign": campaign, "role": role}
    if campaign is not None and role in (Role.OFFICE, Role.ADMIN, Role.LEADER) and not request.user.unit_id:
        context["progress"] = campaign_progress(campaign)
        context["definition"] = DEFINITION
    elif campaign is not None and request.user.unit_id:
        from indicators.selectors import assignment_list_for_unit

        assignments = assignment_list_for_unit(user=request.user, unit_id=request.user.unit_id, campaign=campaign)
        context["unit_summary"] = {
            "total": len(assignments),
            "lead": sum(a.role == "lead" for a in assignments),
            "overdue": [a for a in assignments if a.overdue],
            "upcoming": sorted(
                (a for a in assignments if a.due_date and not a.overdue and a.status not in ("approved", "waived")),
                key=lambda a: a.due_date,
            )[:8],
        }
    if campaign is not None:
        from evidence.selectors import broken_link_count

        context["broken_links"] = broken_link_count(user=request.user, campaign=campaign)
    return portal_page(request, "home.html", context)


@login_required
@require_POST
def campaign_switch(request):
    from indicators.selectors import SESSION_KEY, campaign_choices

    wanted = request.POST.get("campaign", "")
    if wanted.isdigit() and any(c.pk == int(wanted) for c in campaign_choices(request)):
        request.session[SESSION_KEY] = int(wanted)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "home"
    return redirect(target)


def error_403(request, exception=None):
    return render(request, "errors/403.html", {"message": str(exception or "")}, status=403)


def error_404(request, exception=None):
    return render(request, "errors/404.html", {}, status=404)


def error_500(request):
    return render(request, "errors/500.html", {}, status=500)
