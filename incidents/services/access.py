"""Who may do what with an incident, and the refusal a person reads."""

from __future__ import annotations

from bankbuzz.accounts import roles
from bankbuzz.accounts.models import User


class IncidentError(Exception):
    """An incident action refused, with what to do instead."""


def can_read(user: User) -> bool:
    return roles.can_read_inbox(user)


def can_lead(user: User) -> bool:
    """Open, answer in bulk and resolve an incident: social leads."""
    return roles.has_role(user, roles.LEAD)


def can_work(user: User) -> bool:
    """Add a conversation to an incident or take one out: whoever works the inbox."""
    return roles.can_work_inbox(user)
