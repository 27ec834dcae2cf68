"""leadloop settings: one file, every knob read from the environment.

Defaults are for a developer's laptop and the demo (SQLite in the working
directory, console email). Production sets DATABASE_URL, SECRET_KEY,
ALLOWED_HOSTS and DEBUG=false; see README.md, "Production".
"""

from __future__ import annotations

import os
import tempfile
import warnings
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw else default


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if not raw:
        return default
    return [part.strip() for part in raw.split(",") if part.strip()]


DEBUG = env_bool("DEBUG", False)
# The demo and the tests run without a SECRET_KEY; production must set one
# (check --deploy flags the insecure default).
SECRET_KEY = env_str("SECRET_KEY", "django-insecure-leadloop-demo-key-change-me")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",
    "huey.contrib.djhuey",
    "axes",
    "csp",
    "leadloop.accounts",
    "leadloop.campaigns",
    "leadloop.leads",
    "leadloop.outreach",
    "leadloop.handoff",
    "leadloop.sla",
    "leadloop.followup",
    "leadloop.notifications",
    "leadloop.imports",
    "leadloop.webforms",
    "leadloop.webhooks",
    "leadloop.scoring",
    "leadloop.lifecycle",
    "leadloop.tick",
    "leadloop.reports",
    "leadloop.api",
    "leadloop.bench",
    "leadloop.demo",
    "leadloop.cli",
    "leadloop.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "leadloop.api.middleware.BodySizeLimit",
    "leadloop.api.middleware.ApiErrorsAsJson",
    "leadloop.api.middleware.CleanInput",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # django-csp's, with the header of the responses that all share it built once.
    "leadloop.web.csp.KeptPolicyCSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# DATABASE_URL: sqlite:///path/to/file.sqlite3 or postgres://user@host:5432/name.
# CONN_MAX_AGE keeps connections open between requests (a 6x difference in
# API throughput on PostgreSQL); health checks drop the broken ones.
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{Path.cwd() / 'leadloop.sqlite3'}")
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=env_int("CONN_MAX_AGE", 600),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the one writer; IMMEDIATE takes the write
    # lock at BEGIN so two writers queue instead of failing mid-transaction.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0 if env_bool("SQLITE_NO_PERSIST", False) else 600
    # The covering indexes' included columns are for PostgreSQL; SQLite builds the same
    # indexes without them, as meant, so its warning on every command is noise.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
    if "PYTEST_VERSION" in os.environ:
        # A file, not Django's shared-cache in-memory database: the tests that
        # run a real worker or a live server use it from several threads, and
        # shared cache answers "table is locked" where WAL and a timeout wait.
        DATABASES["default"]["TEST"] = {
            "NAME": str(Path(tempfile.gettempdir()) / f"leadloop-test-{os.getpid()}.sqlite3")
        }

# PostgreSQL: the longest one SQL statement of a web process (pages and API) may run, in
# seconds (0: no limit), so one request cannot hold a web worker. Only the processes
# that serve config.wsgi or config.asgi (they set LEADLOOP_WEB_PROCESS before the
# settings load) connect with it; the worker and the command line have no limit.
WEB_STATEMENT_TIMEOUT = float(env_str("WEB_STATEMENT_TIMEOUT", "20"))
if (
    WEB_STATEMENT_TIMEOUT > 0
    and env_bool("LEADLOOP_WEB_PROCESS", False)
    and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
):
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        f"-c statement_timeout={round(WEB_STATEMENT_TIMEOUT * 1000)}"
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"
# django-axes first: it refuses a locked-out login before a password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("STATIC_MANIFEST", not DEBUG and "PYTEST_VERSION" not in os.environ)
            and (BASE_DIR / "staticfiles").exists()
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Serve static files from the installed apps without collectstatic in the
# demo; production runs `leadloop collectstatic` once per release. Until then
# WhiteNoise's warning about the missing STATIC_ROOT is only noise.
WHITENOISE_USE_FINDERS = True
warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)

# A lead intake body is a few hundred bytes; anything over 1 MiB is refused.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "leadloop <leadloop@localhost>")

# HTTPS=true: the app is served over TLS (usually behind a proxy that sets
# X-Forwarded-Proto): secure cookies, plain HTTP redirected to HTTPS, and HSTS
# for a year, so browsers never try plain HTTP again. Each can be set alone.
HTTPS = env_bool("HTTPS", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG and HTTPS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", HTTPS)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 3600 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", SECURE_HSTS_SECONDS > 0)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", SECURE_HSTS_SECONDS > 0)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp): scripts, styles, images and requests
# from this site only; no inline script or style, no eval, no framing. Every
# script is a static file (htmx, keys.js); htmx's own inline indicator style
# and its eval are switched off in web/base.html.
CONTENT_SECURITY_POLICY: dict[str, Any] = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# Which address a request comes from, for the login lockout and the API's
# limits (leadloop.lib.clients): REMOTE_ADDR, unless NUM_PROXIES reverse
# proxies stand in front of the app and report it in X-Forwarded-For.
NUM_PROXIES = env_int("NUM_PROXIES", 0)

# Login lockout (django-axes): LOGIN_FAILURE_LIMIT failed logins for one user
# name from one address lock that pair out for LOGIN_LOCKOUT_MINUTES; another
# attempt during the lockout starts it again. A good login resets the count;
# `leadloop axes_reset_username NAME` lifts a lockout early.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "leadloop.lib.clients.client_address"
AXES_LOCKOUT_CALLABLE = "leadloop.web.lockout.locked_out"
AXES_VERBOSE = False

