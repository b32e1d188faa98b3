"""The quarantine: items a page could not store, tried again on an administrator's request."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from bankbuzz.audit.services import audit_record
from listening.connectors import base
from listening.crypto import CredentialsUnreadable
from listening.models import QuarantinedItem
from listening.query.matching import query_matches_record
from listening.services.storing import item_problem, items_store
from listening.signals import mentions_received_send

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
    if fetched is not None and (problem := item_problem(fetched)) is not None:
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
        new_ids = items_store(account=locked.account, items=[fetched])
        if not new_ids:
            status = "already_stored"
            detail = f"{detail}; it was already stored"
        elif fetched.replaces:
            new_ids = []  # an edit applied to its original: nothing new for the inbox
        query_matches_record(mention_ids=new_ids)
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
        mentions_received_send(mention_ids=new_ids)
    item.refresh_from_db()
    return ReprocessOutcome(status=status, detail=locked.outcome, mention_ids=new_ids)
