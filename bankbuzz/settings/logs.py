"""Logging to stdout, never a secret; and the inbox's page size."""

from __future__ import annotations

import ipaddress

from django.core.exceptions import ImproperlyConfigured

from bankbuzz.env import env_int, env_list, env_str
from bankbuzz.settings.base import DEBUG

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
