"""`manage.py flush` empties every table, the audit log included, so it breaks the glass.

The audit trigger refuses TRUNCATE unless the session sets `bankbuzz.audit_break_glass`
(README, "Operations: break-glass"); emptying the whole database is that case, and the
trigger writes it to the server log. The application's role has no TRUNCATE privilege, so in
production, where `manage.py` connects as that role, flush still fails. Transactional tests
are cleaned up with this command.
"""

from __future__ import annotations

import time

from django.core.management.base import CommandError
from django.core.management.commands.flush import Command as DjangoFlush
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from psycopg2.errors import DeadlockDetected

# The same first event as migration 0004 writes: a flushed database is a freshly migrated one.
GENESIS = """
INSERT INTO audit_auditevent (seq, at, actor_label, verb, object_type, object_id, object_repr, after)
VALUES (1, now(), 'system', 'audit.genesis', 'audit.log', '', 'The audit log begins',
        '{"events_before_numbering": 0}'::jsonb);
INSERT INTO audit_auditsequence (id, last) VALUES (1, 1);
"""

# A TRUNCATE locks its tables one after the other; a reader still running (a browser test's last
# request, a worker's task) that holds one of them and then asks for one the TRUNCATE holds is a
# deadlock, and PostgreSQL may end the TRUNCATE. Its transaction rolled back, so it tries again.
ATTEMPTS = 5


def _deadlocked(exc: BaseException | None) -> bool:
    """Whether the driver's error under Django's wrappers (`__cause__`) is a deadlock."""
    while exc is not None:
        if isinstance(exc, DeadlockDetected):
            return True
        exc = exc.__cause__
    return False


class Command(DjangoFlush):
    def handle(self, **options):
        connection = connections[options.get("database") or DEFAULT_DB_ALIAS]
        with connection.cursor() as cursor:
            cursor.execute("SET bankbuzz.audit_break_glass = 'on'")
        try:
            result = self._flush(options)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET bankbuzz.audit_break_glass")
        self._begin_the_log_again(connection)
        return result

    def _flush(self, options):
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return super().handle(**options)
            except CommandError as exc:
                if attempt == ATTEMPTS or not _deadlocked(exc):
                    raise
                time.sleep(0.25 * attempt)  # the other transaction ends meanwhile

    def _begin_the_log_again(self, connection) -> None:
        """Write the genesis event again, as after migrate, so the emptied log still verifies.

        The insert trigger lets no client choose an event's number; only a superuser (tests,
        development) can set it aside for this one statement. Anyone else could not flush.
        """
        try:
            with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
                cursor.execute("SELECT 1 FROM audit_auditevent LIMIT 1")
                if cursor.fetchone() is not None:
                    return
                cursor.execute("SET LOCAL session_replication_role = replica")
                cursor.execute(GENESIS)
        except DatabaseError:
            self.stderr.write("flush: the audit log is empty and has no genesis event (not a superuser)")
