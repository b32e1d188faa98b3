"""Every write of the listening part: polling, ingest, account health.

The rule that keeps us from losing or doubling a message: a page of items, the
quarantined leftovers of that page and the cursor that covers them are written
in ONE transaction. A crash before the commit re-reads the same page next time;
the unique constraint on (network, external_id) absorbs the overlap.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from psycopg2.extras import Json, execute_values

from bankbuzz.audit.services import audit_record
from listening import enrichment_bridge, lease, pan_vault, threads
from listening.connectors import base
from listening.crypto import CredentialsUnreadable
from listening.models import Author, Mention, MentionOriginal, QuarantinedItem, SocialAccount
from listening.signals import mentions_received

logger = logging.getLogger(__name__)

POLL_TASK_NAME = "listening.poll_account"


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


@transaction.atomic
def mentions_ingest(*, account: SocialAccount, result: base.FetchResult) -> list[int]:
    """Store a fetched page, its quarantine and its cursors in one transaction.

    Returns the ids of the mentions that were new.
    """
    storable: list[base.FetchedItem] = []
    quarantined = list(result.quarantined)
    for item in result.items:
        problem = _unstorable(item)
        if problem is None:
            storable.append(item)
        else:
            # One odd item must not fail the page (and with it every poll after).
            quarantined.append(
                base.Quarantined(
                    stream=item.kind,
                    reason=problem,
                    raw=item.raw,
                    external_id=item.external_id[:128],
                    context={"thread_key": item.thread_key[:160]},
                )
            )
    new_ids = _store_items(account=account, items=storable)
    _record_query_matches(new_ids)
    if quarantined:
        QuarantinedItem.objects.bulk_create(
            QuarantinedItem(
                account=account,
                stream=q.stream[:64],
                external_id=q.external_id[:128],
                reason=pan_vault.mask_cards(q.reason),
                raw=pan_vault.mask_payload(_jsonable(q.raw)),
                context=pan_vault.mask_payload(_jsonable(q.context)),
            )
            for q in quarantined
        )
    cursors = {**account.cursors, **result.cursors}
    now = timezone.now()
    update = {
        "cursors": cursors,
        "health": SocialAccount.Health.OK,
        "rate_limited_until": None,
        "last_success_at": now,
    }
    if result.rate is not None and result.rate.remaining is not None:
        update["rate_limit_remaining"] = result.rate.remaining
        if result.rate.remaining == 0 and result.rate.reset_at and result.rate.reset_at > now:
            # A later stream hit the limit after the first was read: keep what was read,
            # and wait for the reset before the next poll.
            update["health"] = SocialAccount.Health.RATE_LIMITED
            update["rate_limited_until"] = result.rate.reset_at
            update["last_error"] = f"Rate limited until {result.rate.reset_at:%H:%M} UTC"
            update["last_error_at"] = now
    SocialAccount.objects.filter(pk=account.pk).update(**update)
    if new_ids:
        transaction.on_commit(lambda: mentions_received.send(sender=None, mention_ids=new_ids))
    return new_ids


def _record_query_matches(mention_ids: list[int]) -> None:
    """Evaluate the listening queries on new mentions, in the transaction that stores them."""
    if mention_ids:
        from listening.query_services import query_matches_record

        query_matches_record(mention_ids=mention_ids)


_KINDS = frozenset(Mention.Kind.values)
_DIRECTIONS = frozenset(Mention.Direction.values)


def _unstorable(item: base.FetchedItem) -> str | None:
    """Why `item` cannot be stored as it is, or None. Connectors validate; this is the last guard."""
    if not item.external_id or len(item.external_id) > 128:
        return "its id is empty or longer than 128 characters"
    if not item.author.external_id or len(item.author.external_id) > 64:
        return "its author's id is empty or longer than 64 characters"
    if len(item.in_reply_to) > 128:
        return "the id it replies to is longer than 128 characters"
    if item.replaces and len(item.replaces) > 128:
        return "the id it replaces is longer than 128 characters"
    if not item.thread_key:
        return "it has no thread"
    ids = (item.external_id, item.author.external_id, item.in_reply_to, item.replaces, item.thread_key)
    if any("\x00" in value for value in ids):
        return "an id holds a NUL character"
    if item.kind not in _KINDS or item.direction not in _DIRECTIONS:
        return f"unknown kind {item.kind!r} or direction {item.direction!r}"
    if item.created_at.tzinfo is None:
        return "its time has no time zone"
    return None


def _jsonable(raw):
    """Something PostgreSQL's jsonb accepts: JSON types, and no NUL characters."""
    if isinstance(raw, str):
        return raw.replace("\x00", "")
    if isinstance(raw, dict):
        return {_jsonable(str(key)): _jsonable(value) for key, value in raw.items()}
    if isinstance(raw, (list, tuple)):
        return [_jsonable(value) for value in raw]
    if isinstance(raw, (int, float, bool)) or raw is None:
        return raw
    return _jsonable(repr(raw))


