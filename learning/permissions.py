"""Who may read and manage the advice library. Every learning view calls one of these.

Social leads manage every article; a department's leads manage their department's articles
(the department owns what its experts know). Everyone who works customers' questions reads it.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from bankbuzz.accounts import roles
from escalations.models import Department
from escalations.permissions import escalation_for_user
from inbox.permissions import conversation_for_user
from learning.models import AdviceArticle

LIBRARY_READERS = frozenset(
    {roles.AGENT, roles.LEAD, roles.SPECIALIST, roles.MANAGER, roles.COMPLIANCE, roles.ADMIN}
)


def led_department_ids(user) -> set[int]:
    if not getattr(user, "is_authenticated", False):
        return set()
    cached = getattr(user, "_bankbuzz_led_departments", None)
    if cached is None:
        cached = set(Department.objects.filter(leads=user).values_list("pk", flat=True))
        user._bankbuzz_led_departments = cached
    return cached


def can_read_library(user) -> bool:
    return bool(roles.roles_of(user) & LIBRARY_READERS)


def is_social_lead(user) -> bool:
    return roles.has_role(user, roles.LEAD)


def can_manage_library(user) -> bool:
    return is_social_lead(user) or (roles.has_role(user, roles.SPECIALIST) and bool(led_department_ids(user)))


def managed_departments(user):
    """The departments whose articles `user` may create and edit."""
    if is_social_lead(user):
        return Department.objects.order_by("name")
    if roles.has_role(user, roles.SPECIALIST):
        return Department.objects.filter(pk__in=led_department_ids(user)).order_by("name")
    return Department.objects.none()


def can_manage_article(user, article: AdviceArticle) -> bool:
    return is_social_lead(user) or (
        roles.has_role(user, roles.SPECIALIST) and article.department_id in led_department_ids(user)
    )


def library_access(user) -> None:
    if not can_read_library(user):
        raise PermissionDenied


def library_manage_access(user) -> None:
    if not can_manage_library(user):
        raise PermissionDenied


def article_for_manager(user, pk: int) -> AdviceArticle:
    library_manage_access(user)
    article = AdviceArticle.objects.select_related("department").filter(pk=pk).first()
    if article is None:
        raise Http404
    if not can_manage_article(user, article):
        raise PermissionDenied
    return article


def conversation_for_suggestions(user, pk: int):
    """The conversation a suggestion is inserted into: the same rule as writing a reply."""
    return conversation_for_user(user, pk, write=True)


def escalation_for_suggestions(user, pk: int):
    """The escalation a specialist answers: the same rule as answering it."""
    return escalation_for_user(user, pk, write=True)


def proposals_access(user) -> None:
    """Approving proposals is managing saved replies: social leads."""
    if not is_social_lead(user):
        raise PermissionDenied


def proposal_for_lead(user, pk: int):
    from learning.models import LibraryProposal

    proposals_access(user)
    proposal = (
        LibraryProposal.objects.select_related(
            "escalation__department", "expert", "proposed_by", "saved_reply"
        )
        .filter(pk=pk)
        .first()
    )
    if proposal is None:
        raise Http404
    return proposal


def escalation_for_proposing(user, pk: int):
    """The escalation (404 where the user may not see it), 403 unless the user may propose from it."""
    from learning.proposals import can_propose

    escalation = escalation_for_user(user, pk)
    if not can_propose(user, escalation):
        raise PermissionDenied
    return escalation
