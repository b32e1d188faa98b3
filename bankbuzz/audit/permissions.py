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


def compliance_access(user) -> None:
    """Legal holds and erasure requests: compliance officers and administrators."""
    audit_access(user)


def can_change_retention(user) -> bool:
    return roles.has_role(user, roles.ADMIN)


def retention_access(user, *, write: bool = False) -> None:
    """Compliance officers read the retention settings; administrators change them (DESIGN.md)."""
    audit_access(user)
    if write and not can_change_retention(user):
        raise PermissionDenied("Retention settings are changed by administrators.")
