"""Who may see and manage the connected accounts."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from bankbuzz.accounts import roles
from listening.models import QuarantinedItem, SocialAccount


def accounts_access(user) -> None:
    if not roles.can_manage_accounts(user):
        raise PermissionDenied("Only social leads and administrators manage connected accounts.")


def account_for_user(user, pk: int) -> SocialAccount:
    accounts_access(user)
    try:
        return SocialAccount.objects.get(pk=pk)
    except SocialAccount.DoesNotExist:
        raise Http404("No such account") from None


def can_see_quarantine(user) -> bool:
    """Raw payloads may hold personal data: administrators only."""
    return roles.has_role(user, roles.ADMIN)


def quarantined_item_for_user(user, account_pk: int, pk: int) -> QuarantinedItem:
    accounts_access(user)
    if not can_see_quarantine(user):
        raise PermissionDenied("Only administrators see quarantined items: they may hold personal data.")
    try:
        return QuarantinedItem.objects.select_related("account").get(pk=pk, account_id=account_pk)
    except QuarantinedItem.DoesNotExist:
        raise Http404("No such quarantined item") from None


# --- Listening insights, queries and alerts --------------------------------------------


def insights_access(user) -> None:
    """Everyone who reads the inbox reads what is said about the bank; specialists do not."""
    if not roles.can_read_inbox(user):
        raise PermissionDenied("Listening insights are for the social team, managers and compliance.")


def can_manage_queries(user) -> bool:
    return roles.has_role(user, roles.LEAD, roles.ADMIN)


def queries_manage(user) -> None:
    if not can_manage_queries(user):
        raise PermissionDenied("Only social leads and administrators write listening queries.")


def query_for_user(user, pk: int, *, write: bool = False):
    from listening.models import ListeningQuery

    if write:
        queries_manage(user)
    else:
        insights_access(user)
    try:
        return ListeningQuery.objects.get(pk=pk)
    except ListeningQuery.DoesNotExist:
        raise Http404("No such listening query") from None


def avatar_access(user) -> None:
    """Avatars show on the inbox's rows and customer cards: whoever reads the inbox."""
    if not roles.can_read_inbox(user):
        raise PermissionDenied("Only people who read the inbox see customers' avatars.")
