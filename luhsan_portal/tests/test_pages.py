"""Login, home per role, campaign switch, error pages."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_login_page_is_chinese_and_wrong_password_says_so(campaign, office):
    client = Client()
    page = client.get("/accounts/login/")
    assert "用户名" in page.content.decode()
    response = client.post("/accounts/login/", {"username": "office", "password": "wrong"})
    assert "用户名或密码不正确" in response.content.decode()
    response = client.post("/accounts/login/", {"username": "office", "password": "pw-123456"})
    assert response.status_code == 302


def test_anonymous_is_sent_to_login(campaign):
    response = Client().get("/units/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    ("persona", "expected", "absent"),
    [
        ("office", "各领域完成情况", "本单位任务"),
        ("leader", "各领域完成情况", "数据导入"),
        ("liaison", "即将到期", "数据导入"),
        ("supervisor", "欢迎使用", "责任清单"),
    ],
)
def test_home_fits_the_role(campaign, personas, as_user, persona, expected, absent):
    html = as_user(personas[persona]).get("/").content.decode()
    assert expected in html
    assert absent not in html


def test_campaign_switch_keeps_the_choice_and_ignores_foreign_ids(campaign, office, as_user):
    import datetime as dt

    from indicators.services import campaign_create

    second = campaign_create(
        name="第二期创建",
        framework=campaign.framework,
        start_date=dt.date(2027, 1, 1),
        target_date=dt.date(2027, 12, 31),
        county=campaign.county,
    )
    client = as_user(office)
    client.post("/campaign/switch/", {"campaign": campaign.pk, "next": "/"})
    assert f'value="{campaign.pk}" selected' in client.get("/").content.decode()
    client.post("/campaign/switch/", {"campaign": "99999", "next": "https://evil.example/"})
    assert f'value="{campaign.pk}" selected' in client.get("/").content.decode()
    client.post("/campaign/switch/", {"campaign": second.pk})
    assert f'value="{second.pk}" selected' in client.get("/").content.decode()


def test_unknown_page_is_a_chinese_404(campaign, office, as_user, settings):
    settings.DEBUG = False
    response = as_user(office).get("/no/such/page/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()
