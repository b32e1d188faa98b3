"""Security headers, sessions, two-factor, login throttling, the content security policy,
languages and static files."""

from __future__ import annotations

from pathlib import Path

from bankbuzz.env import env_bool, env_int, env_str
from bankbuzz.settings.base import BANK_NAME, BASE_DIR, DEBUG

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
