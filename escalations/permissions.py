"""Who may see and work which escalations. Every escalations view calls one of these.

Specialists see the escalations of their own departments (member or department lead) and the
conversations linked to them, read-only. Another department's escalation is a 404, not a 403,
so its existence does not leak. The social team and the readers of the inbox see all of them.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from bankbuzz.accounts import roles
from escalations.models import Department, Escalation, RoutingRule
from inbox.models import Conversation

DEPARTMENT_MANAGERS = frozenset({roles.LEAD, roles.ADMIN})


def department_ids_of(user) -> set[int]:
    """The departments `user` works in as a member or a lead (cached on the user object)."""
    if not getattr(user, "is_authenticated", False):
        return set()
    cached = getattr(user, "_bankbuzz_departments", None)
    if cached is None:
        cached = set(
            Department.objects.filter(Q(members=user) | Q(leads=user)).values_list("pk", flat=True).distinct()
        )
        user._bankbuzz_departments = cached
    return cached


def is_expert(user) -> bool:
    return roles.has_role(user, roles.SPECIALIST) and bool(department_ids_of(user))


def can_see_all(user) -> bool:
    return roles.can_read_inbox(user)


def escalations_visible_to(user) -> QuerySet[Escalation]:
    if can_see_all(user):
        return Escalation.objects.all()
    if roles.has_role(user, roles.SPECIALIST):
        return Escalation.objects.filter(department__in=department_ids_of(user))
    return Escalation.objects.none()


def can_answer(user, escalation: Escalation) -> bool:
    """Expert actions (claim, answer, ask, transfer, close): specialists of its department."""
    return roles.has_role(user, roles.SPECIALIST) and escalation.department_id in department_ids_of(user)


def can_escalate(user) -> bool:
    return roles.can_work_inbox(user)


def escalation_for_user(
    user, pk: int, *, write: bool = False, as_agent: bool = False, close: bool = False
) -> Escalation:
    """The escalation, or 404 when the user may not see it, or 403 when they may only read it.

    `write` asks for the expert's side (claim, answer, ...); `as_agent` for the social team's
    side (give the information asked for); `close` for either side, as closing is both's.
    """
    try:
        escalation = (
            escalations_visible_to(user)
            .select_related(
                "department",
                "assignee",
                "requested_by",
                "answered_by",
                "conversation",
                "conversation__customer",
            )
            .get(pk=pk)
        )
    except Escalation.DoesNotExist:
        raise Http404("No such escalation") from None
    if write and not can_answer(user, escalation):
        raise PermissionDenied("Only the specialists of this department answer its escalations.")
    if as_agent and not roles.can_work_inbox(user):
        raise PermissionDenied("Only the social team works this side of an escalation.")
    if close and not (can_answer(user, escalation) or roles.can_work_inbox(user)):
        raise PermissionDenied("Only the department's specialists or the social team close an escalation.")
    return escalation


def conversation_for_expert(user, pk: int) -> Conversation:
    """A conversation linked to one of the user's visible escalations (read-only), or 404."""
    visible = escalations_visible_to(user).filter(conversation_id=pk)
    if not visible.exists():
        raise Http404("No such conversation")
    return Conversation.objects.select_related("customer", "account").get(pk=pk)


def can_manage_departments(user) -> bool:
    return bool(roles.roles_of(user) & DEPARTMENT_MANAGERS)


def can_manage_rules(user) -> bool:
    return bool(roles.roles_of(user) & DEPARTMENT_MANAGERS)


def department_for_manager(user, pk: int) -> Department:
    if not can_manage_departments(user):
        raise PermissionDenied("Only social leads and administrators manage departments.")
    try:
        return Department.objects.get(pk=pk)
    except Department.DoesNotExist:
        raise Http404("No such department") from None


def rule_for_manager(user, pk: int) -> RoutingRule:
    if not can_manage_rules(user):
        raise PermissionDenied("Only social leads and administrators edit routing rules.")
    try:
        return RoutingRule.objects.select_related("department").get(pk=pk)
    except RoutingRule.DoesNotExist:
        raise Http404("No such routing rule") from None


def queue_access(user) -> None:
    if not (can_see_all(user) or roles.has_role(user, roles.SPECIALIST)):
        raise PermissionDenied("Your role has no access to escalations.")
