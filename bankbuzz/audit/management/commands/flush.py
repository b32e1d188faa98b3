"""`manage.py flush` empties every table, the audit log included, so it breaks the glass.

The audit trigger refuses TRUNCATE unless the session sets `bankbuzz.audit_break_glass`
(README, "Operations: break-glass"); emptying the whole database is that case, and the
trigger writes it to the server log. The application's role has no TRUNCATE privilege, so in
production, where `manage.py` connects as that role, flush still fails. Transactional tests
are cleaned up with this command.
"""

from __future__ import annotations

from django.core.management.commands.flush import Command as DjangoFlush
from django.db import DEFAULT_DB_ALIAS, connections


class Command(DjangoFlush):
    def handle(self, **options):
        connection = connections[options.get("database") or DEFAULT_DB_ALIAS]
        with connection.cursor() as cursor:
            cursor.execute("SET bankbuzz.audit_break_glass = 'on'")
        try:
            return super().handle(**options)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET bankbuzz.audit_break_glass")
