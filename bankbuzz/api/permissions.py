"""The token's scope. What a user may do with an object is decided by each app's permissions.py."""

from __future__ import annotations

from rest_framework import permissions

from bankbuzz.api.models import ApiToken


class TokenScope(permissions.BasePermission):
    """A read token reads; writing needs a read-and-write token (or the browser's session)."""

    message = "This token may only read: make a read-and-write token on your profile page."

    def has_permission(self, request, view) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        token = request.auth
        if isinstance(token, ApiToken):
            return token.can_write
        return True


class Authenticated(permissions.IsAuthenticated):
    pass
