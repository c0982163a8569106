"""Browser journey: the office opens the dashboard and drills from an area into a lagging unit; a
liaison sees its own dashboard; an approval moves the figures after the recompute."""

import pytest

from conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_dashboard_drill_down_and_an_approval_moving_the_figures(
    campaign, office, liaison, browser, live_server, screenshot, submit
):
    waiting = submit(codes=("3",), title="决策目录公开材料")
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    login(page, live_server, "office")
    page.click("nav.sidenav a:has-text('总览')")
    page.wait_for_selector("#area-chart svg")
    assert "0 / 4" in page.locator(".card", has_text="三级指标完成").inner_text()
    screenshot(page, "01-dashboard")
    page.click("summary:has-text('数据表') >> nth=0")
    page.click("a:has-text('二、行政决策科学民主依法') >> nth=0")
    page.wait_for_selector("text=重大行政决策目录公开")
    screenshot(page, "02-area-indicators")
    page.locator("tr", has_text="重大行政决策目录公开").get_by_text("任务").click()
    page.wait_for_selector("h1:has-text('任务明细')")
    page.get_by_role("link", name="司法局").first.click()
    page.wait_for_selector("text=本单位完成率")
    assert "鲁山县司法局" in page.locator("h1").inner_text()
    screenshot(page, "03-lagging-unit")

    unit_page = browser.new_page(viewport={"width": 1366, "height": 900})
    login(unit_page, live_server, "liaison")
    unit_page.click("nav.sidenav a:has-text('本单位进度')")
    unit_page.wait_for_selector("text=本单位完成率")
    before = unit_page.locator(".card", has_text="本单位完成率").inner_text()
    assert "0 / 4" in before
    screenshot(unit_page, "04-liaison-dashboard")

    page.goto(f"{live_server.url}/evidence/{waiting.pk}/")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button:has-text('通过')")
    page.wait_for_selector("text=已通过")
    page.goto(f"{live_server.url}/dashboard/")
    assert "1 / 4" in page.locator(".card", has_text="三级指标完成").inner_text()
    assert "25.0%" in page.locator(".card", has_text="工作进度").inner_text()
    screenshot(page, "05-dashboard-after-approval")
    unit_page.reload()
    assert "1 / 4" in unit_page.locator(".card", has_text="本单位完成率").inner_text()
