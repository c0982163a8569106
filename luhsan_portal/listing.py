"""Table pages: pagination with a page-size choice, whitelisted sorting, Excel download."""

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils.http import content_disposition_header

PAGE_SIZES = (20, 50, 100, 200)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def paginate(request, object_list, *, default: int = 20) -> Page:
    """One page of ``object_list`` from ``?page=`` and ``?page_size=`` (bad values fall back quietly)."""
    try:
        size = int(request.GET.get("page_size", default))
    except ValueError:
        size = default
    if size not in PAGE_SIZES:
        size = default
    page = Paginator(object_list, size).get_page(request.GET.get("page"))
    # A window of page links (1 … 4 5 [6] 7 8 … 300), computed once instead of looping every page.
    page.elided_range = list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))
    return page


def apply_sort(request, queryset: QuerySet, allowed: dict[str, str | tuple[str, ...]], default: str):
    """Order by ``?sort=key`` or ``?sort=-key`` where ``key`` is in ``allowed``; returns (qs, key)."""
    key = request.GET.get("sort", default)
    descending = key.startswith("-")
    fields = allowed.get(key.lstrip("-"))
    if fields is None:
        key, descending, fields = default, default.startswith("-"), allowed[default.lstrip("-")]
    fields = (fields,) if isinstance(fields, str) else fields
    ordering = [f"-{f}" if descending else f for f in fields]
    return queryset.order_by(*ordering, "pk"), key


def file_response(content: bytes, filename: str, content_type: str = XLSX_TYPE) -> HttpResponse:
    """A download with the Chinese file name intact (RFC 5987 ``filename*``)."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def xlsx_response(dataset, filename: str) -> HttpResponse:
    """A tablib Dataset (from a django-import-export Resource) as an .xlsx download."""
    return file_response(dataset.export("xlsx"), filename)
