"""Which customer's conversation a stored message belongs to.

A network's thread (an X `conversation_id`, a Facebook or LinkedIn post) is public: many
people write in it. A conversation is one customer's, so a mention's `thread_key` is the
network's thread *and* its author: five people replying under one tweet are five
conversations, and a reply always answers the customer whose conversation it is. The
network's own thread is kept in `network_thread`, so the pane can show what the others said
as context.

Private threads (X direct messages, Messenger, Instagram direct messages) have one customer
already and keep their key.
The bank's own messages never open a conversation: they join the conversation of the message
they answer, or stay in the network's thread as context.
"""

from __future__ import annotations

import hashlib

from listening.connectors import base

PRIVATE_PREFIXES = ("dm:", "m:", "ig:")
THREAD_KEY_LENGTH = 160
_SEPARATOR = "|"


def is_private(thread: str) -> bool:
    return thread.startswith(PRIVATE_PREFIXES)


def customer_thread_key(thread: str, author_external_id: str) -> str:
    """The key of `author`'s conversation in the network's `thread`; at most 160 characters.

    A thread id too long to carry whole (LinkedIn URNs can be) is cut and made unique again
    with a digest, so two long threads never share a key.
    """
    if is_private(thread):
        return thread[:THREAD_KEY_LENGTH]
    key = f"{thread}{_SEPARATOR}{author_external_id}"
    if len(key) <= THREAD_KEY_LENGTH:
        return key
    digest = hashlib.sha256(thread.encode()).hexdigest()[:16]
    room = THREAD_KEY_LENGTH - len(digest) - len(author_external_id) - 2
    return f"{thread[:room]}#{digest}{_SEPARATOR}{author_external_id}"


def conversation_keys(items: list[base.FetchedItem], answered: dict[str, str]) -> list[str]:
    """The `thread_key` to store for each of `items`, in order.

    `answered` maps the external ids of stored messages that the bank's items answer to
    their `thread_key`; messages of the same page are looked up first.
    """
    in_page = {
        item.external_id: customer_thread_key(item.thread_key, item.author.external_id)
        for item in items
        if item.direction == base.DIRECTION_IN
    }
    keys = []
    for item in items:
        if item.direction == base.DIRECTION_IN:
            keys.append(in_page[item.external_id])
        elif is_private(item.thread_key):
            keys.append(item.thread_key[:THREAD_KEY_LENGTH])
        else:
            target = item.in_reply_to
            keys.append(in_page.get(target) or answered.get(target) or item.thread_key[:THREAD_KEY_LENGTH])
    return keys


def answered_ids(items: list[base.FetchedItem]) -> list[str]:
    """The ids the bank's public items answer: their conversation is looked up in the database."""
    return [
        item.in_reply_to
        for item in items
        if item.direction == base.DIRECTION_OUT and item.in_reply_to and not is_private(item.thread_key)
    ]
