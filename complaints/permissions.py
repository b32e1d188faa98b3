"""Who may see and work complaints, and who may see a customer's vulnerability.

* Complaints: the social team (agents, leads) records and answers them; managers, compliance
  officers and administrators read them (the register, the dashboard). Specialists answer
  escalations and do not see the register: the complaint's clock keeps running beside their SLA.
* Moving an open complaint to another regime changes its deadlines: social leads only.
* Exports (the regulator-shaped CSV): leads, managers and compliance officers.
* Vulnerability is special-category data. Agents and leads set and see it (they adapt how they
  answer the customer); compliance officers see it (they report it and check the treatment).
  Specialists, managers and administrators do not: they never need one person's health or life
  events to do their work. In exports only the roles who may see it get the flag and drivers,
  others get "masked"; the free-text note never goes into an export.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from bankbuzz.accounts import roles
from complaints.models import Complaint

READERS = frozenset({roles.AGENT, roles.LEAD, roles.MANAGER, roles.COMPLIANCE, roles.ADMIN})
WRITERS = frozenset({roles.AGENT, roles.LEAD})
EXPORTERS = frozenset({roles.LEAD, roles.MANAGER, roles.COMPLIANCE})
VULNERABILITY_READERS = frozenset({roles.AGENT, roles.LEAD, roles.COMPLIANCE})
VULNERABILITY_WRITERS = frozenset({roles.AGENT, roles.LEAD})


def can_read(user) -> bool:
    return bool(roles.roles_of(user) & READERS)


def can_work(user) -> bool:
    return bool(roles.roles_of(user) & WRITERS)


def can_change_regime(user) -> bool:
    return roles.has_role(user, roles.LEAD)


def can_export(user) -> bool:
    return bool(roles.roles_of(user) & EXPORTERS)


def can_see_vulnerability(user) -> bool:
    return bool(roles.roles_of(user) & VULNERABILITY_READERS)


def can_set_vulnerability(user) -> bool:
    return bool(roles.roles_of(user) & VULNERABILITY_WRITERS)


def register_access(user) -> None:
    if not can_read(user):
        raise PermissionDenied("Your role has no access to the complaints register.")


def work_access(user) -> None:
    if not can_work(user):
        raise PermissionDenied("Your role may read complaints but not record or answer them.")


def export_access(user) -> None:
    if not can_export(user):
        raise PermissionDenied("Only social leads, managers and compliance officers export complaints.")


def vulnerability_access(user, *, write: bool = False) -> None:
    allowed = can_set_vulnerability(user) if write else can_see_vulnerability(user)
    if not allowed:
        raise PermissionDenied("Your role may not see or record customers' vulnerability.")


def complaint_for_user(user, pk: int, *, write: bool = False) -> Complaint:
    """The complaint, or 404 if the user may not see it, or 403 if they may only read it."""
    if not can_read(user):
        raise Http404("No such complaint")
    complaint = (
        Complaint.objects.select_related("conversation", "customer", "regime", "product", "cause", "account")
        .filter(pk=pk)
        .first()
    )
    if complaint is None:
        raise Http404("No such complaint")
    if write:
        work_access(user)
    return complaint