# API limits (leadloop.api.throttling): requests per token and per client
# address, and refused tokens (missing, unknown, revoked, expired) per
# address, after which that address is answered 429 until the window ends.
# "N/s", "N/min", "N/hour" or "N/day"; "off" lifts a limit.
API_RATE_PER_TOKEN = env_str("API_RATE_PER_TOKEN", "1200/min")
API_RATE_PER_ADDRESS = env_str("API_RATE_PER_ADDRESS", "2400/min")
API_RATE_BAD_TOKENS = env_str("API_RATE_BAD_TOKENS", "30/min")

# Idempotency-Key answers are kept this long; a retry after it creates anew.
# The tick deletes older ones.
IDEMPOTENCY_WINDOW = timedelta(hours=env_int("IDEMPOTENCY_WINDOW_HOURS", 24))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "structured": {
            "()": "leadloop.lib.logfmt.KeyValueFormatter",
        },
    },
    "filters": {
        "client_errors_in_one_line": {"()": "leadloop.lib.logfmt.ClientErrorsInOneLine"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "structured"},
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # huey logs every task run at INFO; the tick logs its own one-line summary.
        "huey": {"level": env_str("HUEY_LOG_LEVEL", "WARNING")},
        # httpx logs every webhook request at INFO; failed attempts log their own line.
        "httpx": {"level": "WARNING"},
        # A refused request (403, 404) is one line with its reason, not a stack trace.
        "django.request": {"filters": ["client_errors_in_one_line"]},
    },
}

# The currency of campaign costs, pipeline and revenue, as reports print it.
LEADLOOP_CURRENCY = env_str("CURRENCY", "EUR")

# The address links in emails point to.
LEADLOOP_BASE_URL = env_str("LEADLOOP_BASE_URL", "http://127.0.0.1:8000")

# Background work (huey). Every web process and worker must share one queue.
# Default with SQLite: a file beside the database file (an absolute path, so
# processes started in different directories still meet there). With
# PostgreSQL there is no such place: set REDIS_URL (several machines) or
# HUEY_FILE (one machine); until then `leadloop check`, `migrate` and
# `worker` refuse to run (leadloop.tick.checks), and a web process runs each
# task itself when it queues it rather than losing it. Tests run tasks
# immediately (on commit) unless a test starts a real worker.
REDIS_URL = env_str("REDIS_URL", "")
HUEY_FILE = env_str("HUEY_FILE", "")
if not HUEY_FILE and DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    _db_file = Path(DATABASES["default"]["NAME"]).resolve()
    HUEY_FILE = str(_db_file.with_name(_db_file.stem + ".huey.sqlite3"))
HUEY_IMMEDIATE = env_bool("HUEY_IMMEDIATE", "PYTEST_VERSION" in os.environ)
# Uploaded lead files wait here for their import (a worker reads them): one
# directory every web and worker process shares. Default: beside the SQLite
# database, or var/imports in the project with PostgreSQL.
_IMPORTS_DEFAULT = (
    Path(DATABASES["default"]["NAME"]).resolve().with_name("leadloop-imports")
    if DATABASES["default"]["ENGINE"].endswith("sqlite3")
    else BASE_DIR / "var" / "imports"
)
IMPORTS_DIR = Path(env_str("IMPORTS_DIR", str(_IMPORTS_DEFAULT))).resolve()
# The largest lead file an upload may be (the CLI reads any size from disk too).
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 1 << 30)
HUEY: dict[str, Any] = {
    "name": "leadloop",
    "immediate": HUEY_IMMEDIATE or not (REDIS_URL or HUEY_FILE),
    "utc": True,
    "consumer": {"workers": env_int("HUEY_WORKERS", 2), "worker_type": "thread"},
}
if REDIS_URL:
    HUEY |= {"huey_class": "huey.RedisHuey", "url": REDIS_URL}
else:
    # Without a queue (PostgreSQL, neither setting) tasks run immediately; the
    # file named here is only opened if something switches that off (a test).
    _no_queue = Path(tempfile.gettempdir()) / "leadloop-no-queue.huey.sqlite3"
    HUEY |= {"huey_class": "huey.SqliteHuey", "filename": HUEY_FILE or str(_no_queue)}

# The API's rate limits count in the cache: with REDIS_URL in Redis, shared by
# every web process; otherwise in each process's memory (a limit then holds
# per process). Tests always count in memory, a fresh count per test.
if REDIS_URL and "PYTEST_VERSION" not in os.environ:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "leadloop",
        }
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }

# Leads are assigned and timed in the team's own zone; this is only the
# zone of users who have not picked one.
LEADLOOP_DEFAULT_TIMEZONE = env_str("LEADLOOP_DEFAULT_TIMEZONE", "Europe/Berlin")

# Public web forms (leadloop.webforms; README, "Web forms"): requests per client
# address over all forms and per form ("N/s", "N/min", "N/hour", "N/day" or "off"),
# counted like the API's limits; the least time a person spends on a form before it
# may be sent (seconds from the page stamp), and how long a stamp stays good.
FORMS_RATE_PER_ADDRESS = env_str("FORMS_RATE_PER_ADDRESS", "20/min")
FORMS_RATE_PER_FORM = env_str("FORMS_RATE_PER_FORM", "600/min")
FORMS_MIN_FILL_SECONDS = float(env_str("FORMS_MIN_FILL_SECONDS", "3"))
FORMS_STAMP_MAX_AGE_HOURS = env_int("FORMS_STAMP_MAX_AGE_HOURS", 24)
# Webhooks (leadloop.webhooks): endpoints on loopback, private, link-local or
# reserved addresses are refused, at registration and on every delivery after
# DNS resolution, unless this is on (tests and local set-ups turn it on).
LEADLOOP_WEBHOOKS_ALLOW_PRIVATE = env_bool("LEADLOOP_WEBHOOKS_ALLOW_PRIVATE", False)
