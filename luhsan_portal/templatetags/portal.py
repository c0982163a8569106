"""Template helpers: query-string links, sortable headers, status tags, deadline lights, dates."""

import datetime as dt

from django import template
from django.conf import settings
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

register = template.Library()

STATUS_TAGS = {
    "not_submitted": ("grey", _("未提交")),
    "pending": ("blue", _("待审核")),
    "returned": ("orange", _("已退回")),
    "approved": ("green", _("已通过")),
    "waived": ("purple", _("不适用")),
    "withdrawn": ("grey", _("已撤回")),
}


@register.simple_tag(takes_context=True)
def query(context, **changes) -> str:
    """The current query string with some parameters replaced (``None`` removes one)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.simple_tag(takes_context=True)
def sort_th(context, key: str, label: str, current: str = "") -> str:
    """A sortable column header: click to sort ascending, again for descending."""
    active = current.lstrip("-") == key
    descending = current.startswith("-")
    next_key = f"-{key}" if active and not descending else key
    css = "sort" + ((" desc" if descending else " asc") if active else "")
    aria = ("descending" if descending else "ascending") if active else "none"
    href = query(context, sort=next_key, page=None)
    return format_html('<th aria-sort="{}"><a class="{}" href="{}">{}</a></th>', aria, css, href, label)


@register.simple_tag
def status_tag(status: str, label: str = "") -> str:
    colour, default_label = STATUS_TAGS.get(status, ("grey", status))
    return format_html('<span class="tag {}">{}</span>', colour, label or default_label)


def light_for(due_date: dt.date | None, status: str = "", today: dt.date | None = None) -> tuple[str, str]:
    """(colour, words) of a deadline light: red overdue, yellow within N days, green otherwise."""
    if due_date is None or status in ("approved", "waived", "closed"):
        return "", ""
    today = today or timezone.localdate()
    days = (due_date - today).days
    if days < 0:
        # A submission made in time and waiting for review is not the unit's delay (DESIGN.md §3.1).
        if status == "pending":
            return "green", _("已提交待审")
        return "red", _("逾期%(n)d天") % {"n": -days}
    if days <= settings.DEADLINE_WARNING_DAYS:
        return "yellow", _("今天到期") if days == 0 else _("%(n)d天内到期") % {"n": days}
    return "green", _("剩余%(n)d天") % {"n": days}


@register.simple_tag
def deadline_light(due_date, status: str = "") -> str:
    colour, words = light_for(due_date, status)
    if not colour:
        return ""
    return format_html('<span class="light {}">{}</span>', colour, words)


@register.filter(name="verb_label")
def verb_label_filter(verb: str) -> str:
    from luhsan_portal.audit import verb_label

    return verb_label(verb)


@register.filter
def cn_date(value) -> str:
    """2024年1月12日, the way people read dates in prose."""
    if not value:
        return ""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date()
    return f"{value.year}年{value.month}月{value.day}日"


@register.filter
def percent(value, digits: int = 1) -> str:
    if value is None:
        return "—"
    return f"{value * 100:.{int(digits)}f}%"


@register.simple_tag
def filter_select(field) -> str:
    """A filter-bar <select> built directly: Django's per-option widget templates cost ~20 ms for a
    few hundred options (indicators, units), which is most of a list page's time."""
    if not hasattr(field.field, "choices"):
        return field.as_widget()
    current = field.value()
    current = (
        {str(v) for v in current} if isinstance(current, list | tuple) else {"" if current is None else str(current)}
    )
    options = format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        (
            (value, " selected" if str(value) in current else "", label)
            for value, label in ((str(getattr(v, "value", v)), lbl) for v, lbl in field.field.choices)
        ),
    )
    return format_html('<select name="{}" id="{}">{}</select>', field.html_name, field.id_for_label, options)
