"""BankBuzz settings: one module, configured from the environment (12-factor).

Every value comes from an environment variable (or its `*_FILE` variant) read
through the typed helpers in `bankbuzz.env`, which name the variable in their
error. Secrets have no default outside DEBUG. See the README, "Configuration".
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
from datetime import time as dt_time
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import dj_database_url
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from bankbuzz import bank_identity
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
    "learning",
    "incidents",
    "complaints",
    "dashboards",
    "rest_framework",
    "drf_spectacular",
    "bankbuzz.api",
]

MIDDLEWARE = [
    # First: a load balancer's probes are answered before host checks, redirects or sessions.
    "bankbuzz.health.HealthProbeMiddleware",
    # Then the request latency, covering every other middleware too (not the probes).
    "bankbuzz.metrics.RequestLatencyMiddleware",
    # Then the request id, so every later log line of the request carries it.
    "bankbuzz.logcontext.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # request.htmx (django-htmx): whether a request came from htmx, and its target.
    "django_htmx.middleware.HtmxMiddleware",
    # A NUL or an impossible admin date in a parameter is a 400 before any view (bankbuzz/inputs.py).
    "bankbuzz.inputs.InputGuardMiddleware",
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

# DATABASE_REPLICA_URL (optional): a streaming replica of the primary. The dashboards and their
# exports read there (bankbuzz/dbrouter.py); every write, and every other read, stays on
# `default`. In tests the replica alias mirrors `default` (the same test database).
_replica_url = env_str("DATABASE_REPLICA_URL", "")
if _replica_url:
    try:
        _replica = dj_database_url.parse(_replica_url, conn_max_age=env_int("DB_CONN_MAX_AGE", 60, minimum=0))
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_REPLICA_URL is not a database URL: {exc}") from None
    if _replica.get("ENGINE") != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_REPLICA_URL must point at PostgreSQL (postgres://...)")
    _replica["CONN_HEALTH_CHECKS"] = True
    _replica.setdefault("OPTIONS", {})["connect_timeout"] = env_int("DB_CONNECT_TIMEOUT", 5, minimum=1)
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES["replica"] = _replica
# The alias the dashboards read from ("" without a replica: everything reads `default`).
READ_REPLICA = "replica" if _replica_url else ""
DATABASE_ROUTERS = ["bankbuzz.dbrouter.ReplicaRouter"]


def _owner_database(url: str, app: dict) -> dict | None:
    """DATABASE_OWNER_URL: the role that owns the schema; `manage.py migrate` connects with it."""
    if not url:
        return None
    try:
        owner = dj_database_url.parse(url)
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_OWNER_URL is not a database URL: {exc}") from None
    if owner.get("ENGINE") != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_OWNER_URL must point at PostgreSQL (postgres://...)")
    for key, what in (("NAME", "database"), ("HOST", "host"), ("PORT", "port")):
        if (owner.get(key) or "") != (app.get(key) or ""):
            raise ImproperlyConfigured(
                f"DATABASE_OWNER_URL names {what} {owner.get(key) or '(default)'!r} but DATABASE_URL "
                f"names {app.get(key) or '(default)'!r}: both must reach the same database"
            )
    if not owner.get("USER") or owner.get("USER") == app.get("USER"):
        raise ImproperlyConfigured(
            "DATABASE_OWNER_URL must name the owner role, a different user from DATABASE_URL's"
        )
    return owner


# The owner role for `manage.py migrate`; unset, migrate runs as DATABASE_URL's role (a test or
# a single-role development database) and grants nothing.
DATABASE_OWNER = _owner_database(env_str("DATABASE_OWNER_URL", ""), _db)
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
# A poll's lease on its account, renewed every third of it while the poll runs: a worker that
# dies holds its account this long at most (listening/lease.py). Keep it under the poll interval.
POLL_LEASE_SECONDS = env_int("POLL_LEASE_SECONDS", 30, minimum=3)

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
INSTAGRAM_API_BASE_URL = env_str(
    "INSTAGRAM_API_BASE_URL", f"{_sandbox_default}/instagram" if DEBUG else "https://graph.instagram.com"
).rstrip("/")
# Defaults as DEFAULT_*_VERSION in listening/connectors/versions.py, whose table has each
# version's end of life; the accounts page and /healthz warn 60 days before it.
GRAPH_API_VERSION = env_str("GRAPH_API_VERSION", "v25.0")
LINKEDIN_API_VERSION = env_str("LINKEDIN_API_VERSION", "202603")
NETWORK_HTTP_TIMEOUT = env_int("NETWORK_HTTP_TIMEOUT", 10, minimum=1)
# X's pay-per-use prices in USD per unit (docs.x.com/x-api/getting-started/pricing, 2026):
# reads per resource returned, billed once per resource and UTC day; writes per request.
# X_API_PRICES='{"post_read": "0.005", ...}' overrides some or all.
X_API_PRICES = {
    "post_read": "0.005",
    "user_read": "0.010",
    "dm_event_read": "0.010",
    "content_create": "0.015",
    "content_create_url": "0.200",
    "dm_create": "0.015",
    "interaction_delete": "0.010",
    "content_manage": "0.005",
}
# Moderation permissions (bankbuzz/accounts/roles.py), each leads-only unless given here:
# MODERATION_ROLES='{"hide_comment": ["lead", "agent"]}'.
try:
    MODERATION_ROLES = json.loads(env_str("MODERATION_ROLES", "") or "{}")
    if not isinstance(MODERATION_ROLES, dict):
        raise TypeError
except (TypeError, ValueError):
    raise ImproperlyConfigured('MODERATION_ROLES must be a JSON object: {"hide_comment": ["lead"]}') from None
try:
    X_API_PRICES.update(json.loads(env_str("X_API_PRICES", "") or "{}"))
except (TypeError, ValueError):
    raise ImproperlyConfigured('X_API_PRICES must be a JSON object: {"post_read": "0.005", ...}') from None

_OFFICIAL_HOSTS = {
    "X_API_BASE_URL": {"api.x.com", "api.twitter.com"},
    "GRAPH_API_BASE_URL": {"graph.facebook.com"},
    "LINKEDIN_API_BASE_URL": {"api.linkedin.com"},
    # Instagram Login, or the same endpoints through the linked Facebook Page.
    "INSTAGRAM_API_BASE_URL": {"graph.instagram.com", "graph.facebook.com"},
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

# --- Customers' avatars (listening/avatars.py) --------------------------------------
# A worker fetches them and pages serve our copy: staff browsers never load a customer's URL.
AVATAR_MAX_BYTES = env_int("AVATAR_MAX_BYTES", 256 * 1024, minimum=1024)
AVATAR_FETCH_TIMEOUT = env_int("AVATAR_FETCH_TIMEOUT", 5, minimum=1)
# Hosts fetched although they resolve to a private or loopback address: the local sandbox.
# Honoured under DEBUG only; production fetches from public addresses alone.
AVATAR_PRIVATE_HOSTS = env_list(
    "AVATAR_PRIVATE_HOSTS", [urlsplit(_sandbox_default).hostname or "127.0.0.1"] if DEBUG else []
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

# --- Audit checkpoints (bankbuzz/audit/checkpoints.py) ------------------------------


def _checkpoint_sink(value: str) -> str:
    from bankbuzz.audit.sinks import SinkError, parse_sink

    try:
        parse_sink(value)
    except SinkError as exc:
        raise ImproperlyConfigured(f"AUDIT_CHECKPOINT_SINK: {exc}") from None
    return value


# Where beat writes the hourly signed checkpoint: a file path (on another volume), `syslog`,
# `syslog://host:514`, or an https:// webhook. Empty: only into the audit log itself.
AUDIT_CHECKPOINT_SINK = _checkpoint_sink(env_str("AUDIT_CHECKPOINT_SINK", ""))
# The HMAC key of the checkpoints; by default derived from SECRET_KEY.
AUDIT_CHECKPOINT_KEY = env_str(
    "AUDIT_CHECKPOINT_KEY",
    hashlib.sha256(b"bankbuzz-audit-checkpoint\n" + SECRET_KEY.encode()).hexdigest(),
)
if len(AUDIT_CHECKPOINT_KEY) < 32:
    raise ImproperlyConfigured("AUDIT_CHECKPOINT_KEY must be at least 32 characters long")
# --- Card numbers customers write: masked at ingest, the original sealed (PCI DSS 3.5) ------------

# Its own keys, not CREDENTIALS_KEYS: a card-data key is rotated on its own schedule and
# may be held by fewer people. Newest first; `manage.py rotate_pan_vault_key` re-seals.
if DEBUG:
    _dev_pan_key = base64.urlsafe_b64encode(hashlib.sha256(b"pan-vault:" + SECRET_KEY.encode()).digest())
    PAN_VAULT_KEYS = env_list("PAN_VAULT_KEYS", [_dev_pan_key.decode()])
else:
    PAN_VAULT_KEYS = env_list("PAN_VAULT_KEYS")
if not PAN_VAULT_KEYS:
    raise ImproperlyConfigured(
        "PAN_VAULT_KEYS must be set: a comma-separated list of Fernet keys, newest first, "
        "that seal customers' original messages holding a card number"
    )
for _position, _key in enumerate(PAN_VAULT_KEYS, start=1):
    try:
        Fernet(_key)
    except ValueError:
        raise ImproperlyConfigured(
            f"PAN_VAULT_KEYS: key {_position} is not a Fernet key (32 url-safe base64-encoded bytes)"
        ) from None
if set(PAN_VAULT_KEYS) & set(CREDENTIALS_KEYS):
    raise ImproperlyConfigured("PAN_VAULT_KEYS must not reuse a key of CREDENTIALS_KEYS")

# --- The bank's own published numbers, which the personal-data guard lets pass ----------------

BANK_COUNTRIES = bank_identity.countries("BANK_COUNTRIES")
BANK_PUBLIC_PHONES = bank_identity.phones("BANK_PUBLIC_PHONES", region=BANK_COUNTRIES[0])
BANK_PUBLIC_IBANS = bank_identity.ibans("BANK_PUBLIC_IBANS")
BANK_PUBLIC_SORT_CODES = bank_identity.sort_code_accounts("BANK_PUBLIC_SORT_CODES")
BANK_PUBLIC_EMAILS = tuple(env_list("BANK_PUBLIC_EMAILS"))
BANK_PUBLIC_CONTACTS = (*BANK_PUBLIC_PHONES, *BANK_PUBLIC_IBANS, *BANK_PUBLIC_SORT_CODES, *BANK_PUBLIC_EMAILS)

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
    # Probes come over plain HTTP from inside the network (the load balancer, compose).
    SECURE_REDIRECT_EXEMPT = [r"^healthz(/|$)"]
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
        # Avatars are served from our origin (listening/avatars.py); nothing else is an image.
        "img-src": ["'self'", "data:"],
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
# One time format everywhere ("05:37", 24-hour) and ISO dates in date inputs: bankbuzz/formats.
FORMAT_MODULE_PATH = ["bankbuzz.formats"]
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
# One JSON object a line in production (for the log collector), readable text under DEBUG.
LOG_FORMAT = env_str("LOG_FORMAT", "text" if DEBUG else "json").lower()
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured(f"LOG_FORMAT={LOG_FORMAT!r} must be json or text")
# Proxies (addresses or networks) whose X-Request-ID is kept; from anyone else it is replaced.
REQUEST_ID_TRUSTED_PROXIES = env_list("REQUEST_ID_TRUSTED_PROXIES", ["127.0.0.1/32", "::1/128"])
for _proxy in REQUEST_ID_TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"REQUEST_ID_TRUSTED_PROXIES: {_proxy!r} is not an address or network"
        ) from None
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "bankbuzz.logcontext.ContextFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s u=%(user_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(levelname)s %(name)s %(message)s %(request_id)s %(user_id)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",  # ISO 8601, UTC
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["context"]}
    },
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

# --- Complaints (complaints/, README "Complaints") ------------------------------------------


def _clock_time(name: str, default: str) -> dt_time:
    value = env_str(name, default)
    try:
        return dt_time.fromisoformat(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a time of day (HH:MM)") from None


# Business days for the complaint clocks: weekdays except the bank holidays (complaints admin),
# in this time zone; a complaint received after close of business counts from the next one.
COMPLAINTS_TIME_ZONE = env_str("COMPLAINTS_TIME_ZONE", "Europe/London")
COMPLAINTS_OPENS = _clock_time("COMPLAINTS_OPENS", "09:00")
COMPLAINTS_CLOSE_OF_BUSINESS = _clock_time("COMPLAINTS_CLOSE_OF_BUSINESS", "17:30")
# The regime (its code) of complaints received through an account without one of its own.
COMPLAINTS_DEFAULT_REGIME = env_str("COMPLAINTS_DEFAULT_REGIME", "uk-disp")
# The wording slots of the letters (templates/complaints/letters/).
COMPLAINTS_FIRM_NAME = env_str("COMPLAINTS_FIRM_NAME", BANK_NAME)
COMPLAINTS_SIGNATURE = env_str("COMPLAINTS_SIGNATURE", f"Customer Care, {BANK_NAME}")
COMPLAINTS_OMBUDSMAN_NAME = env_str("COMPLAINTS_OMBUDSMAN_NAME", "the Financial Ombudsman Service")
COMPLAINTS_OMBUDSMAN_CONTACT = env_str(
    "COMPLAINTS_OMBUDSMAN_CONTACT",
    "Exchange Tower, London E14 9SR; 0800 023 4567; www.financial-ombudsman.org.uk",
)
COMPLAINTS_OMBUDSMAN_TIME_LIMIT = env_str("COMPLAINTS_OMBUDSMAN_TIME_LIMIT", "six months")
COMPLAINTS_US_AGENCY = env_str(
    "COMPLAINTS_US_AGENCY",
    "the Consumer Financial Protection Bureau (www.consumerfinance.gov/complaint, 855-411-2372)",
)

# --- The REST API (bankbuzz/api, README "API") -----------------------------------------------

# Personal tokens first: an unauthenticated call gets 401 with `WWW-Authenticate: Bearer`. A
# session counts only after its second factor, like the pages. Throttled per token (the rates are
# read from the two settings below by bankbuzz.api.throttling, e.g. "600/min").
API_THROTTLE_RATE = env_str("API_THROTTLE_RATE", "600/min")
API_WRITE_THROTTLE_RATE = env_str("API_WRITE_THROTTLE_RATE", "120/min")
# How long an `Idempotency-Key` is answered with its first response (seconds).
API_IDEMPOTENCY_TTL = env_int("API_IDEMPOTENCY_TTL", 24 * 60 * 60, minimum=60)
# The same text by the same person to the same conversation within this many seconds is the
# same reply (a double click, a resubmitted form, a client's retry), not a second one.
REPLY_DUPLICATE_WINDOW = env_int("REPLY_DUPLICATE_WINDOW", 120, minimum=0)

# Incidents (incidents/services/holding.py). A conversation whose customer's message has one of these
# intents is held back from the incident's bulk reply for a person to answer.
INCIDENT_HOLD_INTENTS = env_list("INCIDENT_HOLD_INTENTS", ["fraud"])
# ... and one whose intent the understanding layer could not read with confidence.
INCIDENT_HOLD_UNSURE = env_bool("INCIDENT_HOLD_UNSURE", True)
# The bulk reply's pace per network: at most N replies per window (seconds), under each network's
# write limits with room left for the replies agents write by hand (X allows 200 posts per 15 min).
INCIDENT_REPLY_PACE = {
    "x": (env_int("INCIDENT_REPLY_PACE_X", 150, minimum=1), 900),
    "facebook": (env_int("INCIDENT_REPLY_PACE_FACEBOOK", 200, minimum=1), 3600),
    "instagram": (env_int("INCIDENT_REPLY_PACE_INSTAGRAM", 150, minimum=1), 3600),
    "linkedin": (env_int("INCIDENT_REPLY_PACE_LINKEDIN", 100, minimum=1), 86400),
}
# /metrics: the bearer token Prometheus sends. Unset: /metrics does not exist (404), except
# under DEBUG, where it is open so a developer can look at it on their own machine.
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
# The Celery queues whose length /metrics reports (every task goes to CELERY_QUEUE).
METRICS_QUEUES = [CELERY_TASK_DEFAULT_QUEUE]
# A JSON body over this many bytes is a 413; nesting deeper than this a 400 (bankbuzz/api/parsers.py).
API_MAX_BODY_BYTES = env_int("API_MAX_BODY_BYTES", 64 * 1024, minimum=1024)
API_MAX_JSON_DEPTH = env_int("API_MAX_JSON_DEPTH", 20, minimum=2)
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
    "DEFAULT_PARSER_CLASSES": ["bankbuzz.api.parsers.BoundedJSONParser"],
    "EXCEPTION_HANDLER": "bankbuzz.api.parsers.exception_handler",
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
        "ReplyChannelEnum": "inbox.api.REPLY_CHANNELS",
        "MentionKindEnum": "listening.api.MENTION_KINDS",
        "EscalationEventKindEnum": "escalations.api.EVENT_KINDS",
        "EscalationStateEnum": "escalations.api.ESCALATION_STATES",
        "ComplaintStatusEnum": "complaints.api.COMPLAINT_STATUSES",
        "IncidentStateEnum": "incidents.api.INCIDENT_STATES",
        "ComplaintOutcomeEnum": "complaints.api.COMPLAINT_OUTCOMES",
        "LetterKindEnum": "complaints.api.LETTER_KINDS",
        "LetterChannelEnum": "complaints.api.LETTER_CHANNELS",
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
