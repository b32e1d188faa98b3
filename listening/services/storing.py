"""Writing fetched items: the last checks, authors, mentions, edits and sealed card numbers.

Every statement here is one per page, whatever its size: a multi-row `INSERT ... ON CONFLICT`
for the authors and one for the mentions (the unique constraint on (network, external_id)
absorbs what a page re-reads), and edits applied to their originals.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone
from psycopg2.extras import Json, execute_values

from listening import pan_vault, threads
from listening.connectors import base
from listening.enrichment import stored
from listening.models import Author, Mention, MentionOriginal, SocialAccount

_KINDS = frozenset(Mention.Kind.values)
_DIRECTIONS = frozenset(Mention.Direction.values)


def item_problem(item: base.FetchedItem) -> str | None:
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


def jsonable(raw):
    """Something PostgreSQL's jsonb accepts: JSON types, and no NUL characters."""
    if isinstance(raw, str):
        return raw.replace("\x00", "")
    if isinstance(raw, dict):
        return {jsonable(str(key)): jsonable(value) for key, value in raw.items()}
    if isinstance(raw, (list, tuple)):
        return [jsonable(value) for value in raw]
    if isinstance(raw, (int, float, bool)) or raw is None:
        return raw
    return jsonable(repr(raw))


_SURROGATES = re.compile("[\ud800-\udfff]")