_SURROGATES = re.compile("[\ud800-\udfff]")


def _json_text(raw) -> str:
    """`raw` as JSON text for a jsonb column: what `Json(_jsonable(raw))` sends.

    One `json.dumps` for the usual payload, which is JSON already (connectors clean it);
    the walk of `_jsonable` only where that finds a NUL or something that is not JSON.
    """
    try:
        text = json.dumps(raw, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        pass
    else:
        if "\\u0000" not in text and not _SURROGATES.search(text):
            return text
    return json.dumps(_jsonable(raw))


def _clean(text: str) -> str:
    # PostgreSQL text cannot hold NUL; a post carrying one must not block its page.
    return text.replace("\x00", "")


def _upsert_authors(network: str, authors: list[base.FetchedAuthor]) -> dict[str, int]:
    unique = {a.external_id: a for a in authors}
    if not unique:
        return {}
    now = timezone.now()
    rows = [
        (
            network,
            a.external_id,
            _clean(a.handle)[:100],
            _clean(a.name)[:200],
            _http_url(a.avatar_url),
            _http_url(a.profile_url),
            a.followers,
            a.verified,
            now,
            now,
        )
        for a in unique.values()
    ]
    # Django's wrapper turns psycopg2's errors into django.db's, as the ORM would.
    with connection.cursor() as cursor, connection.wrap_database_errors:
        # Latest profile wins: names, avatars and follower counts change.
        result = execute_values(
            cursor.cursor,
            f"""
            INSERT INTO {Author._meta.db_table}
                (network, external_id, handle, name, avatar_url, profile_url, followers, verified,
                 first_seen_at, updated_at)
            VALUES %s
            ON CONFLICT (network, external_id) DO UPDATE SET
                handle = EXCLUDED.handle, name = EXCLUDED.name, avatar_url = EXCLUDED.avatar_url,
                profile_url = EXCLUDED.profile_url, followers = EXCLUDED.followers,
                verified = EXCLUDED.verified, updated_at = EXCLUDED.updated_at
            RETURNING external_id, id
            """,  # noqa: S608 - table name from the model, values bound
            rows,
            fetch=True,
        )
    return dict(result)


def _http_url(url: str) -> str:
    """Only http(s) URLs are kept: `javascript:` and `data:` never reach a template."""
    url = (url or "").strip()
    if "\x00" in url:
        return ""
    return url[:500] if url.lower().startswith(("https://", "http://")) else ""


def _answered_keys(network: str, external_ids: list[str]) -> dict[str, str]:
    """The conversation keys of the stored messages the bank's new posts answer."""
    if not external_ids:
        return {}
    return dict(
        Mention.objects.filter(network=network, external_id__in=external_ids).values_list(
            "external_id", "thread_key"
        )
    )


def _apply_edits(network: str, edits: list[base.FetchedItem]) -> list[base.FetchedItem]:
    """Apply edited posts to their originals; return the edits whose original we never stored."""
    originals = {
        m.external_id: m
        for m in Mention.objects.select_for_update().filter(
            network=network, external_id__in=[item.replaces for item in edits]
        )
    }
    unmatched = []
    for item in edits:
        original = originals.get(item.replaces)
        if original is None:
            unmatched.append(item)
            continue
        item, clear = pan_vault.mask_item(item)
        if original.text != item.text and item.text not in original.edit_history:
            original.edit_history = [*original.edit_history, original.text]
            original.text = item.text
            original.raw = {**original.raw, "latest_edit": item.raw}
            original.save(update_fields=["text", "edit_history", "raw"])
            # The sealed original is the current text's: an edit replaces it, or ends it.
            MentionOriginal.objects.filter(mention=original).delete()
            if clear is not None:
                _seal_originals({original.pk: clear})
    return unmatched


def _mask_cards(items: list[base.FetchedItem]) -> tuple[list[base.FetchedItem], dict[str, str]]:
    """The items as they may be stored, and the clear text of those that held a card, by id."""
    masked: list[base.FetchedItem] = []
    originals: dict[str, str] = {}
    for item in items:
        safe, clear = pan_vault.mask_item(item)
        masked.append(safe)
        if clear is not None:
            originals[item.external_id] = clear
    return masked, originals


def _seal_originals(originals: dict[int, str]) -> None:
    """Seal the clear originals of these mentions (by id); one already sealed is left as it is."""
    if originals:
        MentionOriginal.objects.bulk_create(
            [MentionOriginal(mention_id=pk, sealed=pan_vault.seal(text)) for pk, text in originals.items()],
            ignore_conflicts=True,
        )


def _store_items(
    *,
    account: SocialAccount,
    items: list[base.FetchedItem],
    for_inbox: Callable[[base.FetchedItem, enrichment_bridge.StoredEnrichment], bool] | None = None,
) -> list[int]:
    """Insert new items; returns the ids of rows that are new, or newly meant for the inbox.

    `for_inbox` decides per item whether the inbox should see it (listening
    queries keep noise out); by default everything is for the inbox. When an
    item a query kept out of the inbox is later read from an account's own
    stream (it @-mentions the bank), it is promoted: for_inbox becomes true and
    its id is returned as new, so the inbox gets it.
    """
    if not items:
        return []
    network = account.network
    edits = [item for item in items if item.replaces]
    plain = [item for item in items if not item.replaces]
    plain.extend(_apply_edits(network, edits) if edits else [])
    if not plain:
        return []
    # The same id twice in one page (networks do that on page edges) is stored once.
    plain = list({item.external_id: item for item in plain}.values())
    author_ids = _upsert_authors(network, [pan_vault.mask_author(item.author) for item in plain])
    # Clean before enriching: personal-data spans must refer to the text as stored.
    plain = [
        dataclasses.replace(item, text=_clean(item.text)) if "\x00" in item.text else item for item in plain
    ]
    # Enrichment reads the clear text (it must see the card to flag it); the mask keeps the
    # text's length, so its spans hold for the masked text that is stored.
    enriched = enrichment_bridge.enrich_items(plain)
    plain, originals = _mask_cards(plain)
    keys = threads.conversation_keys(plain, _answered_keys(network, threads.answered_ids(plain)))
    now = timezone.now()
    rows = []
    for item, extra, key in zip(plain, enriched, keys, strict=True):
        rows.append(
            (
                network,
                item.external_id,
                account.pk,
                author_ids[item.author.external_id],
                item.kind,
                item.direction,
                item.text,
                _http_url(item.url),
                key,
                item.thread_key[:160],
                item.in_reply_to,
                item.created_at,
                now,
                _json_text(item.raw),
                Json([]),
                _clean(extra.lang or item.lang)[:8],
                extra.sentiment_score,
                extra.sentiment_label,
                Json(extra.pii_findings),
                extra.has_pii,
                extra.priority_hint,
                extra.intent,
                extra.is_spam,
                extra.sentiment_confidence,
                extra.intent_confidence,
                extra.lang_confidence,
                extra.needs_reply,
                extra.needs_reply_confidence,
                True if for_inbox is None else bool(for_inbox(item, extra)),
            )
        )
    # Django's wrapper turns psycopg2's errors into django.db's, as the ORM would.
    with connection.cursor() as cursor, connection.wrap_database_errors:
        inserted = execute_values(
            cursor.cursor,
            f"""
            INSERT INTO {Mention._meta.db_table}
                (network, external_id, account_id, author_id, kind, direction, text, url, thread_key,
                 network_thread, in_reply_to, created_at, received_at, raw, edit_history, lang,
                 sentiment_score, sentiment_label, pii_findings, has_pii, priority_hint, intent, is_spam,
                 sentiment_confidence, intent_confidence, lang_confidence, needs_reply,
                 needs_reply_confidence, for_inbox)
            VALUES %s
            ON CONFLICT (network, external_id) DO UPDATE SET for_inbox = TRUE
                WHERE {Mention._meta.db_table}.for_inbox = FALSE AND EXCLUDED.for_inbox = TRUE
            RETURNING id, external_id
            """,  # noqa: S608 - table name from the model, values bound
            rows,
            fetch=True,
        )
        _seal_originals(
            {pk: originals[external_id] for pk, external_id in inserted if external_id in originals}
        )
        # A post a listening query's search stored first, now read from the account's own stream
        # (it @-mentions the bank, or is a comment or message): it takes the stream's kind, so
        # the account's volume (spike alerts, dashboards) counts it.
        own = [(network, item.external_id, item.kind) for item in plain if item.kind != base.KIND_SEARCH]
        if own:
            execute_values(
                cursor.cursor,
                f"""
                UPDATE {Mention._meta.db_table} AS m SET kind = v.kind
                FROM (VALUES %s) AS v (network, external_id, kind)
                WHERE m.network = v.network AND m.external_id = v.external_id AND m.kind = 'search'
                """,  # noqa: S608 - table name from the model, values bound
                own,
            )
    return sorted(row[0] for row in inserted)


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


# --- Quarantine ------------------------------------------------------------------------


@dataclass
class ReprocessOutcome:
    # "stored", "already_stored", "nothing_to_store", "unreadable", "network_error", "already_done"
    status: str
    detail: str
    mention_ids: list[int] = dataclasses.field(default_factory=list)


def quarantined_item_reprocess(*, actor, item: QuarantinedItem) -> ReprocessOutcome:
    """Try a quarantined item again: the network's current copy first, else the stored raw payload.

    A readable item is stored like any polled one (the unique constraint makes a
    copy that a later poll already stored harmless) and leaves the quarantine.
    Cursors do not move: they never skipped this item, since it was quarantined
    in the transaction that moved them. Network trouble leaves the item as it was.
    """
    account = item.account
    try:
        connector = base.connector_for(account.as_account_info())
        fetched, source = connector.reprocess(
            stream=item.stream, external_id=item.external_id, raw=item.raw, context=dict(item.context)
        )
    except base.ItemUnreadable as exc:
        return _reprocess_record(actor=actor, item=item, status="unreadable", detail=exc.message)
    except CredentialsUnreadable as exc:
        return _reprocess_record(actor=actor, item=item, status="network_error", detail=str(exc))
    except base.RateLimited as exc:
        detail = f"{account.get_network_display()} is rate limiting us until {exc.reset_at:%H:%M} UTC"
        return _reprocess_record(actor=actor, item=item, status="network_error", detail=detail)
    except base.ConnectorError as exc:
        return _reprocess_record(actor=actor, item=item, status="network_error", detail=exc.message)
    if fetched is not None and (problem := _unstorable(fetched)) is not None:
        return _reprocess_record(actor=actor, item=item, status="unreadable", detail=problem)
    if fetched is None:
        return _reprocess_record(
            actor=actor, item=item, status="nothing_to_store", detail=f"read from the {source}: not a message"
        )
    return _reprocess_record(
        actor=actor, item=item, status="stored", detail=f"from the {source}", fetched=fetched
    )


@transaction.atomic
def _reprocess_record(
    *, actor, item: QuarantinedItem, status: str, detail: str, fetched: base.FetchedItem | None = None
) -> ReprocessOutcome:
    # Two admins clicking at once: the second sees the first one's result.
    locked = QuarantinedItem.objects.select_for_update().select_related("account").get(pk=item.pk)
    if locked.reprocessed_at is not None:
        return ReprocessOutcome(status="already_done", detail=locked.outcome)
    new_ids: list[int] = []
    if fetched is not None:
        new_ids = _store_items(account=locked.account, items=[fetched])
        if not new_ids:
            status = "already_stored"
            detail = f"{detail}; it was already stored"
        elif fetched.replaces:
            new_ids = []  # an edit applied to its original: nothing new for the inbox
        _record_query_matches(new_ids)
    before = {"reprocess_attempts": locked.reprocess_attempts, "outcome": locked.outcome}
    locked.reprocess_attempts += 1
    words = {
        "stored": "Stored",
        "already_stored": "Stored",
        "nothing_to_store": "Nothing to store",
        "unreadable": "Still unreadable",
        "network_error": "Could not reach the network, try again later",
    }
    locked.outcome = f"{words[status]}: {detail}"[:2000]
    if status in ("stored", "already_stored", "nothing_to_store"):
        locked.reprocessed_at = timezone.now()
    locked.save(update_fields=["reprocess_attempts", "outcome", "reprocessed_at"])
    audit_record(
        actor=actor,
        verb="quarantined_item.reprocess",
        obj=locked,
        before=before,
        after={
            "status": status,
            "outcome": locked.outcome,
            "reprocess_attempts": locked.reprocess_attempts,
            "external_id": locked.external_id,
        },
    )
    if new_ids:
        transaction.on_commit(lambda: mentions_received.send(sender=None, mention_ids=new_ids))
    item.refresh_from_db()
    return ReprocessOutcome(status=status, detail=locked.outcome, mention_ids=new_ids)


# --- The sandbox (DEBUG only) ---------------------------------------------------------------

SANDBOX_SCENARIOS = {
    "rate_limit_storm": "Rate-limit storm",
    "expired_token": "Expired token",
    "server_errors": "5xx errors",
    "hanging": "Hanging responses",
    "malformed": "Malformed payloads",
    "outage": "Outage burst",
    "large_pages": "Large backlog",
    "hostile": "Hostile text",
}


class SandboxUnavailable(Exception):
    pass


def _sandbox_call(method: str, path: str, **kwargs):
    import requests
    from django.conf import settings

    if not settings.DEBUG or not settings.SANDBOX_URL:
        raise SandboxUnavailable("the sandbox exists only in development (DEBUG)")
    try:
        response = requests.request(method, f"{settings.SANDBOX_URL}/_sandbox{path}", timeout=3, **kwargs)
        response.raise_for_status()
        return response.json()
    except (requests.RequestException, ValueError) as exc:
        raise SandboxUnavailable(
            f"the sandbox at {settings.SANDBOX_URL} did not answer ({exc.__class__.__name__})"
        ) from exc


def sandbox_scenarios_active() -> dict[str, list[str]]:
    """Active scenario names per network ("all" for those without one)."""
    active: dict[str, list[str]] = {}
    for scenario in _sandbox_call("GET", "/scenario").get("active", []):
        active.setdefault(scenario.get("network") or "all", []).append(scenario.get("name", ""))
    return active


def sandbox_scenario_set(*, actor, network: str, name: str, on: bool) -> None:
    """Switch one sandbox scenario on or off for one network; "steady" clears them all."""
    if network not in ("x", "facebook", "linkedin", "instagram") or (
        name != "steady" and name not in SANDBOX_SCENARIOS
    ):
        raise ValueError("unknown network or scenario")
    if name == "steady":
        _sandbox_call("DELETE", "/scenario", params={"network": network})
    elif on:
        _sandbox_call("POST", "/scenario", json={"name": name, "network": network})
    else:
        _sandbox_call("DELETE", "/scenario", params={"network": network, "name": name})
    audit_record(
        actor=actor,
        verb="sandbox.scenario",
        object_type="sandbox",
        object_id=network,
        object_repr=f"sandbox {network}",
        after={"scenario": name, "on": on},
    )


# --- Our own sent messages ------------------------------------------------------------


@transaction.atomic
def mention_record_sent(
    *,
    account: SocialAccount,
    sent: base.SentMessage,
    text: str,
    kind: str,
    thread_key: str,
    in_reply_to: str = "",
    sent_at: dt.datetime | None = None,
) -> tuple[Mention, bool]:
    """Store a message the bank just posted as an outbound mention; (mention, created).

    Idempotent on (network, external_id), like ingest: a poll that read our post first,
    or a second call after a crash, finds the row already there. No `mentions_received`
    signal: the caller (the inbox's outbox) updates its conversation itself, with the
    person who wrote the reply as the actor.
    """
    from listening.enrichment import EnrichmentConfig
    from listening.enrichment.pii import find_pii

    author, _ = Author.objects.get_or_create(
        network=account.network,
        external_id=account.external_id,
        defaults={"handle": account.handle[:100], "name": (account.name or account.handle)[:200]},
    )
    config = EnrichmentConfig.from_settings()
    # A private message may carry what the lighter private policy allows (an IBAN the
    # customer asked about): the thread shows it masked, like theirs.
    text = _clean(text)
    findings = [
        dataclasses.asdict(f)
        for f in find_pii(
            text,
            account_patterns=config.account_patterns,
            allowed=config.public_contacts,
            countries=config.countries,
        )
    ]
    answered = (
        Mention.objects.filter(network=account.network, external_id=in_reply_to)
        .values("network_thread")
        .first()
        if in_reply_to
        else None
    )
    stored = pan_vault.mask_cards(text)
    mention, created = Mention.objects.get_or_create(
        network=account.network,
        external_id=sent.external_id[:128],
        defaults={
            "network_thread": (answered or {}).get("network_thread") or thread_key[:160],
            "account": account,
            "author": author,
            "kind": kind,
            "direction": Mention.Direction.OUT,
            "text": stored,
            "url": _http_url(sent.url),
            "thread_key": thread_key[:160],
            "in_reply_to": in_reply_to[:128],
            "created_at": sent_at or timezone.now(),
            "raw": pan_vault.mask_payload(_jsonable(sent.raw)),
            "pii_findings": findings,
            "has_pii": bool(findings),
        },
    )
    if created and stored != text:
        _seal_originals({mention.pk: text})
    if not created and mention.thread_key != thread_key[:160]:
        # A poll read our post first and kept it in the network's thread: it answers this
        # customer, so it belongs to their conversation.
        Mention.objects.filter(pk=mention.pk).update(thread_key=thread_key[:160])
        mention.thread_key = thread_key[:160]
    return mention, created
