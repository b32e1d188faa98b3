"""Moderation on the networks: hide or show again a customer's comment, delete the bank's reply.

What each network allows:

    Facebook, Instagram   hide and unhide a customer's comment; delete the bank's own comment
    X                     hide and unhide a reply in a conversation the bank started; delete
                          the bank's own post
    LinkedIn              nothing here

Each action is a permission of its own (`roles.can_moderate`, leads by default), is done on
the network first and recorded only once the network confirmed it, and is audited and shown
in the thread as an event. Hiding is reversible; deleting is not (no network restores a
deleted reply), so the stored message stays, marked deleted, for the record.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from bankbuzz.accounts import roles
from bankbuzz.accounts.models import User
from bankbuzz.audit.services import audit_record
from inbox.models import Conversation, ConversationEvent
from inbox.selectors import moderation_state
from inbox.services import InboxError, bump
from listening.connectors import base
from listening.models import Mention, Network

Kind = ConversationEvent.Kind

HIDE, UNHIDE, DELETE = "hide", "unhide", "delete"
ACTIONS = (HIDE, UNHIDE, DELETE)
_HIDEABLE = {
    Network.FACEBOOK: (roles.HIDE_COMMENT, {Mention.Kind.COMMENT}),
    Network.INSTAGRAM: (roles.HIDE_COMMENT, {Mention.Kind.COMMENT}),
    # X hides replies only, and only in conversations the bank's account started.
    Network.X: (roles.HIDE_X_REPLY, {Mention.Kind.REPLY}),
}
_DELETABLE = {Network.FACEBOOK, Network.INSTAGRAM, Network.X}
_EVENT = {HIDE: Kind.HIDDEN, UNHIDE: Kind.UNHIDDEN, DELETE: Kind.DELETED}


class ModerationError(InboxError):
    """Refused, with what to do instead."""


@dataclass(frozen=True)
class Abilities:
    """What a user may do in a conversation's thread (the buttons the thread shows)."""

    hide: bool = False
    delete: bool = False


def hideable_kinds(network: str) -> set[str]:
    return _HIDEABLE[network][1] if network in _HIDEABLE else set()


def abilities(user: User, conversation: Conversation) -> Abilities:
    hideable = _HIDEABLE.get(conversation.network)
    return Abilities(
        hide=bool(hideable) and roles.can_moderate(user, hideable[0]),
        delete=conversation.network in _DELETABLE and roles.can_moderate(user, roles.DELETE_OWN_REPLY),
    )


def _check(actor: User, conversation: Conversation, mention: Mention, action: str) -> None:
    network = (
        Network(conversation.network).label if conversation.network in Network.values else "This network"
    )
    if (mention.network, mention.thread_key) != (conversation.network, conversation.thread_key):
        raise ModerationError("That message is not part of this conversation.")
    if action == DELETE:
        if conversation.network not in _DELETABLE:
            raise ModerationError(f"{network} does not let BankBuzz delete the bank's replies.")
        if not roles.can_moderate(actor, roles.DELETE_OWN_REPLY):
            raise ModerationError("You may not delete the bank's replies; a lead can.")
        if mention.direction != Mention.Direction.OUT or mention.kind == Mention.Kind.DIRECT:
            raise ModerationError("Only the bank's own public reply can be deleted.")
        return
    hideable = _HIDEABLE.get(conversation.network)
    if hideable is None:
        raise ModerationError(f"{network} does not let the bank hide a comment.")
    permission, kinds = hideable
    if not roles.can_moderate(actor, permission):
        raise ModerationError("You may not hide or show customers' comments; a lead can.")
    if mention.direction != Mention.Direction.IN or mention.kind not in kinds:
        raise ModerationError("Only a customer's comment or reply can be hidden.")


def mention_moderate(*, actor: User, conversation: Conversation, mention: Mention, action: str) -> None:
    """Hide, unhide or delete `mention` on its network, then record it in the thread and the audit."""
    if action not in ACTIONS:
        raise ModerationError("Unknown moderation action.")
    _check(actor, conversation, mention, action)
    current = moderation_state(conversation).get(mention.pk)
    if current == "deleted":
        raise ModerationError("That reply is deleted already.")
    if (action == HIDE) == (current == "hidden") and action != DELETE:
        raise ModerationError(
            "That comment is hidden already." if action == HIDE else "That comment is not hidden."
        )
    account = mention.account or conversation.account
    if account is None:
        raise ModerationError("No connected account of the bank can do that.")
    network = Network(conversation.network).label
    try:
        connector = base.connector_for(account.as_account_info())
        getattr(connector, action)(external_id=mention.external_id)
    except base.ConnectorError as exc:
        raise ModerationError(f"{network} did not do it: {exc.message}. Try again in a moment.") from exc
    words = {
        HIDE: f"hid {mention.author}'s comment on {network}",
        UNHIDE: f"showed {mention.author}'s comment again on {network}",
        DELETE: f"deleted the bank's reply on {network}",
    }[action]
    with transaction.atomic():
        bump(conversation, actor=actor, kind=_EVENT[action], text=words, data={"mention": mention.pk})
        audit_record(
            actor=actor,
            verb=f"mention.{action}",
            obj=mention,
            before={"state": current or "visible"},
            after={"conversation": conversation.pk, "network": conversation.network,
                   "state": {HIDE: "hidden", UNHIDE: "visible", DELETE: "deleted"}[action]},
        )  # fmt: skip
