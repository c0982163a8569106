"""Every list and detail page answers with a fixed number of queries, whatever the data size.

Each page is measured on the small county, then again after the framework, the roster and the
responsibility list have grown several-fold; the count must not move, and it is pinned.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from indicators.importing.assignments import assignments_import
from indicators.importing.framework import framework_import
from luhsan_portal.testing import CSV_FRAMEWORK
from units.importers import units_import

pytestmark = pytest.mark.django_db

# Pages: session, user, campaigns; API lists: session, user, count, page (+ prefetches).
PINNED = {
    "/": 7,  # + figures: assignments with status, nodes, units; broken links
    "/indicators/": 7,  # + nodes, their methods, leads, framework list
    "/indicators/{indicator}/": 6,  # + indicator, methods, assignments
    "/assignments/": 7,  # + indicators, assignments, area and unit filter lists
    "/units/": 6,  # + count, kinds for the filter, the page
    "/units/{unit}/": 7,  # + unit, assignments, their methods, contacts
    "/my/tasks/": 6,  # + assignments, methods, the user's unit in the top bar
    "/api/v1/indicators/": 5,
    "/api/v1/units/": 4,
    "/api/v1/assignments/": 4,
    "/api/v1/campaigns/": 5,
}
AS_LIAISON = {"/my/tasks/"}


def _grow(campaign):
    """Add 12 level-3 indicators, 12 units and 36 assignments."""
    extra = "".join(f"3,{n},2.,新增指标{n},,材料审查、网络检索,1,,\n" for n in range(10, 22))
    assert framework_import(data=(CSV_FRAMEWORK + extra).encode(), framework_name=campaign.framework.name).ok
    roster = "单位名称,简称,类型\n" + "".join(f"鲁山县第{n}局,第{n}局,县直单位\n" for n in range(12))
    assert units_import(data=roster.encode(), county=campaign.county).ok
    rows = "".join(f"{n},第{n - 10}局,司法局、琴台街道\n" for n in range(10, 22))
    assert assignments_import(data=("指标编号,牵头单位,配合单位\n" + rows).encode(), campaign=campaign).ok


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def _urls(campaign):
    indicator = campaign.framework.indicators.get(level="3", code="1")
    unit = campaign.county.units.get(short_name="司法局")
    return {template: template.format(indicator=indicator.pk, unit=unit.pk) for template in PINNED}


def test_pages_and_api_lists_run_a_fixed_number_of_queries(campaign, office, liaison, as_user):
    clients = {"office": as_user(office), "liaison": as_user(liaison)}
    urls = _urls(campaign)

    def measure():
        return {t: _count(clients["liaison" if t in AS_LIAISON else "office"], url) for t, url in urls.items()}

    small = measure()
    _grow(campaign)
    large = measure()
    assert large == small, {t: (small[t], large[t]) for t in small if small[t] != large[t]}
    assert small == PINNED
