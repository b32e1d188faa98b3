"""The one signal `listening` sends upward.

`mentions_received(sender=None, mention_ids=[...])` fires inside the transaction that stores
new mentions (`listening.services.ingest.page_ingest`, a quarantined item reprocessed), after
they are written and before that transaction commits, with the ids of the rows that were new
(duplicates absorbed by the unique constraint are not in it). So a page of mentions and all that
follows from it (the attach, the conversations' events, the escalations, the webhook
deliveries' rows) commit together: one commit a page. `listening` never imports the parts above
it.

Who listens: `inbox` only. It attaches the mentions to their conversations and then sends
its own signal, `inbox.events.conversations_touched`, with the conversations and what
happened to each (opened, a customer message, reopened, the bank's reply). Everything that
works on conversations (escalations' routing rules and kudos, the API's webhooks, and any new
app: complaints, incidents...) listens to that one, so it runs after the attach whatever the
order of INSTALLED_APPS. An app that needs the raw mentions and no conversation may still
listen here; it must then be idempotent and have its own way to catch up on a failure.

A receiver:
- runs in the ingest's transaction, under a savepoint of its own (`mentions_received_send`):
  one that raises is rolled back alone and logged, and the mentions are stored all the same
  (the inbox catches up on a failed attach with its orphan sweep, `inbox.attach_orphans`,
  every minute);
- writes only to the database, and queues anything else (Celery tasks, publishing, mail) with
  `transaction.on_commit`, so that nothing is announced that a rollback would take back;
- does not commit, and holds the locks it takes until the page commits.
"""

import contextlib
import contextvars
import logging
from collections.abc import Iterator

from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger(__name__)

mentions_received = Signal()

_held: contextvars.ContextVar[bool] = contextvars.ContextVar("mentions_received_held", default=False)


@contextlib.contextmanager
def mentions_received_held() -> Iterator[None]:
    """Store mentions without telling anyone (a seed that attaches them itself, history)."""
    token = _held.set(True)
    try:
        yield
    finally:
        _held.reset(token)


def mentions_received_send(*, mention_ids: list[int]) -> None:
    """Tell every receiver, each under its own savepoint; one that raises is logged and undone alone.

    Call it inside the transaction that stored the mentions.
    """
    if _held.get():
        return
    for receiver in mentions_received._live_receivers(None)[0]:
        try:
            with transaction.atomic():
                receiver(signal=mentions_received, sender=None, mention_ids=mention_ids)
        except Exception as exc:
            logger.error(
                "a receiver of mentions_received failed (%s.%s) for mentions %s",
                getattr(receiver, "__module__", "?"),
                getattr(receiver, "__qualname__", receiver),
                mention_ids[:20],
                exc_info=(type(exc), exc, exc.__traceback__),
            )