def _json_text(raw) -> str:
    """`raw` as JSON text for a jsonb column: what `Json(jsonable(raw))` sends.

    One `json.dumps` for the usual payload, which is JSON already (connectors clean it);
    the walk of `jsonable` only where that finds a NUL or something that is not JSON.
    """
    try:
        text = json.dumps(raw, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        pass
    else:
        if "\\u0000" not in text and not _SURROGATES.search(text):
            return text
    return json.dumps(jsonable(raw))


def clean_text(text: str) -> str:
    # PostgreSQL text cannot hold NUL; a post carrying one must not block its page.
    return text.replace("\x00", "")


def _upsert_authors(
    network: str, authors: list[base.FetchedAuthor], *, alone: bool = False
) -> dict[str, int]:
    """The ids of these authors: new ones inserted, known ones updated where their profile
    changed (names, avatars and follower counts do), the rest only read.

    Only a row written is locked (until its transaction commits, see `authors_store`): two polls
    at once that share customers wait on each other only for a customer new or changed. `alone`:
    called outside a transaction, the writes commit at once without waiting for the disk.
    """
    unique = {a.external_id: a for a in authors}
    if not unique:
        return {}
    now = timezone.now()
    profiles = [
        (
            a.external_id,
            clean_text(a.handle)[:100],
            clean_text(a.name)[:200],
            http_url(a.avatar_url),
            http_url(a.profile_url),
            _followers(a.followers),
            a.verified,
        )
        # In one order for every worker: two pages sharing authors, inserted at once, then lock the
        # same rows in the same order and one waits for the other instead of deadlocking.
        for a in sorted(unique.values(), key=lambda a: a.external_id)
    ]
    # Django's wrapper turns psycopg2's errors into django.db's, as the ORM would.
    with connection.cursor() as cursor, connection.wrap_database_errors:
        known = _known_authors(cursor.cursor, network, profiles)
    ids = {external_id: pk for external_id, pk, _same in known}
    same = {external_id for external_id, _pk, unchanged in known if unchanged}
    rows = [(network, *profile, now, now) for profile in profiles if profile[0] not in same]
    if not rows:
        return ids
    with transaction.atomic(savepoint=False), connection.cursor() as cursor, connection.wrap_database_errors:
        if alone:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
        # Latest profile wins. The SET leaves the key (network, external_id) alone: a row updated
        # is then locked FOR NO KEY UPDATE, which another page's foreign key checks (FOR KEY
        # SHARE, as it commits) neither wait for nor hold up.
        ids.update(
            execute_values(
                cursor.cursor,
                f"""
                INSERT INTO {Author._meta.db_table}
                    (network, external_id, handle, name, avatar_url, profile_url, followers,
                     verified, first_seen_at, updated_at)
                VALUES %s
                ON CONFLICT (network, external_id) DO UPDATE SET
                    handle = EXCLUDED.handle, name = EXCLUDED.name, avatar_url = EXCLUDED.avatar_url,
                    profile_url = EXCLUDED.profile_url, followers = EXCLUDED.followers,
                    verified = EXCLUDED.verified, updated_at = EXCLUDED.updated_at
                RETURNING external_id, id
                """,  # noqa: S608 - table name from the model, values bound
                rows,
                page_size=len(rows),
                fetch=True,
            )
        )
    return ids


def _followers(count) -> int | None:
    """A follower count the column can hold (0 to 2**31 - 1); any other number is unknown.

    A network's damaged or odd number must not fail the page, and every poll after it.
    """
    return count if isinstance(count, int) and 0 <= count <= 2_147_483_647 else None


def _known_authors(cursor, network: str, profiles: list[tuple]) -> list[tuple[str, int, bool]]:
    """(external id, id, profile unchanged) of the authors stored already; nothing is locked.

    An author can go between this reading and the page's mentions only if the retention sweep
    deletes it then, as one nobody refers to: the page then fails on its foreign key and is read
    again at the next poll, which stores the author anew.
    """
    return execute_values(
        cursor,
        f"""
        SELECT a.external_id, a.id,
               (a.handle, a.name, a.avatar_url, a.profile_url, a.followers, a.verified)
               IS NOT DISTINCT FROM (v.handle, v.name, v.avatar_url, v.profile_url, v.followers, v.verified)
        FROM {Author._meta.db_table} AS a
        JOIN (VALUES %s)
          AS v (network, external_id, handle, name, avatar_url, profile_url, followers, verified)
          ON a.network = v.network AND a.external_id = v.external_id
        """,  # noqa: S608 - table name from the model, values bound
        [(network, *profile) for profile in profiles],
        template="(%s::varchar, %s::varchar, %s::varchar, %s::varchar, %s::varchar, %s::varchar, %s::integer,"
        " %s::boolean)",
        page_size=len(profiles),
        fetch=True,
    )


def http_url(url: str) -> str:
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
                seal_originals({original.pk: clear})
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


def seal_originals(originals: dict[int, str]) -> None:
    """Seal the clear originals of these mentions (by id); one already sealed is left as it is."""
    if originals:
        MentionOriginal.objects.bulk_create(
            [MentionOriginal(mention_id=pk, sealed=pan_vault.seal(text)) for pk, text in originals.items()],
            ignore_conflicts=True,
        )


def items_store(
    *,
    account: SocialAccount,
    items: list[base.FetchedItem],
    for_inbox: Callable[[base.FetchedItem, stored.StoredEnrichment], bool] | None = None,
) -> list[int]:
    """Insert new items; returns the ids of rows that are new, or newly meant for the inbox."""
    return sorted(row.pk for row in rows_store(account=account, items=items, for_inbox=for_inbox))


@dataclass(frozen=True)
class StoredRow:
    """A mention a page stored (or promoted to the inbox), as it was written."""

    pk: int
    item: base.FetchedItem  # as stored: cleaned, card numbers masked
    extra: stored.StoredEnrichment
    lang: str
    inserted: bool  # False: the row was there already, and this page promoted it to the inbox


def authors_store(network: str, items: list[base.FetchedItem]) -> dict[str, int]:
    """The ids of the items' authors (`_upsert_authors`), new or changed ones committed at once.

    A row written stays locked until its transaction commits. Written in the page's transaction,
    a new customer would hold up every other poll reading the same customer for the whole page
    (the mentions and a listening query's search read the same posts; the bank's main and help
    accounts hear from the same people). Committed on their own they are locked for a moment.
    That commit does not wait for its flush to disk (`synchronous_commit` off): the page's own
    commit, a moment later, flushes it too. If the page fails, the customers stay, as they would
    once its next reading stored them. Inside a caller's transaction they are part of it.
    """
    authors = [pan_vault.mask_author(item.author) for item in items]
    return _upsert_authors(network, authors, alone=not connection.in_atomic_block)


def rows_store(
    *,
    account: SocialAccount,
    items: list[base.FetchedItem],
    for_inbox: Callable[[base.FetchedItem, stored.StoredEnrichment], bool] | None = None,
    author_ids: dict[str, int] | None = None,
) -> list[StoredRow]:
    """Insert new items in one statement a table; the rows that are new, or newly meant for the inbox.

    `for_inbox` decides per item whether the inbox should see it (listening
    queries keep noise out); by default everything is for the inbox. When an
    item a query kept out of the inbox is later read from an account's own
    stream (it @-mentions the bank), it is promoted: for_inbox becomes true and
    its id is returned as new, so the inbox gets it. `author_ids`: what `authors_store`
    returned for these items; the authors are stored here otherwise.
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
    unknown = [item.author for item in plain if item.author.external_id not in (author_ids or {})]
    if unknown:
        author_ids = {
            **(author_ids or {}),
            **_upsert_authors(network, list(map(pan_vault.mask_author, unknown))),
        }
    # Clean before enriching: personal-data spans must refer to the text as stored.
    plain = [
        dataclasses.replace(item, text=clean_text(item.text)) if "\x00" in item.text else item
        for item in plain
    ]
    # Enrichment reads the clear text (it must see the card to flag it); the mask keeps the
    # text's length, so its spans hold for the masked text that is stored.
    enriched = stored.enrich_items(plain)
    plain, originals = _mask_cards(plain)
    keys = threads.conversation_keys(plain, _answered_keys(network, threads.answered_ids(plain)))
    langs = [clean_text(extra.lang or item.lang)[:8] for item, extra in zip(plain, enriched, strict=True)]
    now = timezone.now()
    # In external id order, as the authors: two workers storing overlapping pages at once then
    # take the unique index's entries in one order, and one waits for the other.
    rows = sorted(
        (
            _mention_row(account, item, extra, key, lang, author_ids, for_inbox, now)
            for item, extra, key, lang in zip(plain, enriched, keys, langs, strict=True)
        ),
        key=lambda row: row[1],
    )
    # Django's wrapper turns psycopg2's errors into django.db's, as the ORM would.
    with connection.cursor() as cursor, connection.wrap_database_errors:
        returned = _insert_mentions(cursor.cursor, rows)
        seal_originals(
            {pk: originals[external_id] for pk, external_id, _new in returned if external_id in originals}
        )
        _adopt_search_hits(
            cursor.cursor, network, plain, {external_id for _pk, external_id, new in returned if new}
        )
    by_id = {external_id: (pk, new) for pk, external_id, new in returned}
    # In the page's order, as it came: what follows (routing, events) reads the page as posted.
    return [
        StoredRow(by_id[item.external_id][0], item, extra, lang, inserted=bool(by_id[item.external_id][1]))
        for item, extra, lang in zip(plain, enriched, langs, strict=True)
        if item.external_id in by_id
    ]


def _mention_row(account, item, extra, key, lang, author_ids, for_inbox, now) -> tuple:
    """The VALUES row of a mention, in the column order of `_insert_mentions`."""
    return (
        account.network,
        item.external_id,
        account.pk,
        author_ids[item.author.external_id],
        item.kind,
        item.direction,
        item.text,
        http_url(item.url),
        key,
        item.thread_key[:160],
        item.in_reply_to,
        item.created_at,
        now,
        _json_text(item.raw),
        Json([]),
        lang,
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


def _insert_mentions(cursor, rows: list[tuple]) -> list[tuple[int, str, bool]]:
    """One INSERT of the page's mentions, whatever its size; (id, external id, new) of each row.

    A row that was there already is returned only when this page promotes it to the inbox.
    """
    # execute_values would cut the statement every 100 rows without page_size.
    return execute_values(
        cursor,
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
        RETURNING id, external_id, xmax = 0
        """,  # noqa: S608 - table name from the model, values bound
        rows,
        page_size=len(rows),
        fetch=True,
    )


def _adopt_search_hits(cursor, network: str, items: list[base.FetchedItem], fresh: set[str]) -> None:
    """Give the stream's kind to posts a listening query's search stored first.

    A post read now from the account's own stream (it @-mentions the bank, or is a comment or
    message) takes the stream's kind, so the account's volume (spike alerts, dashboards) counts
    it. Only a row that was there already can be such a post: a page of new posts needs no
    statement for it.
    """
    own = [
        (network, item.external_id, item.kind)
        for item in items
        if item.kind != base.KIND_SEARCH and item.external_id not in fresh
    ]
    if own:
        execute_values(
            cursor,
            f"""
            UPDATE {Mention._meta.db_table} AS m SET kind = v.kind
            FROM (VALUES %s) AS v (network, external_id, kind)
            WHERE m.network = v.network AND m.external_id = v.external_id AND m.kind = 'search'
            """,  # noqa: S608 - table name from the model, values bound
            own,
            page_size=len(own),
        )
