"""Polling an account: take its lease, fetch, store the page through the one ingest path.

A poll holds a short lease on the account, renewed while it runs (`listening.lease`) and given
back however it ends; rate limits, expired tokens and failing networks are written on the
account (its health) for the people who can act on them.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import InterfaceError, OperationalError, transaction
from django.db.models import Q
from django.utils import timezone

from bankbuzz.audit.services import audit_record
from listening import lease
from listening.connectors import base
from listening.crypto import CredentialsUnreadable
from listening.models import SocialAccount
from listening.services.accounts import account_schedule_sync
from listening.services.ingest import mentions_ingest

logger = logging.getLogger(__name__)


class TransientPollError(Exception):
    """The poll failed in a way a retry may fix (5xx, timeout, dead connection)."""


class PollDatabaseError(TransientPollError):
    """The database went away mid-poll, perhaps before the lease could be given back.

    `lease_until` is the lease this poll took: its retry passes it to `account_poll`
    (`held_lease`) to take the account again, instead of being shut out for minutes
    by its own lease (found by the PostgreSQL-restart drill).
    """

    def __init__(self, message: str, *, lease_until: dt.datetime):
        super().__init__(message)
        self.lease_until = lease_until


@dataclass
class PollOutcome:
    status: str  # "ok", "skipped", "rate_limited", "needs_reauth", "failing"
    new_mentions: int = 0
    quarantined: int = 0
    detail: str = ""


# --- Polling ---------------------------------------------------------------------


def _claim(account_id: int, lease_seconds: int, held_lease: dt.datetime | None) -> SocialAccount | None:
    """Take the poll lease of an account, or None if it may not be polled now.

    `held_lease`: the lease a failed poll of this same task could not give back;
    it is still ours, and only ours, while the account holds exactly that value.
    """
    now = timezone.now()
    free = Q(poll_lease_until__isnull=True) | Q(poll_lease_until__lt=now)
    if held_lease is not None:
        free |= Q(poll_lease_until=held_lease)
    claimed = (
        SocialAccount.objects.filter(pk=account_id, is_active=True)
        .exclude(health=SocialAccount.Health.NEEDS_REAUTH)
        .filter(free)
        # No request is wasted before a rate limit resets.
        .filter(Q(rate_limited_until__isnull=True) | Q(rate_limited_until__lte=now))
        .update(poll_lease_until=now + dt.timedelta(seconds=lease_seconds), last_poll_at=now)
    )
    if not claimed:
        return None
    return SocialAccount.objects.get(pk=account_id)


def _skip_reason(account_id: int) -> str:
    account = SocialAccount.objects.filter(pk=account_id).first()
    now = timezone.now()
    if account is None:
        return "no such account"
    if not account.is_active:
        return "the account is paused"
    if account.health == SocialAccount.Health.NEEDS_REAUTH:
        return "the account needs re-authorisation"
    if account.rate_limited_until and account.rate_limited_until > now:
        return f"rate limited until {account.rate_limited_until:%H:%M:%S} UTC"
    if account.poll_lease_until and account.poll_lease_until >= now:
        return f"another poll holds the lease until {account.poll_lease_until:%H:%M:%S} UTC"
    return "the lease was just taken"


def account_poll(
    *, account_id: int, lease_seconds: int | None = None, held_lease: dt.datetime | None = None
) -> PollOutcome:
    """Fetch everything new for one account and store it. Safe to run twice.

    The lease is short and renewed while the poll runs (`listening.lease`), and given back
    however the poll ends, so a dead or stopped worker holds an account for seconds, not minutes.
    """
    seconds = lease_seconds or lease.lease_seconds()
    account = _claim(account_id, seconds, held_lease)
    if account is None:
        reason = _skip_reason(account_id)
        logger.info("poll of account %s skipped: %s", account_id, reason)
        return PollOutcome(status="skipped", detail=reason)
    keeper = lease.LeaseKeeper(account_id, account.poll_lease_until, seconds=seconds).start()
    try:
        return _poll_claimed(account, keeper)
    except (OperationalError, InterfaceError) as exc:
        raise PollDatabaseError(str(exc).strip(), lease_until=keeper.stop()) from exc
    finally:
        keeper.stop()


def _poll_claimed(account: SocialAccount, keeper: lease.LeaseKeeper) -> PollOutcome:
    account_id = account.pk

    def release(**fields) -> None:
        lease.release(account_id, keeper.stop(), **fields)

    now = timezone.now()
    try:
        connector = base.connector_for(account.as_account_info())
        result = connector.fetch(dict(account.cursors))
    except base.RateLimited as exc:
        release(
            health=SocialAccount.Health.RATE_LIMITED,
            rate_limited_until=exc.reset_at,
            rate_limit_remaining=0,
            last_error=f"Rate limited until {exc.reset_at:%H:%M} UTC",
            last_error_at=now,
        )
        return PollOutcome(status="rate_limited", detail=str(exc.reset_at))
    except (base.AuthFailed, CredentialsUnreadable) as exc:
        keeper.stop()
        _account_needs_reauth(account_id, reason=str(exc) or "authentication failed", now=now)
        return PollOutcome(status="needs_reauth", detail=str(exc))
    except base.ConnectorError as exc:
        release(health=SocialAccount.Health.FAILING, last_error=exc.message, last_error_at=now)
        if exc.permanent:
            return PollOutcome(status="failing", detail=exc.message)
        raise TransientPollError(exc.message) from exc
    except BaseException:
        # Also a soft time limit or a worker's warm shutdown cut short: free the account now.
        release()
        raise

    try:
        new_ids = mentions_ingest(account=account, result=result)
    finally:
        release()
    return PollOutcome(status="ok", new_mentions=len(new_ids), quarantined=len(result.quarantined))


@transaction.atomic
def _account_needs_reauth(account_id: int, *, reason: str, now) -> None:
    """Stop polling, say why on the account, and tell the people who can fix it, once."""
    account = SocialAccount.objects.select_for_update().get(pk=account_id)
    first_time = account.health != SocialAccount.Health.NEEDS_REAUTH
    account.health = SocialAccount.Health.NEEDS_REAUTH
    account.last_error = reason
    account.last_error_at = now
    account.poll_lease_until = None
    account.save(update_fields=["health", "last_error", "last_error_at", "poll_lease_until"])
    account_schedule_sync(account=account)
    logger.warning("account %s needs re-authorisation: %s", account_id, reason)
    if first_time:
        from django.contrib.auth import get_user_model
        from django.urls import reverse

        from bankbuzz.accounts import roles
        from bankbuzz.accounts.notifications import notify

        audit_record(actor=None, verb="social_account.needs_reauth", obj=account, after={"reason": reason})
        people = get_user_model().objects.filter(groups__name__in=[roles.LEAD, roles.ADMIN], is_active=True)
        notify(
            recipients=people.distinct(),
            verb="account.needs_reauth",
            text=f"{account} needs re-authorisation: polling has stopped ({reason[:120]})",
            url=reverse("listening:account", args=[account.pk]),
        )
