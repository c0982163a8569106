"""The one gate, as a role × unit matrix over the scoped models."""

import pytest

from indicators.models import Assignment, Campaign
from luhsan_portal.access import Action
from units.models import County, Unit

pytestmark = pytest.mark.django_db


def _units_of(qs):
    return sorted(set(qs.values_list("unit__short_name", flat=True)))


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("office", ["县政府办", "司法局", "琴台街道", "财政局"]),
        ("admin", ["县政府办", "司法局", "琴台街道", "财政局"]),
        ("leader", ["县政府办", "司法局", "琴台街道", "财政局"]),
        ("liaison", ["司法局"]),
        ("other_liaison", ["财政局"]),
        ("supervisor", []),
        ("anonymous", []),
    ],
)
def test_assignments_visible_per_role(campaign, personas, persona, expected):
    from django.contrib.auth.models import AnonymousUser

    user = personas[persona] or AnonymousUser()
    assert _units_of(Assignment.objects.for_user(user)) == sorted(expected)


@pytest.mark.parametrize(
    ("persona", "action", "count"),
    [
        ("office", Action.MANAGE, 10),
        ("liaison", Action.SUBMIT, 4),
        ("liaison", Action.MANAGE, 0),
        ("leader", Action.SUBMIT, 0),
        ("leader", Action.MANAGE, 0),
        ("supervisor", Action.MANAGE, 0),
    ],
)
def test_write_actions_per_role(campaign, personas, persona, action, count):
    assert Assignment.objects.for_user(personas[persona], action).count() == count


def test_units_for_a_liaison_are_only_its_own(campaign, liaison):
    assert list(Unit.objects.for_user(liaison).values_list("short_name", flat=True)) == ["司法局"]


def test_a_unit_head_leader_sees_only_the_unit(campaign, county):
    from conftest import make_user, unit_named

    head = make_user("head", "leader", county=county, unit=unit_named(county, "财政局"))
    assert _units_of(Assignment.objects.for_user(head)) == ["财政局"]


def test_office_of_another_county_sees_nothing_of_this_one(campaign):
    from conftest import make_user

    other = County.objects.create(name="宝丰县")
    stranger = make_user("stranger", "office", county=other)
    assert not Assignment.objects.for_user(stranger).exists()
    assert not Unit.objects.for_user(stranger).exists()
    assert not Campaign.objects.for_user(stranger).exists()


def test_campaigns_are_visible_to_every_role_of_the_county(campaign, personas):
    for name, user in personas.items():
        if user is not None:
            assert Campaign.objects.for_user(user).count() == 1, name


def test_inactive_user_sees_nothing(campaign, office):
    office.is_active = False
    assert not Assignment.objects.for_user(office).exists()
