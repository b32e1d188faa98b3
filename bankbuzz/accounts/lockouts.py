"""A login refused by django-axes' lockout goes into the audit log, not only into axes' tables.

django-axes sends `user_locked_out` when a username reaches the failure limit and again for
every attempt made while it is locked. Nobody is logged in, so the actor is none; the event
names the username that was tried (it may not exist) and the address, never the password.
"""

from __future__ import annotations

from bankbuzz.audit.services import audit_record


def on_user_locked_out(sender, request=None, username=None, ip_address=None, **kwargs) -> None:
    audit_record(
        actor=None,
        verb="user.locked_out",
        object_type="accounts.user",
        object_id=(username or "")[:64],
        object_repr=(username or "")[:200],
        after={"username": username or "", "ip": ip_address or ""},
    )
