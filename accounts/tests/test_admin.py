import pytest

from accounts.models import User

pytestmark = pytest.mark.django_db


def test_admin_creates_a_liaison_bound_to_a_unit(county, admin_user, as_user):
    unit = county.units.get(short_name="财政局")
    client = as_user(admin_user)
    response = client.post(
        "/admin/accounts/user/add/",
        {
            "username": "new_liaison",
            "password1": "Ls-2026-very-strong",
            "password2": "Ls-2026-very-strong",
            "usable_password": "true",
            "name": "刘春华",
            "role": "liaison",
            "unit": unit.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(username="new_liaison")
    assert (user.role, user.unit, user.county) == ("liaison", unit, county)


def test_admin_refuses_a_liaison_without_unit_in_chinese(county, admin_user, as_user):
    response = as_user(admin_user).post(
        "/admin/accounts/user/add/",
        {
            "username": "x",
            "password1": "Ls-2026-very-strong",
            "password2": "Ls-2026-very-strong",
            "usable_password": "true",
            "role": "liaison",
        },
    )
    assert "单位联络员必须指定所属单位" in response.content.decode()
    assert not User.objects.filter(username="x").exists()


def test_audit_log_is_read_only_in_admin(campaign, admin_user, as_user):
    from luhsan_portal.models import AuditEvent

    event = AuditEvent.objects.first()
    client = as_user(admin_user)
    assert client.get("/admin/luhsan_portal/auditevent/").status_code == 200
    response = client.post(f"/admin/luhsan_portal/auditevent/{event.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_office_staff_cannot_open_the_admin(county, office, as_user):
    assert as_user(office).get("/admin/").status_code == 302
