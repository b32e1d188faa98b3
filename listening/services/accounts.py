"""Connected social accounts: their poll schedule, creation, credentials and connection checks."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from bankbuzz.audit.services import audit_record
from listening.connectors import base
from listening.crypto import CredentialsUnreadable
from listening.models import SocialAccount

POLL_TASK_NAME = "listening.poll_account"


# --- Scheduling ------------------------------------------------------------------


def account_schedule_sync(*, account: SocialAccount) -> PeriodicTask:
    """Create or update the beat entry that polls `account` on its own interval."""
    schedule, _ = IntervalSchedule.objects.get_or_create(
        every=account.poll_interval, period=IntervalSchedule.SECONDS
    )
    task, _ = PeriodicTask.objects.update_or_create(
        name=f"Poll {account.network} account {account.pk}",
        defaults={
            "task": POLL_TASK_NAME,
            "interval": schedule,
            "args": f"[{account.pk}]",
            "enabled": account.is_active and account.health != SocialAccount.Health.NEEDS_REAUTH,
            # A poll queued behind a dead worker is pointless once the next one is due.
            "expires": None,
            "expire_seconds": account.poll_interval,
        },
    )
    return task


@transaction.atomic
def social_account_create(
    *,
    actor,
    network: str,
    external_id: str,
    handle: str,
    name: str = "",
    credentials: dict[str, str] | None = None,
    poll_interval: int = 60,
) -> SocialAccount:
    account = SocialAccount(
        network=network, external_id=external_id, handle=handle, name=name, poll_interval=poll_interval
    )
    if credentials:
        account.set_credentials(credentials)
    account.save()
    account_schedule_sync(account=account)
    audit_record(
        actor=actor,
        verb="social_account.create",
        obj=account,
        after={"network": network, "handle": handle, "poll_interval": poll_interval},
    )
    return account


# --- Credentials and connection checks ------------------------------------------------


@transaction.atomic
def account_credentials_set(*, actor, account: SocialAccount, credentials: dict[str, str]) -> SocialAccount:
    """Store new credentials (blank values keep the old ones) and resume polling.

    The audit record names the keys that changed, never their values.
    """
    account = SocialAccount.objects.select_for_update().get(pk=account.pk)
    try:
        current = account.get_credentials()
    except CredentialsUnreadable:
        current = {}
    changed = sorted(key for key, value in credentials.items() if value)
    merged = {**current, **{key: value for key, value in credentials.items() if value}}
    account.set_credentials(merged)
    before = {"health": account.health}
    if account.health == SocialAccount.Health.NEEDS_REAUTH and changed:
        account.health = SocialAccount.Health.OK
        account.last_error = ""
    account.save(update_fields=["credentials_encrypted", "health", "last_error"])
    account_schedule_sync(account=account)
    audit_record(
        actor=actor,
        verb="social_account.credentials_set",
        obj=account,
        before=before,
        after={"health": account.health, "keys_changed": changed},
    )
    return account


@transaction.atomic
def account_retweets_set(*, actor, account: SocialAccount, include_retweets: bool) -> SocialAccount:
    """Switch whether retweets of the bank's mentions are stored (X only; off by default: noise)."""
    account = SocialAccount.objects.select_for_update().get(pk=account.pk)
    if account.network != "x":
        raise ValueError("only X has retweets")
    before = {"include_retweets": account.include_retweets}
    account.include_retweets = include_retweets
    account.save(update_fields=["include_retweets"])
    audit_record(
        actor=actor,
        verb="social_account.retweets_set",
        obj=account,
        before=before,
        after={"include_retweets": include_retweets},
    )
    return account


@dataclass
class ConnectionCheck:
    what: str
    ok: bool
    detail: str


def account_test_connection(*, actor, account: SocialAccount) -> list[ConnectionCheck]:
    """Try the account's credentials against the network without storing anything."""
    checks: list[ConnectionCheck] = []
    try:
        info = account.as_account_info()
    except CredentialsUnreadable as exc:
        return [ConnectionCheck("Credentials", False, f"{exc}: enter them again")]
    if not info.credentials:
        return [ConnectionCheck("Credentials", False, "No credentials stored yet")]
    checks.append(ConnectionCheck("Credentials", True, f"stored: {', '.join(sorted(info.credentials))}"))
    try:
        result = base.connector_for(info).fetch(dict(account.cursors))
    except base.RateLimited as exc:
        checks.append(ConnectionCheck("Reading", False, f"rate limited until {exc.reset_at:%H:%M} UTC"))
    except base.AuthFailed as exc:
        checks.append(ConnectionCheck("Reading", False, f"the network refused the token: {exc.message}"))
    except base.ConnectorError as exc:
        checks.append(ConnectionCheck("Reading", False, exc.message))
    else:
        waiting = len(result.items)
        remaining = result.rate.remaining if result.rate else None
        detail = f"ok, {waiting} new item(s) waiting for the next poll"
        if remaining is not None:
            detail += f"; {remaining} request(s) left in this rate-limit window"
        checks.append(ConnectionCheck("Reading", True, detail))
    audit_record(
        actor=actor,
        verb="social_account.test_connection",
        obj=account,
        after={check.what: check.ok for check in checks},
    )
    return checks
