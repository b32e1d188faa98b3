"""How the API knows who calls: a personal token (Bearer), or the browser's session.

A token is made on the profile page by someone who passed both factors there, so requests with
a token do not ask for the second factor again. A session counts only once it has passed the
second factor, exactly as for the pages (SecondFactorMiddleware sends a half-logged-in session
to the code page before it reaches a view; this class refuses it too, whatever the middleware
order).
"""

from __future__ import annotations

from rest_framework import authentication, exceptions

from bankbuzz.api.tokens import api_token_authenticate
from bankbuzz.logcontext import bind_user


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keywords = ("bearer", "token")

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower().decode(errors="replace") not in self.keywords:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send the header as `Authorization: Bearer <token>`.")
        try:
            raw = header[1].decode()
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("That token is not valid.") from None
        token = api_token_authenticate(raw)
        if token is None:
            raise exceptions.AuthenticationFailed("That token is not valid, has expired or was revoked.")
        bind_user(token.user)
        return token.user, token

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


class VerifiedSessionAuthentication(authentication.SessionAuthentication):
    """The browser's session, once it has passed the second factor (CSRF enforced, as DRF does)."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user = result[0]
        is_verified = getattr(user, "is_verified", None)
        if callable(is_verified) and not is_verified():
            return None
        return result
