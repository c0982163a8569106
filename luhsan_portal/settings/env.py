"""Strict environment parsing shared by every settings module.

django-environ reads most values; booleans and secrets go through the helpers here so that a
typo such as ``DJANGO_DEBUG=ture`` stops the process instead of silently meaning ``False``, and
so that Docker-style ``NAME_FILE`` secrets work.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    """Read a boolean, refusing anything that is not an obvious yes or no."""
    raw = env.str(name, default=None)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use true/false, 1/0, yes/no, on/off)")


def env_secret(name: str, default: str | None = None) -> str:
    """Read a secret from ``NAME`` or from the file named by ``NAME_FILE``; no default means required."""
    file_name = env.str(f"{name}_FILE", default=None)
    if file_name:
        return Path(file_name).read_text(encoding="utf-8").strip()
    value = env.str(name, default=None)
    if value:
        return value
    if default is None:
        raise ImproperlyConfigured(f"Set the {name} environment variable (or {name}_FILE)")
    return default
