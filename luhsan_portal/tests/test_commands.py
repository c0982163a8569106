"""The command-line contracts of DESIGN.md §5."""

import os
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import User
from indicators.models import Assignment, Campaign, Indicator
from units.models import Unit

pytestmark = pytest.mark.django_db


def test_seed_demo_builds_the_demo_county_and_prints_logins(settings):
    settings.DEBUG = True
    out = StringIO()
    call_command("seed_demo", stdout=out)
    text = out.getvalue()
    for username in [
        "demo_office",
        "demo_liaison",
        "demo_liaison_town",
        "demo_supervisor",
        "demo_leader",
        "demo_admin",
    ]:
        assert username in text
        assert User.objects.get(username=username).check_password("demo12345")
    assert "demo12345" in text
    campaign = Campaign.objects.get(name__contains="鲁山")
    nodes = Indicator.objects.filter(framework=campaign.framework)
    assert [nodes.filter(level=level).count() for level in ("1", "2", "3", "bonus")] == [10, 34, 100, 4]
    assert nodes.filter(level="3", evaluation_methods__code="web_search").count() >= 18
    assert campaign.framework.is_sample
    units = Unit.objects.filter(county=campaign.county)
    assert units.filter(kind__is_township=True).count() == 25
    assert units.filter(kind__is_township=False).count() == 64
    # Every assessable indicator has exactly one lead unit.
    leads = Assignment.objects.filter(campaign=campaign, role="lead")
    assert leads.count() == 104
    assert leads.values("indicator").distinct().count() == 104
    liaison = User.objects.get(username="demo_liaison")
    assert leads.filter(unit=liaison.unit).count() >= 5
    import datetime as dt

    from django.utils import timezone

    today = timezone.localdate()
    assert 190 <= (today - campaign.start_date).days <= 210
    assert 90 <= (campaign.target_date - today).days <= 110
    assert Assignment.objects.filter(campaign=campaign, due_date__lt=today).exists()
    assert Assignment.objects.filter(campaign=campaign, due_date__gt=today + dt.timedelta(days=1)).exists()
    town = User.objects.get(username="demo_liaison_town")
    assert town.unit.kind.is_township
    assert Assignment.objects.filter(campaign=campaign, unit=town.unit).exists()
    # Evidence in every state, and the demo liaison still owes at least three lead assignments.
    from evidence.models import Evidence

    states = set(Evidence.objects.filter(campaign=campaign).values_list("status", flat=True))
    assert states == {"pending", "returned", "approved", "withdrawn"}
    assert Evidence.objects.filter(campaign=campaign, previous__isnull=False).exists()
    own = Assignment.objects.filter(campaign=campaign, unit=liaison.unit).with_status()
    assert own.filter(role="lead", status="not_submitted").count() >= 3
    assert {"approved", "pending", "returned"} <= set(own.values_list("status", flat=True))


def test_seed_demo_is_idempotent(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())
    counts = (Campaign.objects.count(), Unit.objects.count(), Indicator.objects.count(), Assignment.objects.count())
    call_command("seed_demo", stdout=StringIO())
    assert (
        Campaign.objects.count(),
        Unit.objects.count(),
        Indicator.objects.count(),
        Assignment.objects.count(),
    ) == counts
    assert Campaign.objects.filter(name__contains="鲁山").count() == 1


def test_seed_demo_refuses_without_debug_unless_forced(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        call_command("seed_demo", stdout=StringIO())
    assert not Campaign.objects.exists()
    call_command("seed_demo", "--force", stdout=StringIO())
    assert Campaign.objects.exists()


def test_create_campaign_prints_the_id_last(framework, county):
    out = StringIO()
    call_command(
        "create_campaign",
        "--name",
        "新活动",
        "--framework",
        framework.name,
        "--start",
        "2026-01-01",
        "--target",
        "2026-12-31",
        stdout=out,
    )
    last = out.getvalue().strip().splitlines()[-1]
    assert Campaign.objects.get(pk=int(last)).name == "新活动"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--framework", "没有这个体系", "--start", "2026-01-01", "--target", "2026-12-31"], "找不到指标体系"),
        (["--framework", "测试指标体系", "--start", "2026-13-01", "--target", "2026-12-31"], "格式不对"),
        (
            ["--framework", "测试指标体系", "--start", "2026-12-31", "--target", "2026-01-01"],
            "开始日期必须早于目标日期",
        ),
    ],
)
def test_create_campaign_errors_are_chinese(framework, county, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("create_campaign", "--name", "x", *args, stdout=StringIO())
    assert not Campaign.objects.exists()


def test_createsuperuser_noinput_needs_only_username_email_and_password(monkeypatch):
    monkeypatch.setitem(os.environ, "DJANGO_SUPERUSER_PASSWORD", "a-strong-password-1")
    call_command("createsuperuser", "--noinput", "--username", "root", "--email", "root@example.com", stdout=StringIO())
    user = User.objects.get(username="root")
    assert user.is_superuser
    assert user.check_password("a-strong-password-1")
