"""Who may see and work which conversations. Every inbox view calls one of these."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from bankbuzz.accounts import roles
from inbox.models import Conversation, Tag


def conversations_visible_to(user) -> QuerySet[Conversation]:
    """The conversations `user` may read; empty for roles outside the inbox."""
    if roles.can_read_inbox(user):
        return Conversation.objects.all()
    return Conversation.objects.none()


def inbox_access(user, *, write: bool = False) -> None:
    allowed = roles.can_work_inbox(user) if write else roles.can_read_inbox(user)
    if not allowed:
        if roles.can_read_inbox(user):
            raise PermissionDenied("Your role may read conversations but not change them.")
        raise PermissionDenied("Your role has no access to the shared inbox.")


def conversation_for_user(user, pk: int, *, write: bool = False) -> Conversation:
    """The conversation, or 404 if the user may not see it, or 403 if they may only read it."""
    try:
        conversation = (
            conversations_visible_to(user).select_related("customer", "account", "assignee").get(pk=pk)
        )
    except Conversation.DoesNotExist:
        raise Http404("No such conversation") from None
    if write and not roles.can_work_inbox(user):
        raise PermissionDenied("Your role may read conversations but not change them.")
    return conversation


def can_unmask(user) -> bool:
    """Agents and leads may reveal a message's personal data to answer it; each time is audited.

    Readers (managers, compliance, admins) see masked text: they watch the work, they do not
    need a customer's card number to do it.
    """
    return roles.can_work_inbox(user)


def can_manage_tags(user) -> bool:
    return roles.has_role(user, roles.LEAD)


def tag_for_manager(user, pk: int) -> Tag:
    if not can_manage_tags(user):
        raise PermissionDenied("Only social leads manage tags.")
    try:
        return Tag.objects.get(pk=pk)
    except Tag.DoesNotExist:
        raise Http404("No such tag") from None


def reply_for_user(user, pk: int):
    """A reply of a conversation the user may work, or 404/403."""
    from inbox.models import Reply

    try:
        reply = Reply.objects.select_related("conversation__customer", "author").get(pk=pk)
    except Reply.DoesNotExist:
        raise Http404("No such reply") from None
    if not conversations_visible_to(user).filter(pk=reply.conversation_id).exists():
        raise Http404("No such reply")
    return reply


def can_approve_replies(user) -> bool:
    """Leads approve replies; compliance officers see the queue and approve guard overrides."""
    return roles.has_role(user, roles.LEAD, roles.COMPLIANCE)


def approvals_access(user) -> None:
    if not can_approve_replies(user):
        raise PermissionDenied("Only social leads and compliance officers approve replies.")


def saved_reply_for_manager(user, pk: int):
    from inbox.models import SavedReply

    if not roles.has_role(user, roles.LEAD):
        raise PermissionDenied("Only social leads manage saved replies.")
    try:
        return SavedReply.objects.get(pk=pk)
    except SavedReply.DoesNotExist:
        raise Http404("No such saved reply") from None


def saved_replies_access(user) -> None:
    if not roles.has_role(user, roles.LEAD):
        raise PermissionDenied("Only social leads manage saved replies.")
