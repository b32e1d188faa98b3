"""Who sees which figures of the dashboards. Every dashboards view calls `dashboard_scope`.

- Managers, social leads, compliance officers and administrators see everything.
- Social agents see their own figures only: the conversations assigned to them, the escalations
  they asked for, their kudos and their customers' thanks. The agent filter is fixed to them and
  team-wide tables (by agent, volume by account) are not shown.
- Specialists see the escalation figures of their own departments only (the expert side of the
  work they do); conversations, volume and other departments are not shown. A specialist in no
  department has nothing to see (403).
- Anyone else: 403.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied

from bankbuzz.accounts import roles
from escalations.permissions import department_ids_of

EVERYTHING = frozenset({roles.MANAGER, roles.LEAD, roles.COMPLIANCE, roles.ADMIN})


@dataclass(frozen=True)
class Scope:
    """What a user's dashboard may show; the selectors narrow every query with it."""

    everything: bool = False
    agent_id: int | None = None  # agents: their own figures
    department_ids: frozenset[int] | None = None  # specialists: their departments' escalations

    @property
    def conversations(self) -> bool:
        return self.everything or self.agent_id is not None

    @property
    def escalations(self) -> bool:
        return True

    @property
    def team(self) -> bool:
        """Tables that compare people or show team-wide volume."""
        return self.everything


def dashboard_scope(user) -> Scope:
    user_roles = roles.roles_of(user)
    if user_roles & EVERYTHING:
        return Scope(everything=True)
    if roles.AGENT in user_roles:
        return Scope(agent_id=user.pk)
    if roles.SPECIALIST in user_roles:
        departments = department_ids_of(user)
        if departments:
            return Scope(department_ids=frozenset(departments))
        raise PermissionDenied("You are in no department yet, so there are no figures to show you.")
    raise PermissionDenied("Your role has no access to the dashboards.")
