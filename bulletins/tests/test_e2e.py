"""Browser journey: the office drafts a bulletin with a generated progress block → the approver
approves → publish → it appears as 第N期 in the archive and on the public column; a citizen opens
the 网络检索指标 board. The PDF's pages are rendered to PNG next to the screenshots."""

import shutil
import subprocess

import pytest
from django.contrib.auth.models import Permission

from conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_draft_approve_publish_and_the_public_column(campaign, office, browser, live_server, screenshot, submit):
    from evidence.services import evidence_approve

    office.user_permissions.add(Permission.objects.get(codename="approve_bulletin"))
    evidence_approve(
        evidence=submit(
            codes=("1",), files=[], links=[{"url": "https://www.hnls.gov.cn/qzqd.html", "site": "鲁山县人民政府网"}]
        ),
        actor=office,
    )
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    login(page, live_server, "office")
    page.click("nav.sidenav a:has-text('工作简报') >> nth=0")
    page.click("button:has-text('新建简报')")
    page.click("button:has-text('插入当前进度数据')")
    page.wait_for_selector("text=已插入")
    page.click("text=添加文章")
    page.fill("#id_headline", "县创建办召开示范创建工作推进会")
    page.fill("#id_body", "会议通报了各单位任务完成情况。\n\n会议要求各牵头单位切实履行牵头责任。")
    page.click("button:has-text('保存文章')")
    page.wait_for_selector("text=文章已保存")
    screenshot(page, "01-draft")
    page.click("text=预览并提交")
    page.click("button:has-text('提交审批')")
    page.click("button:has-text('审批通过')")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button:has-text('发布')")
    page.wait_for_selector("text=已发布为第1期")
    screenshot(page, "02-published")
    page.goto(f"{live_server.url}/bulletins/")
    assert "第1期" in page.locator("table.data").inner_text()
    pdf_url = page.locator("a:has-text('PDF')").first.get_attribute("href")
    pdf = page.request.get(f"{live_server.url}{pdf_url}").body()
    assert pdf.startswith(b"%PDF")

    citizen = browser.new_page(viewport={"width": 390, "height": 844})
    citizen.goto(f"{live_server.url}/zhuanlan/")
    assert "第1期" in citizen.locator("main").inner_text()
    screenshot(citizen, "03-column-phone")
    citizen.click("nav.boards a:has-text('网络检索指标')")
    citizen.wait_for_selector("text=权责清单动态调整并公开")
    assert "qzqd.html" in citizen.content()
    screenshot(citizen, "04-web-search-board")

    folder = screenshot(citizen, "05-placeholder").parent
    (folder / "bulletin.pdf").write_bytes(pdf)
    if shutil.which("pdftoppm"):
        subprocess.run(
            ["pdftoppm", "-r", "60", "-png", str(folder / "bulletin.pdf"), str(folder / "bulletin-page")], check=True
        )
        assert list(folder.glob("bulletin-page*.png"))
