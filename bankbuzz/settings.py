"""BankBuzz settings: one module, configured from the environment (12-factor).

Every value comes from an environment variable (or its `*_FILE` variant) read
through the typed helpers in `bankbuzz.env`, which name the variable in their
error. Secrets have no default outside DEBUG. See the README, "Configuration".
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import dj_database_url
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from bankbuzz.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)

if DEBUG:
    SECRET_KEY = env_str("SECRET_KEY", "dev-only-secret-key-not-for-production-use-0123456789abcdef")
else:
    SECRET_KEY = env_str("SECRET_KEY")
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters long")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

BANK_NAME = env_str("BANK_NAME", "Northbridge Bank")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# The languages the bank's customers write in (ISO 639-1): language detection chooses among
# these only, and agents correct a message's language to one of them. English is always added.
# An unknown code stops the worker at start (listening.enrichment.language.resolve_languages).
BANK_LANGUAGES = env_list("BANK_LANGUAGES", ["en", "fr", "de", "es", "it", "nl", "pl", "pt"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_celery_beat",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "bankbuzz.accounts",
    "bankbuzz.audit",
    "listening",
    "inbox",
    "escalations",
    "dashboards",
    "rest_framework",
    "drf_spectacular",
    "bankbuzz.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "bankbuzz.audit.middleware.AuditContextMiddleware",
    # Security and compliance (README "Security and compliance"): the second factor, session
    # timeouts, then django-axes' lockout answer. Order matters: see bankbuzz/accounts/middleware.py.
    "django_otp.middleware.OTPMiddleware",
    "bankbuzz.accounts.middleware.SessionTimeoutMiddleware",
    "bankbuzz.accounts.middleware.SecondFactorMiddleware",
    "axes.middleware.AxesMiddleware",
]

# django-axes first: it refuses a locked-out username before the password is even checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "bankbuzz.urls"
WSGI_APPLICATION = "bankbuzz.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"  # which redirects by role (bankbuzz.views.home)
LOGOUT_REDIRECT_URL = "accounts:login"

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
                "bankbuzz.accounts.context_processors.roles",
            ],
        },
    },
]

# --- Database: PostgreSQL only ------------------------------------------------

_database_url = env_str("DATABASE_URL", "")
if not _database_url:
    raise ImproperlyConfigured(
        "DATABASE_URL must be set (postgres://user:password@host:5432/name). "
        "`make run` and `make test` start an embedded PostgreSQL when it is not."
    )
try:
    _db = dj_database_url.parse(_database_url, conn_max_age=env_int("DB_CONN_MAX_AGE", 60, minimum=0))
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {exc}") from None
if _db.get("ENGINE") != "django.db.backends.postgresql":
    raise ImproperlyConfigured(
        "DATABASE_URL must point at PostgreSQL (postgres://...): it is the only dialect"
    )
_db["CONN_HEALTH_CHECKS"] = True
_db.setdefault("OPTIONS", {})["connect_timeout"] = env_int("DB_CONNECT_TIMEOUT", 5, minimum=1)
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: broker and cache --------------------------------------------------

REDIS_URL = env_str("REDIS_URL", "")
if not REDIS_URL:
    raise ImproperlyConfigured(
        "REDIS_URL must be set (redis://host:6379/0). "
        "`make run` and `make test` start an embedded Redis when it is not."
    )
if not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured(f"REDIS_URL must start with redis://, rediss:// or unix://, not {REDIS_URL!r}")
# Kombu spells a Unix socket differently from redis-py.
CELERY_BROKER_URL = (
    "redis+socket://" + REDIS_URL.removeprefix("unix://") if REDIS_URL.startswith("unix://") else REDIS_URL
)

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "bankbuzz",
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    }
}

SESSION_ENGINE = "django.contrib.sessions.backends.db"

# --- Celery (see bankbuzz/celery.py for why each option is set) ---------------

CELERY_TASK_ALWAYS_EAGER = False
# Separate stacks sharing one Redis (a test run beside `make run`) use separate queues.
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "bankbuzz")
CELERY_POLL_SOFT_TIME_LIMIT = env_int("CELERY_POLL_SOFT_TIME_LIMIT", 120, minimum=5)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
DEFAULT_POLL_INTERVAL = env_int("DEFAULT_POLL_INTERVAL", 60, minimum=5)

# --- The social networks -------------------------------------------------------

SANDBOX_URL = env_str("SANDBOX_URL", "http://127.0.0.1:8001" if DEBUG else "").rstrip("/")
_sandbox_default = SANDBOX_URL or "http://127.0.0.1:8001"
X_API_BASE_URL = env_str("X_API_BASE_URL", f"{_sandbox_default}/x" if DEBUG else "https://api.x.com").rstrip(
    "/"
)
GRAPH_API_BASE_URL = env_str(
    "GRAPH_API_BASE_URL", f"{_sandbox_default}/graph" if DEBUG else "https://graph.facebook.com"
).rstrip("/")
LINKEDIN_API_BASE_URL = env_str(
    "LINKEDIN_API_BASE_URL", f"{_sandbox_default}/linkedin" if DEBUG else "https://api.linkedin.com"
).rstrip("/")
GRAPH_API_VERSION = env_str("GRAPH_API_VERSION", "v21.0")
NETWORK_HTTP_TIMEOUT = env_int("NETWORK_HTTP_TIMEOUT", 10, minimum=1)

_OFFICIAL_HOSTS = {
    "X_API_BASE_URL": {"api.x.com", "api.twitter.com"},
    "GRAPH_API_BASE_URL": {"graph.facebook.com"},
    "LINKEDIN_API_BASE_URL": {"api.linkedin.com"},
}
ALLOW_SANDBOX_NETWORKS = env_bool("ALLOW_SANDBOX_NETWORKS", DEBUG)
if not ALLOW_SANDBOX_NETWORKS:
    # Production talks to the real networks only: a sandbox URL left in a
    # production environment would silently swallow customers' messages.
    for _name, _hosts in _OFFICIAL_HOSTS.items():
        _url = urlsplit(globals()[_name])
        if _url.scheme != "https" or _url.hostname not in _hosts:
            raise ImproperlyConfigured(
                f"{_name}={globals()[_name]!r} is not the network's official https API; "
                "sandbox URLs are refused in production "
                "(set DEBUG or ALLOW_SANDBOX_NETWORKS for a test stack)"
            )

# --- Encryption of network credentials ------------------------------------------

if DEBUG:
    _dev_key = base64.urlsafe_b64encode(hashlib.sha256(SECRET_KEY.encode()).digest()).decode()
    CREDENTIALS_KEYS = env_list("CREDENTIALS_KEYS", [_dev_key])
else:
    CREDENTIALS_KEYS = env_list("CREDENTIALS_KEYS")
if not CREDENTIALS_KEYS:
    raise ImproperlyConfigured(
        "CREDENTIALS_KEYS must be set: a comma-separated list of Fernet keys, newest first "
        "(make one with: python -c "
        "'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"
    )
for _position, _key in enumerate(CREDENTIALS_KEYS, start=1):
    try:
        Fernet(_key)
    except ValueError:
        raise ImproperlyConfigured(
            f"CREDENTIALS_KEYS: key {_position} is not a Fernet key (32 url-safe base64-encoded bytes)"
        ) from None

# --- E-mail -------------------------------------------------------------------------


def _email_settings(url: str) -> dict[str, object]:
    parts = urlsplit(url)
    backends = {
        "smtp": "django.core.mail.backends.smtp.EmailBackend",
        "smtps": "django.core.mail.backends.smtp.EmailBackend",
        "console": "django.core.mail.backends.console.EmailBackend",
        "locmem": "django.core.mail.backends.locmem.EmailBackend",
        "dummy": "django.core.mail.backends.dummy.EmailBackend",
    }
    if parts.scheme not in backends:
        raise ImproperlyConfigured(
            f"EMAIL_URL scheme {parts.scheme!r} is not one of {', '.join(sorted(backends))} "
            "(for example smtp://user:password@mail.example:587/?tls=1)"
        )
    query = parse_qs(parts.query)
    try:
        port = parts.port
    except ValueError:
        raise ImproperlyConfigured("EMAIL_URL has an invalid port") from None
    return {
        "EMAIL_BACKEND": backends[parts.scheme],
        "EMAIL_HOST": parts.hostname or "localhost",
        "EMAIL_PORT": port or (465 if parts.scheme == "smtps" else 25),
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_SSL": parts.scheme == "smtps",
        "EMAIL_USE_TLS": query.get("tls", ["0"])[0] in {"1", "true", "yes"},
    }


globals().update(_email_settings(env_str("EMAIL_URL", "console://" if DEBUG else "smtp://localhost:25")))
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "BankBuzz <bankbuzz@localhost>")
EMAIL_TIMEOUT = 10

# --- Security -----------------------------------------------------------------------

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# A session ends SESSION_IDLE_TIMEOUT seconds after the person last did something (htmx polls do
# not count: SESSION_BACKGROUND_VIEWS), and SESSION_ABSOLUTE_TIMEOUT after login whatever happens.
SESSION_IDLE_TIMEOUT = env_int("SESSION_IDLE_TIMEOUT", 30 * 60, minimum=60)
SESSION_ABSOLUTE_TIMEOUT = env_int("SESSION_ABSOLUTE_TIMEOUT", 10 * 60 * 60, minimum=60)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT
SESSION_BACKGROUND_VIEWS = frozenset({"inbox:poll", "inbox:live", "accounts:notification_badge"})

# Two-factor login (django-otp): TOTP apps and recovery codes. Failed codes slow down
# exponentially per device (throttle factor 1 s, doubling).
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", f"BankBuzz ({BANK_NAME})")
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1

# Login throttling (django-axes): AXES_FAILURE_LIMIT wrong passwords for one username lock it
# for AXES_COOLOFF_MINUTES, from every address (credential stuffing moves between addresses).
# An administrator unlocks early in the admin (Axes > Access attempts: delete the row).
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 15, minimum=1) / 60  # hours
AXES_LOCKOUT_PARAMETERS = ["username"]
# axes.W006 wants the address in the lockout key, against attackers rotating user agents or
# cookies; a username key is not affected by either. Keying on the address would lock a whole
# office behind one NAT address after five typos, so the username alone it is.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
CSRF_COOKIE_HTTPONLY = True
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)

# Content-Security-Policy: our own scripts and styles only, no inline code, so a
# payload that slips into a page has nothing to run. Avatars come from the
# networks' image hosts by URL (https; http too in development for the sandbox).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "https:", *(["http:"] if DEBUG else [])],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Internationalisation and static files ----------------------------------------

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Serve straight from static/ without collectstatic in development and tests.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# --- Logging: to stdout, never a secret -----------------------------------------------

LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(f"LOG_LEVEL={LOG_LEVEL!r} is not a log level")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # urllib3 logs full request URLs at DEBUG, and Graph puts the access token in the query string.
        "urllib3": {"level": "WARNING"},
        # tweepy logs every request's headers at DEBUG, the bearer token included.
        "tweepy": {"level": "INFO"},
        "django.db.backends": {"level": "INFO"},
        # django-axes logs every successful login at INFO; lockouts come at WARNING.
        "axes": {"level": "WARNING"},
    },
}

INBOX_PAGE_SIZE = env_int("INBOX_PAGE_SIZE", 50, minimum=5)

# --- The REST API (bankbuzz/api, README "API") -----------------------------------------------

# Personal tokens first: an unauthenticated call gets 401 with `WWW-Authenticate: Bearer`. A
# session counts only after its second factor, like the pages. Throttled per token (the rates are
# read from the two settings below by bankbuzz.api.throttling, e.g. "600/min").
API_THROTTLE_RATE = env_str("API_THROTTLE_RATE", "600/min")
API_WRITE_THROTTLE_RATE = env_str("API_WRITE_THROTTLE_RATE", "120/min")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "bankbuzz.api.authentication.ApiTokenAuthentication",
        "bankbuzz.api.authentication.VerifiedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "bankbuzz.api.permissions.TokenScope",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "bankbuzz.api.throttling.TokenRateThrottle",
        "bankbuzz.api.throttling.TokenWriteRateThrottle",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "BankBuzz API",
    "DESCRIPTION": "The shared inbox, escalations, mentions and dashboards of BankBuzz. "
    "Authenticate with a personal token from your profile page: `Authorization: Bearer <token>`.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema is for people and systems already let in (a token or a verified session).
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ConversationStatusEnum": "inbox.api.CONVERSATION_STATUSES",
        "SettableStatusEnum": "inbox.api.SETTABLE_STATUSES",
        "ReplyStateEnum": "inbox.api.REPLY_STATES",
        "MentionKindEnum": "listening.api.MENTION_KINDS",
        "EscalationEventKindEnum": "escalations.api.EVENT_KINDS",
        "EscalationStateEnum": "escalations.api.ESCALATION_STATES",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "bankbuzz.api.common.add_error_responses",
    ],
    "APPEND_COMPONENTS": {
        "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "bbz_..."}}
    },
    "SECURITY": [{"bearerAuth": []}],
}
