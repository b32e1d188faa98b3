"""The one ingest path: a fetched page, its quarantine and its cursor, in one transaction.

Both readers of the networks store what they read here: an account's poll of its own streams
(`mentions_ingest`) and a listening query's X search (`query_results_ingest` in
`listening.query.services`). `page_ingest` sorts out what cannot be stored (quarantined, never
lost), stores the rest (`listening.services.storing`), records the listening queries' matches,
writes the quarantine and moves the cursor, with one statement a table whatever the page's
size. Before the commit, `mentions_received` tells the apps above in the same transaction, each
under a savepoint (see `listening.signals`): the inbox attaches the page and its receivers
route, escalate and record webhooks, so a page costs one commit (and its new or changed
customers a short one before it, `storing.authors_store`). A crash before the commit
re-reads the same page next time; the unique constraint on (network, external_id) absorbs the
overlap.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from listening import pan_vault
from listening.connectors import base
from listening.models import ListeningQuery, Mention, QuarantinedItem, QueryMatch, SocialAccount
from listening.query.matching import Candidate, inbox_rule, matches_of, query_matches_record
from listening.services.storing import (
    StoredRow,
    authors_store,
    clean_text,
    item_problem,
    jsonable,
    rows_store,
)
from listening.signals import mentions_received_send


def page_ingest(
    *, account: SocialAccount, result: base.FetchResult, query: ListeningQuery | None = None
) -> list[int]:
    """Store a fetched page, its quarantine and its cursor in one transaction; the new mentions' ids.

    The page's new or changed customers are committed just before, on their own
    (`storing.authors_store`), so that another poll reading the same customers does not wait
    for this whole page.

    `query`: the listening query whose X search read the page. Its inbox policy decides which
    hits the inbox sees, every hit counts as one of its matches, and the cursor moved is the
    query's; without it, the page is the account's own and so is the cursor (with its health).
    """
    storable, quarantined = _sort_out(result)
    author_ids = authors_store(account.network, storable) if storable else {}
    with transaction.atomic():
        rows = rows_store(
            account=account,
            items=storable,
            for_inbox=None if query is None else inbox_rule(query.inbox_policy),
            author_ids=author_ids,
        )
        new_ids = sorted(row.pk for row in rows)
        _matches_record(rows, account=account, storable=storable, query=query)
        _quarantine(account, quarantined)
        _cursor_save(account, result, query)
        if new_ids:
            # In this transaction, under savepoints: a receiver that fails leaves the page stored.
            mentions_received_send(mention_ids=new_ids)
    return new_ids


def mentions_ingest(*, account: SocialAccount, result: base.FetchResult) -> list[int]:
    """Store a page of an account's own streams (see `page_ingest`); the ids of the new mentions."""
    return page_ingest(account=account, result=result)


def _sort_out(result: base.FetchResult) -> tuple[list[base.FetchedItem], list[base.Quarantined]]:
    """The items that can be stored, and what goes to the quarantine (the connector's and ours)."""
    storable: list[base.FetchedItem] = []
    quarantined = list(result.quarantined)
    for item in result.items:
        problem = item_problem(item)
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
    return storable, quarantined


def _matches_record(
    rows: list[StoredRow],
    *,
    account: SocialAccount,
    storable: list[base.FetchedItem],
    query: ListeningQuery | None,
) -> None:
    """The listening queries' matches of the page, in one INSERT.

    New rows are matched as they were written; a row that was there already and that this page
    promoted to the inbox is matched as it is stored. A query's own search hits are its matches,
    whatever local evaluation would say (X chose them).
    """
    fresh = [
        Candidate(row.pk, account.network, row.item.text, row.lang, row.item.created_at)
        for row in rows
        if row.inserted and row.item.direction == Mention.Direction.IN and not row.extra.is_spam
    ]
    matches = matches_of(fresh)
    if query is not None:
        found = Mention.objects.filter(
            network=account.network, external_id__in=[item.external_id for item in storable]
        ).values_list("pk", "created_at", "direction")
        matches.extend(
            QueryMatch(query=query, mention_id=pk, created_at=at)
            for pk, at, direction in found
            if direction == Mention.Direction.IN
        )
    if matches:
        QueryMatch.objects.bulk_create(matches, ignore_conflicts=True, batch_size=len(matches))
    promoted = [row.pk for row in rows if not row.inserted]
    if promoted:
        query_matches_record(mention_ids=promoted)


def _quarantine(account: SocialAccount, quarantined: list[base.Quarantined]) -> None:
    # What a damaged item says of itself may hold a NUL, which PostgreSQL text cannot: it goes.
    if quarantined:
        QuarantinedItem.objects.bulk_create(
            QuarantinedItem(
                account=account,
                stream=clean_text(q.stream)[:64],
                external_id=clean_text(q.external_id)[:128],
                reason=pan_vault.mask_cards(clean_text(q.reason)),
                raw=pan_vault.mask_payload(jsonable(q.raw)),
                context=pan_vault.mask_payload(jsonable(q.context)),
            )
            for q in quarantined
        )


def _cursor_save(account: SocialAccount, result: base.FetchResult, query: ListeningQuery | None) -> None:
    """Move the cursor that covers the page: the query's search cursor, or the account's streams'."""
    now = timezone.now()
    if query is not None:
        ListeningQuery.objects.filter(pk=query.pk).update(
            cursors={**query.cursors, account.network: result.cursors}, last_run_at=now, last_error=""
        )
        return
    update = {
        "cursors": {**account.cursors, **result.cursors},
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
