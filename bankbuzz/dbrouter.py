"""Reads that may go to a read replica, and the router that sends them there.

`DATABASE_REPLICA_URL` (optional) adds a second database alias, `replica`: a streaming replica
of the primary. Only code that asks for it reads there — the dashboards and their exports,
wrapped in `replica_reads()` (a context manager and decorator) — because a replica lags the
primary by a little, and a page that has just written must read its own write. Everything
else, and every write wherever it happens, goes to `default`. Without a replica configured,
`replica_reads()` changes nothing.

Raw SQL does not pass through the router: code that opens a cursor inside `replica_reads()`
takes it from `connections[read_alias()]`.
"""

from __future__ import annotations

from contextlib import ContextDecorator
from contextvars import ContextVar

from django.conf import settings

REPLICA = "replica"
DEFAULT = "default"

_replica_reads: ContextVar[bool] = ContextVar("replica_reads", default=False)


def replica_configured() -> bool:
    """`READ_REPLICA` names the replica's alias (settings: set with DATABASE_REPLICA_URL)."""
    return bool(getattr(settings, "READ_REPLICA", ""))


def read_alias() -> str:
    """The alias a read should use here: the replica inside `replica_reads()` when there is one."""
    return settings.READ_REPLICA if _replica_reads.get() and replica_configured() else DEFAULT


class replica_reads(ContextDecorator):
    """Within this block (or decorated view), ORM reads go to the replica when one is configured."""

    def __enter__(self):
        self._token = _replica_reads.set(True)
        return self

    def __exit__(self, *exc):
        _replica_reads.reset(self._token)
        return False


class ReplicaRouter:
    """Reads inside `replica_reads()` to the replica; writes, migrations and the rest to `default`."""

    def db_for_read(self, model, **hints):
        return read_alias()

    def db_for_write(self, model, **hints):
        return DEFAULT

    def allow_relation(self, obj1, obj2, **hints):
        # Both aliases hold the same database (a replica is a copy of the primary).
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT
