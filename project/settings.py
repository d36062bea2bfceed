"""Parvis settings, all read from environment variables.

The embedded defaults (SQLite, the in-memory channel layer) need nothing installed,
but they are development defaults: with DEBUG off, the app refuses to start without
a real SECRET_KEY and explicit ALLOWED_HOSTS.
"""

import ipaddress
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    """Read a boolean environment variable (1/true/yes/on, case-insensitive)."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    """Read a comma-separated list from an environment variable."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    """Read an integer environment variable."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError as error:
        raise ImproperlyConfigured(
            f"{name} must be an integer, not {value!r}."
        ) from error


DEBUG = env_bool("DEBUG", default=False)

_DEV_SECRET_KEY = "django-insecure-parvis-development-only"  # noqa: S105
SECRET_KEY = os.environ.get("SECRET_KEY", "") or (_DEV_SECRET_KEY if DEBUG else "")
ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS")
CORS_ALLOW_CREDENTIALS = True

if not DEBUG:
    # Production: refuse to start on an insecure default rather than run with it.
    if (
        not SECRET_KEY
        or SECRET_KEY.startswith("django-insecure")
        or len(SECRET_KEY) < 50
    ):
        raise ImproperlyConfigured(
            "SECRET_KEY must be set to a random value of at least 50 characters "
            "when DEBUG is off (for development, set DEBUG=1)."
        )
    if not ALLOWED_HOSTS or "*" in ALLOWED_HOSTS:
        raise ImproperlyConfigured(
            "ALLOWED_HOSTS must list the host names this server answers to when "
            "DEBUG is off; '*' is refused."
        )

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "channels",
    "strawberry_django",
    "social",
    "graphql_schema",
]

MIDDLEWARE = [
    "project.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "project.urls"
ASGI_APPLICATION = "project.asgi.application"

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

# Databases. Under ASGI every request runs in its own thread-sensitive context, so
# persistent connections would pile up and go stale: CONN_MAX_AGE stays 0 unless
# the operator opts in, and health checks drop a connection that died.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("CONN_MAX_AGE", 0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers go on while one writer writes; IMMEDIATE takes the write
        # lock at BEGIN, so concurrent writers wait instead of failing mid-way.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # A file, not memory, so that a live server in a subprocess sees the test data.
    # One per test process, so that parallel runs do not share it.
    DATABASES["default"]["TEST"] = {
        "NAME": str(BASE_DIR / "var" / f"test-db-{os.getpid()}.sqlite3")
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "social.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in (
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
]

# Channel layer: in memory (one process) by default, Redis when REDIS_URL is set.
# On Redis, REDIS_CHANNEL_LAYER picks the layer: "pubsub" (one PUBLISH per event
# and per audience, whatever the number of subscribers) or "core" (a queue per
# consumer); docs/PERFORMANCE.md has the figures behind the default.
REDIS_URL = os.environ.get("REDIS_URL", "")
REDIS_CHANNEL_LAYER = os.environ.get("REDIS_CHANNEL_LAYER", "pubsub")
# Keeps installations (or test runs) that share one Redis apart.
CHANNEL_LAYER_PREFIX = os.environ.get("CHANNEL_LAYER_PREFIX", "parvis")
if REDIS_URL and REDIS_CHANNEL_LAYER == "core":
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # redis-py 8 reads with a 5 s socket timeout by default, the same as
                # the layer's blocking BZPOPMIN: idle sockets would crash every
                # 5 s (channels_redis issue 422). Longer, but not infinite, so
                # that a Redis gone silent is still noticed.
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "socket_timeout": 15,
                        "socket_connect_timeout": 5,
                    }
                ],
                "prefix": CHANNEL_LAYER_PREFIX,
                # Longer than daphne's WebSocket timeout (none by default: a day).
                "group_expiry": 86400,
            },
        }
    }
elif REDIS_URL and REDIS_CHANNEL_LAYER == "pubsub":
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "socket_connect_timeout": 5}],
                "prefix": CHANNEL_LAYER_PREFIX,
            },
        }
    }
elif REDIS_URL:
    raise ImproperlyConfigured('REDIS_CHANNEL_LAYER must be "pubsub" or "core".')
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# The cache holds sign-in throttling counters: shared by every process on Redis.
# "local" is this process's own memory: the throttle counts there while Redis is
# down (social/throttle.py), so that signing in does not depend on Redis.
_LOCAL_CACHE = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "parvis",
        },
        "local": {**_LOCAL_CACHE, "LOCATION": "parvis-local"},
    }
else:
    CACHES = {
        "default": _LOCAL_CACHE,
        "local": {**_LOCAL_CACHE, "LOCATION": "parvis-local"},
    }

# The organisation this installation serves, as the API's `organization` shows it.
ORGANIZATION_NAME = os.environ.get("ORGANIZATION_NAME", "Mairie")
# How long an invitation's access code stays valid.
INVITATION_DAYS = env_int("INVITATION_DAYS", 30)

