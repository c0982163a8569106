"""Settings for the test suite: fast hashing, in-memory mail, eager Celery.

Worker-marked tests switch Celery to a real worker themselves (see conftest.py).
"""

from luhsan_portal.settings.base import *  # noqa: F403
from luhsan_portal.settings.base import MEDIA_ROOT, env

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
AXES_ENABLED = env.bool("AXES_ENABLED", default=False)
MEDIA_ROOT = MEDIA_ROOT.parent / "test-media"
PACKAGE_ROOT = MEDIA_ROOT.parent / "test-packages"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Tests never reach out to the network unless a test turns this on against its local server.
LINK_CHECK_ENABLED = False

# A file, not SQLite's shared in-memory database: concurrent-request tests then wait on the
# write lock (as a real deployment does) instead of failing with "table is locked".
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(MEDIA_ROOT.parent / "test-db.sqlite3")}  # noqa: F405
