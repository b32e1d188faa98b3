"""The one signal `listening` sends upward.

`mentions_received(sender=None, mention_ids=[...])` fires after the transaction
that stored new mentions has committed, with the ids of the rows that were new
(duplicates absorbed by the unique constraint are not in it). `listening` never
imports the parts above it.

Who listens: `inbox` only. It attaches the mentions to their conversations and then sends
its own signal, `inbox.events.conversations_touched`, with the conversations and what
happened to each (opened, a customer message, reopened, the bank's reply). Everything that
works on conversations (escalations' routing rules and kudos, the API's webhooks, and any new
app: complaints, incidents...) listens to that one, so it runs after the attach whatever the
order of INSTALLED_APPS. An app that needs the raw mentions and no conversation may still
listen here; it must then be idempotent and have its own way to catch up on a failure.

Receivers are called with `send_robust` (`mentions_received_send`): one that raises is
logged and does not stop the others. The inbox catches up on a failed attach with its orphan
sweep (`inbox.attach_orphans`, every minute).
"""

import logging

from django.dispatch import Signal

logger = logging.getLogger(__name__)

mentions_received = Signal()


def mentions_received_send(*, mention_ids: list[int]) -> None:
    """Tell every receiver; one that raises is logged and the others still run."""
    for receiver, response in mentions_received.send_robust(sender=None, mention_ids=mention_ids):
        if isinstance(response, Exception):
            logger.error(
                "a receiver of mentions_received failed (%s.%s) for mentions %s",
                getattr(receiver, "__module__", "?"),
                getattr(receiver, "__qualname__", receiver),
                mention_ids[:20],
                exc_info=(type(response), response, response.__traceback__),
            )