# Sign-in throttling (social/throttle.py, docs/AUTH.md): failed sign-ins allowed per
# account (the identifier as typed, normalised) and per client address in each
# window of that many seconds; a limit of 0 turns that count off.
SIGNIN_THROTTLE_ACCOUNT_FAILURES = env_int("SIGNIN_THROTTLE_ACCOUNT_FAILURES", 5)
SIGNIN_THROTTLE_ACCOUNT_WINDOW = env_int("SIGNIN_THROTTLE_ACCOUNT_WINDOW", 15 * 60)
SIGNIN_THROTTLE_ADDRESS_FAILURES = env_int("SIGNIN_THROTTLE_ADDRESS_FAILURES", 20)
SIGNIN_THROTTLE_ADDRESS_WINDOW = env_int("SIGNIN_THROTTLE_ADDRESS_WINDOW", 15 * 60)
SIGNIN_THROTTLE_KEY_PREFIX = "signin"
# Reverse proxies (addresses or networks) whose X-Forwarded-For names the client.
# Empty: the peer's address is the client's, which behind a proxy is the proxy's.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError as _error:
        raise ImproperlyConfigured(
            f"TRUSTED_PROXIES: {_proxy!r} is not an IP address or network."
        ) from _error
# Bearer tokens do not expire; their last use (and the user's last_seen_at) is
# written at most once per this many seconds, not on every request.
TOKEN_TOUCH_INTERVAL = env_int("TOKEN_TOUCH_INTERVAL", 60)

# Argon2 for passwords; the others only verify older hashes.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

LANGUAGE_CODE = "fr-fr"
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Paris")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
# Third-party browser assets installed by `make vendor` (GraphiQL), when present.
VENDOR_DIR = BASE_DIR / "var" / "vendor"
STATICFILES_DIRS = [VENDOR_DIR] if VENDOR_DIR.is_dir() else []
# In development WhiteNoise serves files straight from the finders.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Security: HTTPS in production, usually terminated by a reverse proxy. Trust its
# X-Forwarded-Proto header only when told that such a proxy is in front.
if env_bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = not DEBUG and env_bool("SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = 0 if DEBUG else env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG and env_bool("SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
if not SECURE_HSTS_PRELOAD:
    SILENCED_SYSTEM_CHECKS = ["security.W021"]

# The benchmark's hand-written floors (bench/views.py) at /bench/...: only for
# `make bench`'s own server (docs/PERFORMANCE.md), never in a normal run.
BENCH_VIEWS = env_bool("PARVIS_BENCH_VIEWS", default=False)

# GraphiQL at /graphql/ in a browser (it only shows what the API already allows).
GRAPHIQL_ENABLED = env_bool("GRAPHIQL", default=True)

# GraphQL limits, enforced before any resolver runs (docs/LIMITS.md).
GRAPHQL_MAX_DEPTH = env_int("GRAPHQL_MAX_DEPTH", 12)
GRAPHQL_MAX_ALIASES = env_int("GRAPHQL_MAX_ALIASES", 30)
GRAPHQL_MAX_TOKENS = env_int("GRAPHQL_MAX_TOKENS", 2000)
GRAPHQL_MAX_DOCUMENT_BYTES = env_int("GRAPHQL_MAX_DOCUMENT_BYTES", 20_000)
# Fields selected once every fragment spread is expanded.
GRAPHQL_MAX_FIELDS = env_int("GRAPHQL_MAX_FIELDS", 2000)
GRAPHQL_PAGE_SIZE_DEFAULT = 20
GRAPHQL_PAGE_SIZE_MAX = 100

# Live updates (docs/LIVE.md): operations at once on one socket, sockets per user
# in one server process, how often a process checks its channel layer, and how
# many events a socket may fall behind before it is closed to resync.
LIVE_MAX_SUBSCRIPTIONS_PER_CONNECTION = env_int(
    "LIVE_MAX_SUBSCRIPTIONS_PER_CONNECTION", 50
)
LIVE_MAX_CONNECTIONS_PER_USER = env_int("LIVE_MAX_CONNECTIONS_PER_USER", 10)
LIVE_LAYER_CHECK_SECONDS = env_int("LIVE_LAYER_CHECK_SECONDS", 2)
# How long a socket waits for the channel layer to join or leave an audience
# before it is closed (4503).
LIVE_LAYER_TIMEOUT_SECONDS = env_int("LIVE_LAYER_TIMEOUT_SECONDS", 5)
LIVE_QUEUE_MAX = env_int("LIVE_QUEUE_MAX", 1000)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Strawberry logs every error with its traceback; ours does it with a
        # request id (graphql_schema/errors.py), so one line per failure is enough.
        "strawberry.execution": {"level": "CRITICAL"},
    },
}
