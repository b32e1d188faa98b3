"""Departments, their SLA policies and their holidays, managed by social leads."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from bankbuzz.accounts import roles
from bankbuzz.accounts.models import User
from bankbuzz.audit.services import audit_record
from escalations.models import Department, Holiday, SlaPolicy
from escalations.services.steps import EscalationError

# --- Departments (admins and social leads) -----------------------------------------------------

DEPARTMENT_FIELDS = (
    "name",
    "description",
    "time_zone",
    "work_days",
    "day_start",
    "day_end",
    "notification_email",
    "is_active",
)


def require_department_manager(actor: User) -> None:
    if not roles.has_role(actor, roles.LEAD, roles.ADMIN):
        raise EscalationError("Only social leads and administrators manage departments.")


def _department_snapshot(department: Department) -> dict:
    data = {name: getattr(department, name) for name in DEPARTMENT_FIELDS}
    if department.pk:
        data["members"] = sorted(department.members.values_list("username", flat=True))
        data["leads"] = sorted(department.leads.values_list("username", flat=True))
    return data


@transaction.atomic
def department_save(
    *,
    actor: User | None,
    department: Department | None = None,
    fields: dict,
    members: list[User] | None = None,
    leads: list[User] | None = None,
) -> Department:
    """Create (department=None) or update a department; `actor=None` is the demo seed."""
    if actor is not None:
        require_department_manager(actor)
    department = department or Department()
    before = _department_snapshot(department) if department.pk else None
    for name, value in fields.items():
        if name not in DEPARTMENT_FIELDS:
            raise ValueError(f"not a department field: {name}")
        setattr(department, name, value)
    department.full_clean(exclude=["members", "leads"])
    department.save()
    if members is not None:
        department.members.set(members)
    if leads is not None:
        department.leads.set(leads)
    audit_record(
        actor=actor,
        verb="department.create" if before is None else "department.update",
        obj=department,
        before=before,
        after=_department_snapshot(department),
    )
    return department


@transaction.atomic
def sla_policy_set(
    *,
    actor: User | None,
    department: Department,
    priority: int,
    first_response_minutes: int,
    resolution_minutes: int,
) -> SlaPolicy:
    if actor is not None:
        require_department_manager(actor)
    if first_response_minutes <= 0 or resolution_minutes < first_response_minutes:
        raise EscalationError(
            "The resolution target must be at least the first-response target, both above 0."
        )
    policy, _ = SlaPolicy.objects.update_or_create(
        department=department,
        priority=priority,
        defaults={"first_response_minutes": first_response_minutes, "resolution_minutes": resolution_minutes},
    )
    audit_record(
        actor=actor,
        verb="department.sla",
        obj=department,
        after={
            "priority": priority,
            "first_response_minutes": first_response_minutes,
            "resolution_minutes": resolution_minutes,
        },
    )
    return policy


@transaction.atomic
def holiday_add(*, actor: User | None, department: Department, date: dt.date, name: str = "") -> Holiday:
    if actor is not None:
        require_department_manager(actor)
    holiday, _ = Holiday.objects.update_or_create(
        department=department, date=date, defaults={"name": name[:80]}
    )
    audit_record(
        actor=actor, verb="department.holiday_add", obj=department, after={"date": date, "name": name}
    )
    return holiday


@transaction.atomic
def holiday_remove(*, actor: User, holiday: Holiday) -> None:
    require_department_manager(actor)
    audit_record(
        actor=actor,
        verb="department.holiday_remove",
        obj=holiday.department,
        before={"date": holiday.date, "name": holiday.name},
    )
    holiday.delete()
