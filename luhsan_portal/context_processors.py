"""Everything base.html needs: navigation, the campaign switcher, the user's role line."""

from django.conf import settings

from luhsan_portal.listing import PAGE_SIZES
from luhsan_portal.navigation import build_nav, user_role


def portal(request):
    context = {"portal_name": settings.PORTAL_NAME}
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return context
    from indicators.selectors import campaign_choices, campaign_get_current

    role = user_role(user)
    context.update(
        nav=build_nav(request),
        campaigns=campaign_choices(request),
        current_campaign=campaign_get_current(request),
        user_role_label=dict(user._meta.get_field("role").choices).get(role, ""),
        page_sizes=PAGE_SIZES,
    )
    return context
