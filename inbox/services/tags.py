"""Tags: the shared list, and adding and removing them on conversations."""

from __future__ import annotations

import re

from django.db import transaction
from django.db.models.functions import Lower

from bankbuzz.accounts import roles
from bankbuzz.accounts.models import User
from bankbuzz.audit.services import audit_record
from inbox.models import Conversation, ConversationEvent, Tag
from inbox.services.changes import InboxError, bump, require_writer

Kind = ConversationEvent.Kind


# --- Tags ------------------------------------------------------------------------------------------

TAG_NAME = re.compile(r"^[\w][\w &'./+-]{0,39}$")


def _clean_tag_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not TAG_NAME.match(name):
        raise InboxError("A tag is 1 to 40 letters, digits, spaces or - _ & ' . / +, starting with a letter.")
    return name


@transaction.atomic
def tag_get_or_create(*, actor: User, name: str) -> Tag:
    """Tags are created inline by whoever works the inbox; "Fraud" and "fraud" are one tag."""
    require_writer(actor)
    name = _clean_tag_name(name)
    tag = Tag.objects.annotate(lower=Lower("name")).filter(lower=name.lower()).first()
    if tag is None:
        tag = Tag.objects.create(name=name, created_by=actor)
        audit_record(actor=actor, verb="tag.create", obj=tag, after={"name": name})
    return tag


@transaction.atomic
def conversation_tag_add(*, actor: User, conversation: Conversation, name: str) -> Tag:
    tag = tag_get_or_create(actor=actor, name=name)
    if not conversation.tags.filter(pk=tag.pk).exists():
        conversation.tags.add(tag)
        bump(conversation, actor=actor, kind=Kind.TAGGED, text=f"tagged it {tag.name}", data={"tag": tag.pk})
        audit_record(actor=actor, verb="conversation.tag_add", obj=conversation, after={"tag": tag.name})
    return tag


@transaction.atomic
def conversation_tag_remove(*, actor: User, conversation: Conversation, tag: Tag) -> None:
    require_writer(actor)
    if conversation.tags.filter(pk=tag.pk).exists():
        conversation.tags.remove(tag)
        bump(
            conversation,
            actor=actor,
            kind=Kind.UNTAGGED,
            text=f"removed the tag {tag.name}",
            data={"tag": tag.pk},
        )
        audit_record(actor=actor, verb="conversation.tag_remove", obj=conversation, before={"tag": tag.name})


@transaction.atomic
def tag_rename(*, actor: User, tag: Tag, name: str) -> Tag:
    if not roles.has_role(actor, roles.LEAD):
        raise InboxError("Only social leads manage tags.")
    name = _clean_tag_name(name)
    clash = Tag.objects.annotate(lower=Lower("name")).filter(lower=name.lower()).exclude(pk=tag.pk)
    if clash.exists():
        raise InboxError(f"There is already a tag called {name}.")
    before = tag.name
    tag.name = name
    tag.save(update_fields=["name"])
    audit_record(actor=actor, verb="tag.rename", obj=tag, before={"name": before}, after={"name": name})
    return tag


@transaction.atomic
def tag_delete(*, actor: User, tag: Tag) -> None:
    if not roles.has_role(actor, roles.LEAD):
        raise InboxError("Only social leads manage tags.")
    audit_record(
        actor=actor,
        verb="tag.delete",
        obj=tag,
        before={"name": tag.name, "conversations": tag.conversations.count()},
    )
    tag.delete()
