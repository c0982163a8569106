"""Settings for every environment; the embedded default needs no configuration at all.

With nothing set it runs on SQLite, local files and eager Celery. ``DATABASE_URL`` switches to
PostgreSQL, ``CELERY_BROKER_URL`` (or ``REDIS_URL``) to Redis with real workers and beat.
Every variable is documented in README.md.
"""

from datetime import timedelta
from pathlib import Path

from celery.schedules import crontab

from luhsan_portal.settings.env import BASE_DIR, env, env_bool, env_secret

# ---------------------------------------------------------------------------
# Core
# ---------------------------------------------------------------------------
DEBUG = env_bool("DJANGO_DEBUG", default=True)
# The embedded default is a developer's machine; production.py demands a real key.
SECRET_KEY = env_secret("DJANGO_SECRET_KEY", default="insecure-embedded-default-key-change-me-in-production")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "import_export",
    "axes",
    "luhsan_portal",
    "units",
    "accounts",
    "indicators",
    "evidence",
    "supervision",
    "bulletins",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

# Evidence previews (PDFs, images) are shown in a same-origin frame.
X_FRAME_OPTIONS = "SAMEORIGIN"
ROOT_URLCONF = "luhsan_portal.urls"
WSGI_APPLICATION = "luhsan_portal.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "luhsan_portal.context_processors.portal",
            ],
        },
    },
]

# ---------------------------------------------------------------------------
# Database: SQLite by default, anything dj-database-url understands otherwise
# ---------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default keeps its database under var/, which a fresh clone does not have yet.
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["ENGINE"] = "luhsan_portal.db_backends.sqlite3"
    # Concurrent requests (runserver threads, uploads) wait for the write lock instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
    if "postgresql" in DATABASES["default"]["ENGINE"]:
        # PostgreSQL's JIT compiles the progress aggregates (their cost estimates pass its thresholds)
        # and spends longer compiling than running them: measured 1.2 s of a 2.3 s dashboard query.
        DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# ---------------------------------------------------------------------------
# Language and time: the product is Chinese first
# ---------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# ---------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("DJANGO_MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
# Every uploaded file streams to a temporary file on disk while its SHA-256 is computed; a file
# over the size limit is dropped as it arrives (evidence/uploads.py).
FILE_UPLOAD_HANDLERS = ["evidence.uploads.HashingUploadHandler"]
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5000

# ---------------------------------------------------------------------------
# Authentication
# ---------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Lock an account/IP pair out after repeated wrong passwords (django-axes).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/lockout.html"
AXES_VERBOSE = False

# ---------------------------------------------------------------------------
# Cache: local memory, or Redis when REDIS_URL is set
# ---------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# ---------------------------------------------------------------------------
# Celery: eager in the embedded default, Redis workers when a broker is configured
# ---------------------------------------------------------------------------
_BROKER = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=not _BROKER)
# Eager mode never talks to a broker; "memory://" keeps kombu from looking for one.
CELERY_BROKER_URL = _BROKER or "memory://localhost/"
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=_BROKER) or None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=60 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=55 * 60)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Periodic jobs are declared here and only here; beat's DatabaseScheduler loads them at start.
CELERY_BEAT_SCHEDULE = {
    # 00:30 every night: store the day's progress figures for every running campaign.
    "progress-snapshot-nightly": {
        "task": "reports.tasks.progress_snapshot_all_task",
        "schedule": crontab(hour=0, minute=30),
    },
    # 02:00 every night: re-check every web link given as evidence.
    "link-check-nightly": {
        "task": "evidence.tasks.link_check_all_task",
        "schedule": crontab(hour=2, minute=0),
    },
    # Every 5 minutes: requeue a package export whose worker was killed (its heartbeat stopped).
    "package-export-sweep": {
        "task": "reports.tasks.package_export_sweep_task",
        "schedule": crontab(minute="*/5"),
    },
    # Every 10 minutes: PDF renditions of new office files, ready for the next package export.
    "office-renditions": {
        "task": "reports.tasks.office_renditions_task",
        "schedule": crontab(minute="*/10"),
    },
}

# ---------------------------------------------------------------------------
# REST API
# ---------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "luhsan_portal.api_support.Pagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "luhsan_portal.api_support.exception_handler",
    "COERCE_DECIMAL_TO_STRING": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "示范创建管理平台 API",
    "DESCRIPTION": "鲁山县创建省级法治政府建设示范县管理平台接口（/api/v1/）。",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# ---------------------------------------------------------------------------
# Product settings
# ---------------------------------------------------------------------------
PORTAL_NAME = env.str("PORTAL_NAME", default="示范创建管理平台")
# Used when a command needs a county and the deployment has none yet.
PORTAL_DEFAULT_COUNTY = env.str("PORTAL_DEFAULT_COUNTY", default="鲁山县")
# An import larger than this is refused before anything is parsed further.
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=20000)
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=20 * 1024 * 1024)
# Deadline light turns yellow this many days before a due date.
DEADLINE_WARNING_DAYS = env.int("DEADLINE_WARNING_DAYS", default=3)

# Evidence (DESIGN.md §3.4)
EVIDENCE_MAX_FILE_BYTES = env.int("EVIDENCE_MAX_FILE_BYTES", default=200 * 1024 * 1024)
EVIDENCE_MAX_FILES = env.int("EVIDENCE_MAX_FILES", default=50)
EVIDENCE_ZIP_MAX_MEMBERS = env.int("EVIDENCE_ZIP_MAX_MEMBERS", default=1000)
EVIDENCE_ZIP_MAX_TOTAL_BYTES = env.int("EVIDENCE_ZIP_MAX_TOTAL_BYTES", default=2 * 1024**3)
EVIDENCE_ZIP_MAX_RATIO = env.int("EVIDENCE_ZIP_MAX_RATIO", default=100)
# Province-platform packages (DESIGN.md §3.7): a folder per export on a disk every worker shares.
PACKAGE_ROOT = Path(env.str("PACKAGE_ROOT", default=str(BASE_DIR / "var" / "packages")))
# A running export that has not reported progress for this long is taken to be dead and retried.
PACKAGE_EXPORT_STALE_SECONDS = env.int("PACKAGE_EXPORT_STALE_SECONDS", default=10 * 60)
PACKAGE_EXPORT_MAX_ATTEMPTS = env.int("PACKAGE_EXPORT_MAX_ATTEMPTS", default=3)
# A volume with more evidence than this gets no merged PDF (its files are still in it): merging writes
# every byte a second time, so this bounds the time one huge volume adds. Memory does not depend on it.
PACKAGE_MERGE_MAX_BYTES = env.int("PACKAGE_MERGE_MAX_BYTES", default=512 * 1024 * 1024)
# Worker processes one export builds volumes with (at most one per core; ~220 MB each).
PACKAGE_EXPORT_PROCESSES = env.int("PACKAGE_EXPORT_PROCESSES", default=2)
# Outbound proxy for link checks ("" = direct); the only outbound call the portal makes.
LINK_CHECK_PROXY = env.str("LINK_CHECK_PROXY", default="")
LINK_CHECK_TIMEOUT = env.float("LINK_CHECK_TIMEOUT", default=10.0)
LINK_CHECK_ENABLED = env_bool("LINK_CHECK_ENABLED", default=True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # WeasyPrint narrates every rendering step at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
