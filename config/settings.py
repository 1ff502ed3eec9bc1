"""Settings read from the environment; SQLite is the embedded default, DATABASE_URL switches database."""

import os
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("DJANGO_DEBUG", False)
# The test suite (pytest) runs with DEBUG off, the development key, locmem caches and immediate tasks.
TESTING = "pytest" in sys.modules
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
# Without a key, outside DEBUG, tests and an explicit local try, the web application refuses to start
# (config/serving.py, called by wsgi.py and asgi.py): sessions and signed values would be forgeable with a
# published key. Management commands (migrate, makemigrations, check) still run, on the development key below,
# whose "django-insecure-" prefix makes `check --deploy` report it (security.W009).
SECRET_KEY_REQUIRED = not SECRET_KEY and not (DEBUG or TESTING or env_bool("DJANGO_ALLOW_INSECURE_KEY", False))
if not SECRET_KEY:
    # A fixed development key keeps `make run` a single command; production sets DJANGO_SECRET_KEY.
    SECRET_KEY = "django-insecure-dev-key-change-me-0123456789-abcdefghijklmnopqrstuvwxyz"
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "import_export",
    "simple_history",
    "axes",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "crm",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "crm.middleware.ReferenceVersionsMiddleware",
    "crm.middleware.DefaultLanguageMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "crm.middleware.NamedUploadsMiddleware",  # before CSRF, which parses the body
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "crm.middleware.ContentSecurityPolicyMiddleware",  # django-csp's, its header built once
    "crm.middleware.IdleSessionMiddleware",
    "crm.middleware.NoStoreMiddleware",
    "crm.middleware.DiskFullMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: turns a locked-out login into its 429 answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "crm.context_processors.navigation",
            ],
        },
    },
]
# Django's template renderer, with plain <select> widgets written in Python (same HTML, crm/forms/renderers.py).
FORM_RENDERER = "crm.forms.renderers.SiteFormRenderer"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        # Reused connections: a new SQLite connection starts with a cold page cache and re-reads the schema.
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
# Parallel workers per Gather for the app's own PostgreSQL connections. 0 (no parallel query) by default: the
# app's statements do a few ms of work and on a 2-core server starting the workers took 10-15 ms more (the API
# visits region count, a manager's supervised count), and under concurrent requests the workers compete for the
# same cores (one uncached dashboard count is slower: docs/operator-guide.md, "Parallel query"). Raise it (e.g. 2,
# PostgreSQL's own default) on a server with many cores; empty: the server's setting.
pg_parallel_workers = os.environ.get("DJANGO_PG_PARALLEL_WORKERS", "0").strip()
# Server-side binding (DJANGO_PG_SERVER_SIDE_BINDING=1: psycopg's Cursor, not ClientCursor) with statements prepared
# after DJANGO_PG_PREPARE_THRESHOLD executions on a connection (default 5; empty: never, e.g. behind a pooler in
# transaction mode): PostgreSQL parses a repeated statement once. Each execution is still planned for its values
# (DJANGO_PG_PLAN_CACHE_MODE, default force_custom_plan; empty: the server's setting, auto): with PostgreSQL's
# generic plans after five executions the search for a need code (a LIKE '%…%' read by its trigram index) took
# 0.7-0.9 s instead of 15 ms and the officer's and manager's 工作台 3-4 times longer. Off by default: with custom
# plans single requests were faster, but the load test served fewer requests/s with it in both alternated rounds
# (docs/operator-guide.md, "Prepared statements"). A statement bound on the server takes at most 65,535
# parameters: config/postgresql/base.py.
pg_server_side_binding = os.environ.get("DJANGO_PG_SERVER_SIDE_BINDING", "0").strip() == "1"
pg_plan_cache_mode = os.environ.get("DJANGO_PG_PLAN_CACHE_MODE", "force_custom_plan").strip()
if pg_plan_cache_mode not in ("", "auto", "force_custom_plan", "force_generic_plan"):
    raise ValueError(f"DJANGO_PG_PLAN_CACHE_MODE: {pg_plan_cache_mode!r} is not a plan_cache_mode of PostgreSQL.")
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend, declaring the 65,535-parameter limit of server-side binding (config/postgresql/base.py).
    DATABASES["default"]["ENGINE"] = "config.postgresql"
    # No JIT: it pays off for long analytical queries; here any statement whose estimate passes jit_above_cost
    # (the milestone lag counts, the dashboard's aggregates) spent tens of ms compiling (EXPLAIN: "JIT Emission").
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"]["options"] = " ".join(
        filter(
            None,
            [
                DATABASES["default"]["OPTIONS"].get("options"),
                "-c jit=off",
                pg_parallel_workers and f"-c max_parallel_workers_per_gather={int(pg_parallel_workers)}",
                pg_server_side_binding and pg_plan_cache_mode and f"-c plan_cache_mode={pg_plan_cache_mode}",
            ],
        )
    )
    pg_prepare_threshold = os.environ.get("DJANGO_PG_PREPARE_THRESHOLD", "5").strip()
    if pg_server_side_binding:
        DATABASES["default"]["OPTIONS"]["server_side_binding"] = True
        # Django passes None (no prepared statements) unless OPTIONS name a threshold.
        DATABASES["default"]["OPTIONS"]["prepare_threshold"] = (
            int(pg_prepare_threshold) if pg_prepare_threshold else None
        )
    elif pg_prepare_threshold:
        # Client-side binding prepares nothing; a threshold lets the statements that ask for it be prepared (the
        # session, the user, the reference versions, the throttle: config/postgresql/base.py plan_once_cursor).
        DATABASES["default"]["OPTIONS"]["prepare_threshold"] = int(pg_prepare_threshold)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside one writer; IMMEDIATE takes the write lock at BEGIN so concurrent
    # transactions queue on the busy timeout instead of failing with "database is locked" mid-way.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        # 64 MB page cache and memory-mapped reads: the default 2 MB cache is tiny beside a province-scale file.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536; PRAGMA mmap_size=268435456;"
        ),
    }
    # A file, not :memory:, so that concurrency tests and the browser tests' live server share the database.
    DATABASES["default"]["TEST"] = {
        "NAME": os.environ.get("DJANGO_TEST_DB_NAME")
        or str(Path(tempfile.gettempdir()) / f"crm-test-{os.getpid()}.sqlite3")
    }

