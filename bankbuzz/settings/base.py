"""BankBuzz settings, the core: the environment, apps, database, Redis and Celery.

Every value comes from an environment variable (or its `*_FILE` variant) read
through the typed helpers in `bankbuzz.env`, which name the variable in their
error. Secrets have no default outside DEBUG. See the README, "Configuration".
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from bankbuzz.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
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
    "django.forms",  # the widgets' own templates, for FORM_RENDERER below
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
# The development tools (devtools/: `manage.py demo_seed`, the sandbox's token on the accounts
# page): under DEBUG, or where BANKBUZZ_DEVTOOLS=1 asks for them; production never installs them.
BANKBUZZ_DEVTOOLS = env_bool("BANKBUZZ_DEVTOOLS", DEBUG)
if BANKBUZZ_DEVTOOLS:
    INSTALLED_APPS.append("devtools")

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

# Forms rendered by Django look up their templates as pages do, so templates/django/forms/field.html
# (labels without a colon, a checkbox before its label) applies to every `form.as_div`.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

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
    {
        # The hot partials (rows, thread, queue, dashboard tables): see bankbuzz/jinja.py.
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates" / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {"environment": "bankbuzz.jinja.environment", "autoescape": True},
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
