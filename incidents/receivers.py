import logging

from incidents.services import incidents_match_mentions

logger = logging.getLogger(__name__)


def on_mentions_received(sender, mention_ids: list[int], **kwargs) -> None:
    # Ingestion has committed; a failure here must not hide the mentions from the inbox.
    try:
        incidents_match_mentions(mention_ids=mention_ids)
    except Exception:
        logger.exception("incident matching failed for mentions %s", mention_ids[:20])
