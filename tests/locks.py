"""For tests of two transactions at once: wait until one of them waits for the other's lock."""

import time

from django.db import connection


def waiting_on_a_lock(timeout: float = 30) -> bool:
    """Whether another session of this database comes to wait on a lock within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.05)
    return False
