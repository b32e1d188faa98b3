"""The inbox's receiver of `listening.signals.mentions_received`: attach, then tell (`inbox.events`)."""

from inbox import events
from inbox.services import conversations_attach_mentions


def on_mentions_received(sender, mention_ids: list[int], **kwargs) -> None:
    events.attach_and_tell(mention_ids=mention_ids, attach=conversations_attach_mentions)
