"""Shared fixtures: media in a temporary folder, a small county built through the real importers,
and the personas every permission test uses (office, liaison, other-unit liaison, supervisor,
leader, admin, anonymous)."""

import datetime as dt

import pytest
from django.test import Client

from luhsan_portal.testing import CSV_ASSIGNMENTS, CSV_FRAMEWORK, CSV_UNITS


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def county(db):
    from units.importers import units_import
    from units.models import County

    county = County.objects.create(name="鲁山县", short_name="鲁山")
    result = units_import(data=CSV_UNITS.encode(), county=county)
    assert result.ok, result.errors
    return county


@pytest.fixture
def framework(db):
    from indicators.importing.framework import framework_import
    from indicators.models import Framework

    result = framework_import(data=CSV_FRAMEWORK.encode(), framework_name="测试指标体系")
    assert result.ok, result.errors
    return Framework.objects.get(name="测试指标体系")


@pytest.fixture
def campaign(county, framework, django_capture_on_commit_callbacks):
    from indicators.importing.assignments import assignments_import
    from indicators.services import campaign_create

    campaign = campaign_create(
        name="鲁山县创建省级法治政府建设示范县",
        framework=framework,
        start_date=dt.date(2026, 1, 1),
        target_date=dt.date(2026, 12, 31),
        county=county,
    )
    with django_capture_on_commit_callbacks(execute=True):
        result = assignments_import(data=CSV_ASSIGNMENTS.encode(), campaign=campaign)
    assert result.ok, result.errors
    return campaign


def unit_named(county, short_name: str):
    from units.models import Unit

    return Unit.objects.get(county=county, short_name=short_name)


def make_user(username: str, role: str, *, county=None, unit=None, **extra):
    from accounts.models import User

    return User.objects.create_user(
        username=username, password="pw-123456", role=role, county=county, unit=unit, name=username, **extra
    )


@pytest.fixture
def office(county):
    return make_user("office", "office", county=county)


@pytest.fixture
def admin_user(county):
    return make_user("admin1", "admin", county=county, is_staff=True, is_superuser=True)


@pytest.fixture
def liaison(county):
    """Liaison of 司法局, which leads indicators 1 and 3 and co-serves 2 and 4."""
    return make_user("liaison", "liaison", county=county, unit=unit_named(county, "司法局"))


@pytest.fixture
def other_liaison(county):
    """Liaison of 财政局: a different unit."""
    return make_user("other", "liaison", county=county, unit=unit_named(county, "财政局"))


@pytest.fixture
def supervisor(county):
    return make_user("supervisor", "supervisor", county=county)


@pytest.fixture
def leader(county):
    return make_user("leader", "leader", county=county)


@pytest.fixture
def personas(office, admin_user, liaison, other_liaison, supervisor, leader):
    return {
        "office": office,
        "admin": admin_user,
        "liaison": liaison,
        "other_liaison": other_liaison,
        "supervisor": supervisor,
        "leader": leader,
        "anonymous": None,
    }


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def as_user():
    return client_for
