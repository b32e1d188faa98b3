from inbox.services import conversations_attach_mentions


def on_mentions_received(sender, mention_ids: list[int], **kwargs) -> None:
    conversations_attach_mentions(mention_ids=mention_ids)
