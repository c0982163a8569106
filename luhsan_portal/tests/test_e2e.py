"""Browser journeys in headless Chromium: logging in and browsing as the office and as a liaison.

Screenshots land in test-artifacts/ (CI keeps them)."""

import pytest

from conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_office_browses_tree_indicator_and_unit(campaign, office, browser, live_server, screenshot):
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    login(page, live_server, "office")
    assert page.locator("h1").first.inner_text() == "工作台"
    screenshot(page, "01-home")
    page.click('nav.sidenav a:has-text("指标体系")')
    page.wait_for_selector(".tree")
    assert page.locator(".tree .l1 > summary").count() == 3  # two areas and the bonus group
    page.click("text=全部收起")
    assert not page.locator(".tree details").first.evaluate("d => d.open")
    page.click("text=全部展开")
    screenshot(page, "02-tree")
    page.click("text=权责清单动态调整并公开")
    page.wait_for_selector("text=测评要点")
    assert page.locator("text=鲁山县司法局").count() >= 1
    screenshot(page, "03-indicator")
    page.click("text=鲁山县司法局")
    page.wait_for_selector("text=联系人")
    assert "鲁山县司法局" in page.locator("h1").inner_text()
    screenshot(page, "04-unit")
    page.goto(f"{live_server.url}/units/?kind=street")
    assert page.locator("table.data tbody tr").count() == 1
    screenshot(page, "05-units-filtered")


def test_liaison_sees_its_tasks_and_not_other_units(campaign, liaison, browser, live_server, screenshot):
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    login(page, live_server, "liaison")
    page.click('nav.sidenav a:has-text("本单位任务")')
    page.wait_for_selector("text=一、政府职能依法全面履行")
    assert page.locator("table.data tbody tr:not(.group-row)").count() == 4
    screenshot(page, "01-my-tasks")
    finance = campaign.county.units.get(short_name="财政局")
    response = page.goto(f"{live_server.url}/units/{finance.pk}/")
    assert response.status == 404
    assert page.locator("text=页面不存在").count() == 1
    screenshot(page, "02-other-unit-404")


def test_phone_width_menu_opens(campaign, liaison, browser, live_server, screenshot):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    login(page, live_server, "liaison")
    assert not page.locator("#sidenav").is_visible()
    page.click("[data-nav-toggle]")
    assert page.locator("#sidenav").is_visible()
    screenshot(page, "01-phone-menu")
