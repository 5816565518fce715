"""Django settings, read from the environment (every variable is listed in the README)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import dj_database_url

from studyai import redis_acl
from studyai.redis_tls import RedisTLS

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("STUDYAI_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return default if value in (None, "") else int(value)


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def role_redis_url(role: str) -> str:
    """The Redis URL of one role (studyai/redis_acl.py): REDIS_URL_<ROLE>, else REDIS_URL, else
    that role's user on the embedded Redis that `make run` started (it writes its URL and the
    users' passwords to var/), else a local Redis."""
    url = os.environ.get(f"REDIS_URL_{role.upper()}") or os.environ.get("REDIS_URL")
    if url:
        return url
    embedded = VAR_DIR / "embedded-redis.url"
    if embedded.exists():
        return redis_acl.embedded_role_url(VAR_DIR, role, embedded.read_text().strip())
    return "redis://127.0.0.1:6379/0"


DEBUG = env_bool("DEBUG", False)
# The fallback key is only fit for a laptop: set SECRET_KEY anywhere users log in. With DEBUG off
# and this key, daphne and the workers refuse to start unless STUDYAI_LOCAL_RUN says it is a run
# on this machine only (`make run` says so): studyai/safety.py.
DEVELOPMENT_SECRET_KEY = "insecure-dev-key-set-SECRET_KEY-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY") or DEVELOPMENT_SECRET_KEY
LOCAL_RUN = env_bool("STUDYAI_LOCAL_RUN", False)
# Served over HTTPS (directly or behind a TLS-terminating proxy): secure cookies, HSTS, redirect.
HTTPS = env_bool("HTTPS", False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", HTTPS)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if HTTPS else 0)
# Policy for the whole domain, so the operator's choice (check --deploy asks about both).
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
if env_bool("TRUST_X_FORWARDED_PROTO", False):  # only behind a proxy that sets it itself
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
# Origins allowed to open the WebSocket and to post with session auth (CSRF); hosts in ALLOWED_HOSTS
# are always allowed by Channels' AllowedHostsOriginValidator.
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_results",
    "channels",
    "studyai.events",
    "documents",
    "indexing",
    "quizzes",
    "notifications",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "studyai.middleware.RejectNulMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "studyai.middleware.LogContextMiddleware",  # after authentication: it knows a session's user
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "studyai.urls"
ASGI_APPLICATION = "studyai.asgi.application"
WSGI_APPLICATION = None

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
            ]
        },
    }
]

# --- Database: SQLite under var/ by default, anything dj-database-url reads via DATABASE_URL.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'studyai.sqlite3'}",
        # Persistent connections: daphne's database_sync_to_async calls would otherwise open a
        # new connection each (measured +4-6 ms per call on PostgreSQL, docs/benchmarks.md).
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (daphne, workers, services) share the file: WAL lets readers run beside
    # the writer, IMMEDIATE takes the write lock up front so transactions wait instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Only for `collectstatic` behind a front web server; WhiteNoise serves from the apps otherwise.
