import logging

from escalations.services import escalations_auto_open, kudos_from_mentions

logger = logging.getLogger(__name__)


def on_mentions_received(sender, mention_ids: list[int], **kwargs) -> None:
    # Ingestion has committed already; a failure here must not hide the mentions from the inbox.
    try:
        escalations_auto_open(mention_ids=mention_ids)
    except Exception:
        logger.exception("automatic escalation failed for mentions %s", mention_ids[:20])
    try:
        kudos_from_mentions(mention_ids=mention_ids)
    except Exception:
        logger.exception("kudos failed for mentions %s", mention_ids[:20])
