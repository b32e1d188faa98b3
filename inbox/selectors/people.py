"""The colleagues the inbox offers: whom to assign, whom to @mention."""

from __future__ import annotations

from django.db.models import QuerySet

from bankbuzz.accounts import roles
from bankbuzz.accounts.models import User


def inbox_workers() -> QuerySet[User]:
    """People conversations can be assigned to: active agents and leads."""
    return (
        User.objects.filter(is_active=True, groups__name__in=roles.INBOX_WRITERS)
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def inbox_readers() -> QuerySet[User]:
    """People a note can @mention."""
    return (
        User.objects.filter(is_active=True, groups__name__in=roles.INBOX_READERS)
        .distinct()
        .order_by("username")
    )
