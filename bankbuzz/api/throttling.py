"""Throttling per token (per user for the browser's session), counted in the Redis cache.

While Redis cannot be reached each process counts on its own (`bankbuzz.degrade.FallbackCache`):
the limit then holds per process; it never lifts.
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from bankbuzz.api.models import ApiToken
from bankbuzz.degrade import FallbackCache


class TokenRateThrottle(SimpleRateThrottle):
    """`API_THROTTLE_RATE` requests per token; writes also count against `write`."""

    scope = "token"
    setting = "API_THROTTLE_RATE"
    cache = FallbackCache("throttle")

    def get_rate(self) -> str:
        # Read when asked, not when the class is imported, so a deployment (or a test) can change it.
        return getattr(settings, self.setting)

    def get_cache_key(self, request, view):
        token = request.auth
        if isinstance(token, ApiToken):
            ident = f"t{token.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"u{request.user.pk}"
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


class TokenWriteRateThrottle(TokenRateThrottle):
    scope = "token_write"
    setting = "API_WRITE_THROTTLE_RATE"

    def allow_request(self, request, view) -> bool:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        return super().allow_request(request, view)
