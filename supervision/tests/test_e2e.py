"""Browser journey at phone width: the supervisor records a visit and a finding with its order →
the liaison responds with evidence → the supervisor closes it (销号) → the unit's open-order count
drops on its dashboard."""

import datetime as dt

import pytest
from django.utils import timezone

from conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_visit_finding_response_closure(
    round_, supervisor, liaison, browser, live_server, screenshot, submit, png_bytes, tmp_path
):
    evidence = submit(title="执法公示栏更新材料")
    (tmp_path / "公示栏.png").write_bytes(png_bytes)
    phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    login(phone, live_server, "supervisor")
    phone.goto(f"{live_server.url}/supervision/")
    phone.locator("li", has_text="鲁山县司法局").get_by_text("记录走访").click()
    phone.fill("input[name=person_name]", "王海燕")
    phone.fill("input[name=person_post]", "联络员")
    phone.click("[data-add-person]")
    phone.locator("input[name=person_name]").nth(1).fill("李明")
    phone.fill("#id_materials_checked", "创建工作台账、执法公示记录")
    phone.check(f"input[name=evidence][value='{evidence.pk}']")
    phone.fill("#id_places_inspected", "办事大厅、执法公示栏")
    phone.set_input_files("#photos", str(tmp_path / "公示栏.png"))
    screenshot(phone, "01-phone-visit-form")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    phone.click("button:has-text('保存走访记录')")
    phone.wait_for_selector("text=走访已记录")
    phone.fill("#id_description", "执法公示栏内容未及时更新")
    phone.select_option("#id_category", "venues")
    phone.fill("#id_requirement", "一周内更新公示栏并上传照片")
    phone.fill("#id_deadline", (timezone.localdate() + dt.timedelta(days=7)).isoformat())
    phone.click("button:has-text('保存问题和整改要求')")
    phone.wait_for_selector("text=问题和整改要求已记录")
    screenshot(phone, "02-phone-finding")

    unit = browser.new_page(viewport={"width": 1366, "height": 900})
    login(unit, live_server, "liaison")
    unit.goto(f"{live_server.url}/dashboard/units/{liaison.unit_id}/")
    assert "1" in unit.locator(".card", has_text="督导整改未销号").locator(".value").inner_text()
    unit.click("nav.sidenav a:has-text('本单位整改')")
    unit.click("text=一周内更新公示栏并上传照片")
    unit.fill("textarea[name=description]", "已更新公示栏，附照片和更新记录。")
    unit.check(f"input[name=evidence][value='{evidence.pk}']")
    unit.click("button:has-text('提交复核')")
    unit.wait_for_selector("text=整改情况已提交")
    screenshot(unit, "03-liaison-responded")

    phone.goto(f"{live_server.url}/supervision/rectifications/?status=awaiting_check")
    phone.click("text=一周内更新公示栏并上传照片")
    phone.once("dialog", lambda dialog: dialog.accept())
    phone.click("button:has-text('销号')")
    phone.wait_for_selector("text=已销号")
    screenshot(phone, "04-phone-closed")

    unit.goto(f"{live_server.url}/dashboard/units/{liaison.unit_id}/")
    assert unit.locator(".card", has_text="督导整改未销号").locator(".value").inner_text().strip() == "0"
    screenshot(unit, "05-liaison-dashboard")
