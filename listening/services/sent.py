"""The bank's own sent messages, stored as outbound mentions by the inbox's outbox."""

from __future__ import annotations

import dataclasses
import datetime as dt

from django.db import transaction
from django.utils import timezone

from listening import pan_vault
from listening.connectors import base
from listening.models import Author, Mention, SocialAccount
from listening.services.storing import clean_text, http_url, jsonable, seal_originals

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
    text = clean_text(text)
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
            "url": http_url(sent.url),
            "thread_key": thread_key[:160],
            "in_reply_to": in_reply_to[:128],
            "created_at": sent_at or timezone.now(),
            "raw": pan_vault.mask_payload(jsonable(sent.raw)),
            "pii_findings": findings,
            "has_pii": bool(findings),
        },
    )
    if created and stored != text:
        seal_originals({mention.pk: text})
    if not created and mention.thread_key != thread_key[:160]:
        # A poll read our post first and kept it in the network's thread: it answers this
        # customer, so it belongs to their conversation.
        Mention.objects.filter(pk=mention.pk).update(thread_key=thread_key[:160])
        mention.thread_key = thread_key[:160]
    return mention, created
