"""Production settings: secrets are required, HTTPS and secure cookies are on.

Everything else comes from base.py and the environment (README.md lists every variable).
"""

from luhsan_portal.settings.base import *  # noqa: F403
from luhsan_portal.settings.env import env, env_bool, env_secret

DEBUG = False
SECRET_KEY = env_secret("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 30)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_HTTPONLY = True

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}

# HSTS preloading is a public-internet feature; intranet hosts are never on the preload list.
# W019 asks for X_FRAME_OPTIONS = "DENY"; SAMEORIGIN is deliberate (base.py: evidence previews).
SILENCED_SYSTEM_CHECKS = ["security.W021", "security.W019"]