STATIC_ROOT = os.environ.get("STATIC_ROOT") or None
# Static files (admin, the API docs page) come straight from the installed apps: nothing to collect.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
# Uploaded files live here; never served by URL (documents are read through the API only).
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MAX_UPLOAD_BYTES = env_int("MAX_UPLOAD_BYTES", 50 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- Redis: one URL per role (a least-privilege Redis user each, studyai/redis_acl.py), all
# falling back to REDIS_URL. This process's role picks the URL that the channel layer, the event
# stream, the cache and the Celery broker use.
REDIS_ROLE = os.environ.get("STUDYAI_REDIS_ROLE") or redis_acl.role_for_argv(sys.argv)
if REDIS_ROLE not in redis_acl.ROLES:
    raise ValueError(f"STUDYAI_REDIS_ROLE={REDIS_ROLE!r}: expected one of {', '.join(redis_acl.ROLES)}")
REDIS_URLS = {role: role_redis_url(role) for role in redis_acl.ROLES}
REDIS_URL = REDIS_URLS[REDIS_ROLE]
# TLS for rediss:// URLs (REDIS_TLS_CA_FILE, REDIS_TLS_CERT_FILE, REDIS_TLS_KEY_FILE,
# REDIS_TLS_CHECK_HOSTNAME), applied to every Redis client below and to the event transport.
REDIS_TLS = RedisTLS.from_env()

CHANNEL_LAYERS = {
    "default": {
        # The pub/sub layer: one PUBLISH per group_send (about 0.45 ms a round trip against 2.7 ms
        # for the core layer, per the design brief). At-most-once; the durable feed and resume
        # cover what it drops.
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": [REDIS_TLS.layer_host(REDIS_URL)], "prefix": "studyai.layer"},
    }
}

# --- Event system (studyai/events).
STUDYAI_EVENTS = {
    "STREAM": os.environ.get("EVENT_STREAM", "study_ai_events"),
    "STREAM_MAXLEN": env_int("EVENT_STREAM_MAXLEN", 100_000),  # approximate (XADD MAXLEN ~)
    "DEAD_LETTER_STREAM": os.environ.get("EVENT_DEAD_LETTER_STREAM", "study_ai_events.dead_letters"),
    "MAX_DELIVERIES": env_int("EVENT_MAX_DELIVERIES", 5),
    "RETRY_BASE_MS": env_int("EVENT_RETRY_BASE_MS", 1000),
    # An entry another consumer read is taken over only after this long: it may still be working
    # through the batch that holds it (taken sooner, it would be handled twice).
    "CLAIM_IDLE_MS": env_int("EVENT_CLAIM_IDLE_MS", 10_000),
    # The relay sweep takes outbox rows this old that no publisher has relayed (it crashed).
    "OUTBOX_GRACE_SECONDS": env_int("EVENT_OUTBOX_GRACE_SECONDS", 5),
    "PROGRESS_MIN_INTERVAL_MS": env_int("EVENT_PROGRESS_MIN_INTERVAL_MS", 200),
}
# Comma-separated Fernet keys, newest first: events' sensitive fields are encrypted in Redis
# (studyai/events/crypto.py). Empty: they travel in clear.
EVENT_ENCRYPTION_KEYS = os.environ.get("EVENT_ENCRYPTION_KEYS", "")

# --- Celery (the app and its fixed settings are in studyai/celery.py; these are the deployable ones).
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL)
CELERY_BROKER_USE_SSL = REDIS_TLS.celery_options(CELERY_BROKER_URL)  # results are in the database, not Redis
CELERY_RESULT_BACKEND = "django-db"
CELERY_RESULT_EXTENDED = True
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
# One place routes tasks to queues, by app.
CELERY_TASK_ROUTES = {
    "documents.tasks.*": {"queue": "document_queue"},
    "indexing.tasks.*": {"queue": "indexing_queue"},
    "quizzes.tasks.*": {"queue": "quiz_queue"},
    "studyai.events.tasks.*": {"queue": "document_queue"},
}
# Above the 30 min hard limit, so a long task is never handed to a second worker while it runs.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 35 * 60),
}

# --- REST API.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "studyai.api.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"anon": "60/min", "user": "1000/min"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "StudyAI API",
    "DESCRIPTION": "Upload study material, search it, generate and take quizzes; live events over /ws/notifications/.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI served from the sidecar package, not a CDN: the platform runs offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a `status`; name each enum after its model in the schema.
    "ENUM_NAME_OVERRIDES": {
        "DocumentStatusEnum": "documents.models.Document.Status",
        "IndexJobStatusEnum": "indexing.models.IndexJob.Status",
        "QuizStatusEnum": "quizzes.models.Quiz.Status",
    },
}

# One JSON object per line from every process (LOG_FORMAT=json), or readable lines (text); each
# with the ids of its request, task or event, and no secrets (studyai/logs.py).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "json").strip().lower()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "studyai.logs.ContextFilter"}},
    "formatters": {"json": {"()": "studyai.logs.JsonLineFormatter"}, "text": {"()": "studyai.logs.TextFormatter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "text" if LOG_FORMAT == "text" else "json", "filters": ["context"]}
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"daphne.access": {"level": "WARNING"}, "django.channels.server": {"level": "WARNING"}},
}

