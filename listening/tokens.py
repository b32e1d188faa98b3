"""Account health a lead can act on: when the stored token stops working.

The networks give tokens an end (an Instagram or LinkedIn token lasts 60 days, a Facebook
user token too) but no API says when to the token's holder in every case, so the date is
entered with the token, from the OAuth answer's `expires_in`, and the pages warn
TOKEN_WARN_BEFORE ahead.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from bankbuzz.audit.services import audit_record
from listening.models import SocialAccount

TOKEN_WARN_BEFORE = dt.timedelta(days=14)


@dataclass(frozen=True)
class TokenStatus:
    expires_on: dt.date | None
    warning: str


def token_status(account: SocialAccount, *, today: dt.date | None = None) -> TokenStatus:
    expires = account.token_expires_on
    if expires is None:
        return TokenStatus(None, "")
    today = today or timezone.localdate()
    if expires <= today:
        return TokenStatus(expires, f"the token expired on {expires:%d %b %Y}: enter a new one")
    if expires - today <= TOKEN_WARN_BEFORE:
        days = (expires - today).days
        return TokenStatus(expires, f"the token expires in {days} day{'s' if days != 1 else ''}: renew it")
    return TokenStatus(expires, "")


@transaction.atomic
def account_token_expiry_set(*, actor, account: SocialAccount, expires_on: dt.date | None) -> SocialAccount:
    account = SocialAccount.objects.select_for_update().get(pk=account.pk)
    before = {"token_expires_on": account.token_expires_on.isoformat() if account.token_expires_on else None}
    account.token_expires_on = expires_on
    account.save(update_fields=["token_expires_on"])
    audit_record(
        actor=actor,
        verb="social_account.token_expiry_set",
        obj=account,
        before=before,
        after={"token_expires_on": expires_on.isoformat() if expires_on else None},
    )
    return account