AUTH_USER_MODEL = "crm.User"
# django-axes first: a locked-out client/username pair is refused before the password is even checked.
# crm.security.UserBackend is Django's ModelBackend loading the user with the bureau and department. A session
# signed in before it stored ModelBackend's path: that user signs in again once.
AUTHENTICATION_BACKENDS = ["crm.security.LockoutBackend", "crm.security.UserBackend"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "crm:home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "crm" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "crm.storage.CleanFileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG and env_bool("DJANGO_MANIFEST_STATIC", False)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# `manage.py backup` writes its archives here (or --output-dir).
BACKUP_DIR = Path(os.environ.get("DJANGO_BACKUP_DIR", BASE_DIR / "backups"))
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024

EMAIL_BACKEND = os.environ.get("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
if os.environ.get("DJANGO_EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["DJANGO_EMAIL_HOST"]
    EMAIL_PORT = int(os.environ.get("DJANGO_EMAIL_PORT", "587"))
    EMAIL_HOST_USER = os.environ.get("DJANGO_EMAIL_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("DJANGO_EMAIL_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "crm@example.org")

# Django's database sessions, the row read with a statement compiled once (crm/sessions.py).
SESSION_ENGINE = "crm.sessions"
# Django's messages (a cookie, then the session), made only when a request reads or adds one (crm/sessions.py).
MESSAGE_STORAGE = "crm.sessions.MessageStorage"
# Sessions end after this much idle time (IdleSessionMiddleware renews them at most once a minute).
SESSION_COOKIE_AGE = int(os.environ.get("DJANGO_SESSION_IDLE_SECONDS", str(2 * 60 * 60)))
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
# A refused form in plain Chinese, keeping what was typed (crm/views/errors.py).
CSRF_FAILURE_VIEW = "crm.views.errors.csrf_failure"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
# Proxies in front of the app (nginx: 1). Only then is X-Forwarded-For believed (login lockout, throttles).
TRUSTED_PROXY_COUNT = int(os.environ.get("DJANGO_TRUSTED_PROXY_COUNT", "0"))
if not DEBUG and env_bool("DJANGO_SECURE", False):
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an anonymous API call then answers 401 with a WWW-Authenticate header.
        "crm.api.authentication.ExpiringTokenAuthentication",
        "crm.api.authentication.SessionUserAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "crm.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "crm.api.schema.CrmAutoSchema",
    "EXCEPTION_HANDLER": "crm.api.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "crm.api.throttles.CrmAnonRateThrottle",
        "crm.api.throttles.CrmUserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("DJANGO_THROTTLE_ANON", "60/min"),
        "user": os.environ.get("DJANGO_THROTTLE_USER", "2000/min"),
        "login": os.environ.get("DJANGO_THROTTLE_LOGIN", "10/min"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_PARSER_CLASSES": [
        "crm.api.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # Throttles key on the real client address (crm.security.client_ip follows the same rule).
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
}
# API tokens: valid this many days after they were issued; a password change or a revoke ends them earlier.
API_TOKEN_TTL = timedelta(days=int(os.environ.get("DJANGO_TOKEN_TTL_DAYS", "30")))
SPECTACULAR_SETTINGS = {
    "TITLE": "Enterprise Liaison CRM API",
    "DESCRIPTION": "政企挂钩联系服务平台 REST API",
    "VERSION": "1.0.0",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No call to the public swagger.io validator: the docs page works offline.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "persistAuthorization": True, "validatorUrl": None},
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_INCLUDE_SCHEMA": False,
    # One schema enum per TextChoices, whatever field uses it.
    "ENUM_NAME_OVERRIDES": {
        "NeedStatusEnum": "crm.choices.NeedStatus",
        "NeedCategoryEnum": "crm.choices.NeedCategory",
        "ActionStatusEnum": "crm.choices.ActionStatus",
        "MatchStatusEnum": "crm.choices.MatchStatus",
        "EnterpriseStatusEnum": "crm.choices.EnterpriseStatus",
        "ProjectStatusEnum": "crm.choices.ProjectStatus",
        "PolicyKindEnum": "crm.choices.PolicyKind",
        "PolicyLevelEnum": "crm.choices.PolicyLevel",
        "VisitKindEnum": "crm.choices.VisitKind",
        "ProjectKindEnum": "crm.choices.ProjectKind",
        "OfferingKindEnum": "crm.choices.OfferingKind",
        "ReportKindEnum": "crm.choices.ReportKind",
        "ProjectStageEnum": "crm.choices.ProjectStage",
        "CultivationStageEnum": "crm.choices.CultivationStage",
    },
}

IMPORT_EXPORT_SKIP_ADMIN_LOG = False
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "change"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"

# One cache shared by every process (throttles, the dashboard, the login lockout): Redis with DJANGO_REDIS_URL
# (`pip install redis`), else the database (table `django_cache`, created by migration 0003). Tests: locmem.
if TESTING:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
elif os.environ.get("DJANGO_REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["DJANGO_REDIS_URL"],
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "django_cache"}}

# The API throttles count in the table of crm.models.ThrottleCounter (one upsert per request, shared by every
# process) unless Redis is configured: then in the cache, as DRF does. "cache" on the database cache would cost six
# statements per request.
CRM_THROTTLE_STORE = os.environ.get(
    "DJANGO_THROTTLE_STORE", "cache" if os.environ.get("DJANGO_REDIS_URL") else "database"
)

# Background tasks (DESIGN §11.9): the database backend and its worker (`manage.py db_worker`); tests run
# tasks immediately. Lists longer than this are exported by a task instead of inside the request.
TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks.backends.immediate.ImmediateBackend" if TESTING else "django_tasks_db.DatabaseBackend"
        )
    }
}
EXPORT_SYNC_MAX_ROWS = int(os.environ.get("DJANGO_EXPORT_SYNC_MAX_ROWS", "5000"))
# Uploads on /imports/ with more rows are checked and imported by a task (import_sheet stays synchronous).
IMPORT_SYNC_MAX_ROWS = int(os.environ.get("DJANGO_IMPORT_SYNC_MAX_ROWS", "5000"))
# Those background imports write this many rows per transaction (undone together if any fails: crm.ImportUndo),
# so that SQLite's single write lock is never held for long (about 0.15 s per 1 000 enterprises)...
IMPORT_WRITE_CHUNK_ROWS = int(os.environ.get("DJANGO_IMPORT_WRITE_CHUNK_ROWS", "1000"))
# ...with this pause between the transactions on SQLite: a writer waiting for the lock retries every 100 ms at
# most (SQLite's busy handler), so a longer pause lets it in.
IMPORT_WRITE_PAUSE = float(os.environ.get("DJANGO_IMPORT_WRITE_PAUSE", "0.11"))
# The live progress of a task (rows done of the total) goes to its own cache, not the database: an import runs
# in one transaction (on SQLite holding the write lock), so a progress row written to the database would not be
# seen before the import ended. Redis when DJANGO_REDIS_URL is set (several machines); else files in
# DJANGO_PROGRESS_DIR, shared by the web and worker processes of one machine. Tests: locmem.
if TESTING:
    CACHES["progress"] = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "progress"}