# --- Documents: what an upload may be, and the bounds of one extraction (documents/extract).
EXTRACTION_LIMITS = {
    "max_pages": env_int("EXTRACT_MAX_PAGES", 2000),
    "max_chars": env_int("EXTRACT_MAX_CHARS", 5_000_000),
    "max_decompressed_bytes": env_int("EXTRACT_MAX_DECOMPRESSED_BYTES", 512 * 1024 * 1024),
    "timeout_seconds": env_int("EXTRACT_TIMEOUT_SECONDS", 300),
    "max_memory_bytes": env_int("EXTRACT_MAX_MEMORY_BYTES", 2 * 1024 * 1024 * 1024),
}
# Sleep this long after each extracted page: slows processing down for demos and crash tests.
DOCUMENT_PAGE_DELAY_MS = env_int("DOCUMENT_PAGE_DELAY_MS", 0)
UPLOAD_RATE = os.environ.get("UPLOAD_RATE", "120/min")
# Failed logins (API token and admin) allowed per account and per address in the window.
STUDYAI_LOGIN_LIMITS = {
    "FAILURES_PER_ACCOUNT": env_int("LOGIN_FAILURES_PER_ACCOUNT", 10),
    "FAILURES_PER_ADDRESS": env_int("LOGIN_FAILURES_PER_ADDRESS", 30),
    "WINDOW_SECONDS": env_int("LOGIN_WINDOW_SECONDS", 300),
}
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["uploads"] = UPLOAD_RATE
# Throttle counters (and anything else cached) live in Redis, shared by every daphne process.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "studyai.cache",
        "OPTIONS": REDIS_TLS.client_options(REDIS_URL),
    }
}

# --- Indexing and search (indexing/; every variable is listed in the README's "Search and indexing").
STUDYAI_INDEXING = {
    # Chunks are at most CHUNK_SIZE characters of one page, each overlapping the previous by about
    # CHUNK_OVERLAP, so a passage cut at a boundary is still whole in one of the two.
    "CHUNK_SIZE": env_int("CHUNK_SIZE", 1000),
    "CHUNK_OVERLAP": env_int("CHUNK_OVERLAP", 150),
    # indexing.progress events (and IndexJob row updates) at most this often.
    "PROGRESS_INTERVAL_MS": env_int("INDEXING_PROGRESS_INTERVAL_MS", 250),
    # A pause per chunk, to make a job slow enough for tests to kill its worker mid-run.
    "CHUNK_DELAY_MS": env_int("INDEXING_CHUNK_DELAY_MS", 0),
    # auto: chunk embeddings and mode=semantic|hybrid when the semantic extra is installed; off: never.
    "SEMANTIC": os.environ.get("SEMANTIC_SEARCH", "auto").strip().lower(),
}

# --- The watchdog (studyai/watchdog.py, `manage.py run_watchdog`): no job stays stuck.
STUDYAI_WATCHDOG = {
    # A job queued this long has had time to start: it is looked into (no worker? re-sent).
    "QUEUED_SECONDS": env_int("WATCHDOG_QUEUED_SECONDS", 300),
    # A job running this long is dead: past Celery's hard time limit (30 min), no task still runs.
    "STALLED_SECONDS": env_int("WATCHDOG_STALLED_SECONDS", 35 * 60),
    "INTERVAL_SECONDS": env_int("WATCHDOG_INTERVAL_SECONDS", 30),
}

# --- Quizzes (quizzes/; every variable is listed in the README's "Quizzes").
STUDYAI_QUIZZES = {
    # quiz.generation.progress events (and Quiz.questions_done updates) at most this often.
    "PROGRESS_INTERVAL_MS": env_int("QUIZ_PROGRESS_INTERVAL_MS", 250),
    # A pause per question made, to slow generation down for demos and crash tests.
    "QUESTION_DELAY_MS": env_int("QUIZ_QUESTION_DELAY_MS", 0),
    # An optional OpenAI-compatible chat-completions provider; off while BASE_URL is empty.
    "LLM": {
        "BASE_URL": os.environ.get("QUIZ_LLM_BASE_URL", ""),  # e.g. http://127.0.0.1:8080/v1
        "MODEL": os.environ.get("QUIZ_LLM_MODEL", ""),
        # The NAME of the environment variable holding the API key (read when used, never stored).
        "API_KEY_ENV": os.environ.get("QUIZ_LLM_API_KEY_ENV", "QUIZ_LLM_API_KEY"),
        "TIMEOUT_SECONDS": float(os.environ.get("QUIZ_LLM_TIMEOUT_SECONDS", "60")),
        "MAX_TRIES": env_int("QUIZ_LLM_MAX_TRIES", 2),  # then the offline generator takes over
        "MAX_PASSAGES": env_int("QUIZ_LLM_MAX_PASSAGES", 12),  # passages shown to the model
    },
}
# Item analysis (quizzes/item_analysis.py): a question's share correct is shown in the API, and a
# question flagged, only once this many attempts answered it; fewer say little about the question.
ITEM_ANALYSIS_MIN_ATTEMPTS = env_int("ITEM_ANALYSIS_MIN_ATTEMPTS", 5)
