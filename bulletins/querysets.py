"""Read paths of bulletins and column posts: the office sees drafts, everyone else what is published."""

from django.db import models

from luhsan_portal.access import Action, Role, scope_q


def _is_office(user) -> bool:
    return user.is_superuser or user.role in (Role.OFFICE, Role.ADMIN)


class _Published(models.QuerySet):
    published_status = "published"

    def published(self):
        return self.filter(status=self.published_status)

    def for_user(self, user, action: Action | str = Action.VIEW):
        """The office reads and writes everything of its county; other roles read what is published."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        county = scope_q(user, Action.VIEW, unit_field=None, county_field="campaign__county")
        if _is_office(user):
            return self.filter(county)
        if Action(action) != Action.VIEW:
            return self.none()
        return self.filter(county).published()

    def public(self):
        """What the public column shows: published, in a campaign whose column is switched on."""
        return self.published().filter(campaign__publication__column_enabled=True)


class BulletinQuerySet(_Published):
    def latest_revisions(self):
        """Published issues, each in its latest revision (a correction replaces its original)."""
        return self.published().exclude(revisions__status="published")


class PostQuerySet(_Published):
    pass