elif os.environ.get("DJANGO_REDIS_URL"):
    CACHES["progress"] = {**CACHES["default"], "KEY_PREFIX": "progress"}
else:
    CACHES["progress"] = {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": os.environ.get("DJANGO_PROGRESS_DIR", str(BASE_DIR / "var" / "progress")),
    }

# Login lockout (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one username from one address,
# that pair is refused for AXES_COOLOFF_TIME (web, admin and API token logins alike).
AXES_FAILURE_LIMIT = int(os.environ.get("DJANGO_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("DJANGO_LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["ip_address", "username"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "crm.security.client_ip"
AXES_LOCKOUT_CALLABLE = "crm.security.lockout_response"
AXES_VERBOSE = False

# Content-Security-Policy (django-csp): scripts and styles only from our own static files, no inline code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
}

# The enterprise's own page (企业服务码, DESIGN §11.5). SMS goes through a pluggable backend (crm/sms.py): the
# console one writes each message to the log (crm.sms) and stdout; ``crm.sms.HttpGatewayBackend`` POSTs JSON
# {"mobile", "text", "sign"} to CRM_SMS_URL with ``Authorization: Bearer CRM_SMS_TOKEN``.
CRM_SMS_BACKEND = os.environ.get("CRM_SMS_BACKEND", "crm.sms.ConsoleBackend")
CRM_SMS_URL = os.environ.get("CRM_SMS_URL", "")
CRM_SMS_TOKEN = os.environ.get("CRM_SMS_TOKEN", "")
CRM_SMS_SIGN = os.environ.get("CRM_SMS_SIGN", "淮安市科技局")
CRM_SMS_TIMEOUT = float(os.environ.get("CRM_SMS_TIMEOUT", "5"))
# The links printed and sent by SMS are absolute: the public address of the site (e.g. https://crm.example.org).
CRM_PUBLIC_URL = os.environ.get("CRM_PUBLIC_URL", "").rstrip("/")
# Requests per token and minute on /e/<token>/ (counted in the shared cache).
CRM_PORTAL_RATE = int(os.environ.get("CRM_PORTAL_RATE", "30"))
