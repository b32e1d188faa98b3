"""Saved replies: the team's shared answers, with variables filled in for a conversation."""

from __future__ import annotations

import re

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from bankbuzz.accounts.models import User
from bankbuzz.audit.services import audit_record
from inbox.models import Conversation, SavedReply
from inbox.replies.permissions import can_manage_saved_replies
from inbox.replies.routes import NETWORK_NAMES
from inbox.services import InboxError

# --- Saved replies ---------------------------------------------------------------------------------

VARIABLES = ("customer_name", "handle", "agent_first_name", "bank_name")


VARIABLE_RE = re.compile(r"\{([a-z_]+)\}")


SHORTCUT_RE = re.compile(r"^[A-Za-z0-9_-]{1,30}$")


def unknown_variables(body: str, known: tuple[str, ...] = VARIABLES) -> str:
    """What to fix when `body` names a {variable} outside `known`, or ""."""
    unknown = sorted({v for v in VARIABLE_RE.findall(body) if v not in known})
    if not unknown:
        return ""
    return (
        "Unknown variable "
        + ", ".join("{" + v + "}" for v in unknown)
        + "; use "
        + ", ".join("{" + v + "}" for v in known)
        + "."
    )


def fill_variables(body: str, *, conversation: Conversation, agent: User) -> str:
    customer = conversation.customer
    values = {
        "customer_name": (customer.name or customer.handle).split(" ")[0]
        if customer.name
        else customer.handle,
        "handle": f"{customer}",
        "agent_first_name": agent.first_name or agent.get_username(),
        "bank_name": settings.BANK_NAME,
    }
    return VARIABLE_RE.sub(lambda m: values.get(m.group(1), m.group(0)), body)


def _clean_saved_reply(*, title: str, body: str, shortcut: str, tags, networks) -> dict:
    title = " ".join((title or "").split())
    body = (body or "").strip()
    shortcut = (shortcut or "").strip().lstrip(";")
    if not title or len(title) > 100:
        raise InboxError("Give the saved reply a title of at most 100 characters.")
    if not body or len(body) > 2000:
        raise InboxError("Write the saved reply's text (at most 2,000 characters).")
    problem = unknown_variables(body)
    if problem:
        raise InboxError(problem)
    if shortcut and not SHORTCUT_RE.match(shortcut):
        raise InboxError("A shortcut is letters, digits, - and _ (at most 30).")
    if shortcut:
        taken = SavedReply.objects.filter(shortcut__iexact=shortcut)
        return {
            "title": title,
            "body": body,
            "shortcut": shortcut,
            "_taken": taken,
            "tags": _tags(tags),
            "networks": _networks(networks),
        }
    return {
        "title": title,
        "body": body,
        "shortcut": "",
        "_taken": None,
        "tags": _tags(tags),
        "networks": _networks(networks),
    }


def _tags(tags) -> list[str]:
    if isinstance(tags, str):
        tags = tags.split(",")
    return sorted({" ".join(t.split())[:40] for t in tags or [] if t and t.strip()})


def _networks(networks) -> list[str]:
    return sorted({n for n in networks or [] if n in NETWORK_NAMES})


@transaction.atomic
def saved_reply_create(
    *, actor: User, title: str, body: str, shortcut: str = "", tags=(), networks=()
) -> SavedReply:
    if not can_manage_saved_replies(actor):
        raise InboxError("Only social leads manage saved replies.")
    data = _clean_saved_reply(title=title, body=body, shortcut=shortcut, tags=tags, networks=networks)
    taken = data.pop("_taken")
    if taken is not None and taken.exists():
        raise InboxError(f"The shortcut ;{data['shortcut']} is taken.")
    saved = SavedReply.objects.create(**data, created_by=actor, updated_by=actor)
    audit_record(actor=actor, verb="saved_reply.create", obj=saved, after={"title": saved.title})
    return saved


@transaction.atomic
def saved_reply_update(
    *,
    actor: User,
    saved: SavedReply,
    title: str,
    body: str,
    shortcut: str = "",
    tags=(),
    networks=(),
    is_active: bool = True,
) -> SavedReply:
    if not can_manage_saved_replies(actor):
        raise InboxError("Only social leads manage saved replies.")
    data = _clean_saved_reply(title=title, body=body, shortcut=shortcut, tags=tags, networks=networks)
    taken = data.pop("_taken")
    if taken is not None and taken.exclude(pk=saved.pk).exists():
        raise InboxError(f"The shortcut ;{data['shortcut']} is taken.")
    before = {
        "title": saved.title,
        "body": saved.body,
        "shortcut": saved.shortcut,
        "is_active": saved.is_active,
    }
    for name, value in data.items():
        setattr(saved, name, value)
    saved.is_active = is_active
    saved.updated_by = actor
    saved.updated_at = timezone.now()
    saved.save()
    audit_record(
        actor=actor,
        verb="saved_reply.update",
        obj=saved,
        before=before,
        after={"title": saved.title, "body": saved.body, "shortcut": saved.shortcut, "is_active": is_active},
    )
    return saved


@transaction.atomic
def saved_reply_delete(*, actor: User, saved: SavedReply) -> None:
    if not can_manage_saved_replies(actor):
        raise InboxError("Only social leads manage saved replies.")
    audit_record(
        actor=actor,
        verb="saved_reply.delete",
        obj=saved,
        before={"title": saved.title, "uses": saved.usage_count},
    )
    saved.delete()


def saved_replies_for(*, conversation: Conversation, agent: User) -> list[tuple[SavedReply, str]]:
    """The active saved replies for this network, with their variables filled in."""
    saved = list(SavedReply.objects.filter(is_active=True).order_by("-usage_count", "title"))
    return [
        (s, fill_variables(s.body, conversation=conversation, agent=agent))
        for s in saved
        if s.for_network(conversation.network)
    ]
