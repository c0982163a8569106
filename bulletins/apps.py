from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BulletinsConfig(AppConfig):
    name = "bulletins"
    verbose_name = _("工作简报与创建专栏")

    def ready(self):
        from bulletins import signals  # noqa: F401 — registers the cache invalidation
