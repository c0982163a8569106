"""The Celery application: eager in the embedded default, Redis-backed when configured."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luhsan_portal.settings.base")

app = Celery("luhsan_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
