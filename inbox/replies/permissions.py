"""Who may override the guard, approve replies and manage saved replies; services enforce these too."""

from __future__ import annotations

from bankbuzz.accounts import roles
from bankbuzz.accounts.models import User
from inbox import guard
from inbox.models import Reply

# --- Permissions that services enforce too -------------------------------------------------------


def can_override(user: User) -> bool:
    return roles.has_role(user, *guard.override_roles())


def can_approve(user: User, reply: Reply | None = None) -> bool:
    """Leads approve replies; compliance officers may approve guard overrides."""
    if roles.has_role(user, roles.LEAD):
        return True
    return roles.has_role(user, roles.COMPLIANCE) and (reply is None or bool(reply.override_findings))


def can_manage_saved_replies(user: User) -> bool:
    return roles.has_role(user, roles.LEAD)


def approvers() -> list[User]:
    return list(User.objects.filter(groups__name=roles.LEAD, is_active=True).distinct())
