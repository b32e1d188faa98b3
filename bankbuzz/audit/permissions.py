"""Who reads the audit log: compliance officers and administrators."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from bankbuzz.accounts import roles

AUDIT_READERS = roles.AUDIT_READERS


def can_read_audit(user) -> bool:
    return bool(roles.roles_of(user) & AUDIT_READERS)


def audit_access(user) -> None:
    if not can_read_audit(user):
        raise PermissionDenied("The audit log is for compliance officers and administrators.")
