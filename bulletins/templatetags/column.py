"""Links inside column pages: live URLs on the site, relative file names in the static export."""

from django import template
from django.urls import reverse

register = template.Library()

NAMES = {
    "bulletin": "column:bulletin",
    "pdf": "column:bulletin_pdf",
    "post": "column:post",
    "attachment": "column:attachment",
}


@register.simple_tag(takes_context=True)
def column_url(context, kind: str, obj=None) -> str:
    if context.get("static_export"):
        return context["rel"](kind, obj)
    campaign = context["campaign"]
    if kind == "index":
        return reverse("column:index", args=[campaign.pk])
    if kind == "board":
        return reverse("column:board", args=[campaign.pk, obj])
    return reverse(NAMES[kind], args=[campaign.pk, obj.pk])
