"""Personal API tokens: made (shown once), looked up by digest, revoked. Every write audited."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from bankbuzz.api.models import ApiToken
from bankbuzz.audit.services import audit_record

TOKEN_PREFIX = "bbz_"
# Lifetimes offered on the profile page; a token never lives longer than a year.
LIFETIMES_DAYS = (7, 30, 90, 365)
MAX_ACTIVE_PER_USER = 20
# last_used_at is written at most this often per token, not on every request.
TOUCH_EVERY = dt.timedelta(minutes=1)


class TokenError(Exception):
    """A refusal with a message for the person who asked."""


def digest_of(raw: str) -> str:
    # A plain SHA-256 is enough: the token has 256 bits of randomness, so there is nothing to
    # brute-force, and the lookup stays one indexed equality.
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, actor, name: str, scope: str, days: int) -> tuple[ApiToken, str]:
    """Make a token for `actor`; returns it with the raw token, which is never stored or shown again."""
    name = " ".join((name or "").split())
    if not name or len(name) > 80:
        raise TokenError("Name the token (up to 80 characters), so you know later what uses it.")
    if scope not in ApiToken.Scope.values:
        raise TokenError("Choose read or read and write.")
    if days not in LIFETIMES_DAYS:
        raise TokenError("Choose how long the token lives.")
    now = timezone.now()
    active = ApiToken.objects.filter(user=actor, revoked_at__isnull=True, expires_at__gt=now).count()
    if active >= MAX_ACTIVE_PER_USER:
        raise TokenError(f"You have {active} tokens already: revoke one you no longer use first.")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=actor,
        name=name,
        prefix=raw[: len(TOKEN_PREFIX) + 6],
        digest=digest_of(raw),
        scope=scope,
        created_at=now,
        expires_at=now + dt.timedelta(days=days),
    )
    audit_record(
        actor=actor,
        verb="api_token.create",
        obj=token,
        after={"name": name, "scope": scope, "expires_at": token.expires_at, "prefix": token.prefix},
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, actor, token: ApiToken) -> ApiToken:
    if token.user_id != actor.pk:
        raise TokenError("That is not your token.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(actor=actor, verb="api_token.revoke", obj=token, after={"prefix": token.prefix})
    return token


def api_token_authenticate(raw: str) -> ApiToken | None:
    """The usable token with this value (its user loaded), or None."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 100:
        return None
    token = ApiToken.objects.select_related("user").filter(digest=digest_of(raw)).first()
    now = timezone.now()
    if token is None or not token.is_usable(now) or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at > TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def tokens_of(user, *, limit: int = 50) -> list[ApiToken]:
    return list(ApiToken.objects.filter(user=user).order_by("-created_at", "-id")[:limit])


def token_of(user, pk: int) -> ApiToken:
    """The user's own token, or 404 (someone else's token does not exist for them)."""
    from django.http import Http404

    token = ApiToken.objects.filter(user=user, pk=pk).first()
    if token is None:
        raise Http404("No such token")
    return token
