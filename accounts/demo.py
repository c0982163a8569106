"""Demo logins, one per role; the password is the same for all and printed by seed_demo."""

from accounts.models import User
from luhsan_portal.access import Role
from units.models import County, Unit

DEMO_PASSWORD = "demo12345"  # noqa: S105 — the documented demo password (DESIGN.md §5)


def demo_users_spec(county: County) -> list[dict]:
    justice = Unit.objects.get(county=county, name="鲁山县司法局")
    street = Unit.objects.get(county=county, name="琴台街道办事处")
    return [
        {"username": "demo_office", "name": "陈晓东", "role": Role.OFFICE, "unit": None},
        {"username": "demo_liaison", "name": "王海燕", "role": Role.LIAISON, "unit": justice},
        {"username": "demo_liaison_town", "name": "李春华", "role": Role.LIAISON, "unit": street},
        {"username": "demo_supervisor", "name": "赵国庆", "role": Role.SUPERVISOR, "unit": None},
        {"username": "demo_leader", "name": "周永刚", "role": Role.LEADER, "unit": None},
        {
            "username": "demo_admin",
            "name": "孙明辉",
            "role": Role.ADMIN,
            "unit": None,
            "is_staff": True,
            "is_superuser": True,
        },
    ]


def seed_users(county: County) -> list[User]:
    users = []
    for spec in demo_users_spec(county):
        spec = dict(spec)
        username = spec.pop("username")
        defaults = {"county": county, "is_active": True, "is_staff": False, "is_superuser": False, **spec}
        user, _ = User.objects.update_or_create(username=username, defaults=defaults)
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
        users.append(user)
    return users
