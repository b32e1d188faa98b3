"""The read replica: the dashboards and their exports read there, writes never, and without a
replica configured everything stays on the primary (bankbuzz/dbrouter.py)."""

from __future__ import annotations

import copy

import pytest
from django.db import connections, router
from django.db.utils import load_backend
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bankbuzz.dbrouter import REPLICA, replica_reads
from inbox.models import Conversation

WEEK = {"from": "2026-03-02", "to": "2026-03-08", "range": "custom"}
WRITES = ("INSERT", "UPDATE", "DELETE")


@pytest.fixture
def replica(settings):
    """A `replica` alias on the test database itself (what DATABASE_REPLICA_URL adds), on its own
    connection: a query sent there shows in that connection's log, not the primary's."""
    settings_dict = copy.deepcopy(connections["default"].settings_dict)
    wrapper = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, alias=REPLICA)
    connections[REPLICA] = wrapper
    settings.READ_REPLICA = REPLICA
    yield wrapper
    wrapper.close()
    del connections[REPLICA]


def test_without_a_replica_every_read_and_write_goes_to_the_primary(db, settings):
    assert not settings.READ_REPLICA
    with replica_reads():
        assert router.db_for_read(Conversation) == "default"
        assert router.db_for_write(Conversation) == "default"
    assert router.db_for_read(Conversation) == "default"


def test_with_a_replica_only_the_marked_reads_go_there(db, replica):
    assert router.db_for_read(Conversation) == "default"
    with replica_reads():
        assert router.db_for_read(Conversation) == REPLICA
        assert router.db_for_write(Conversation) == "default"
        assert Conversation.objects.all().db == REPLICA
    assert router.db_for_read(Conversation) == "default"
    assert not router.allow_migrate(REPLICA, "inbox")
    assert router.allow_migrate("default", "inbox")


def _sql(queries) -> list[str]:
    return [q["sql"].lstrip().upper() for q in queries.captured_queries]


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("dashboards:index", WEEK),
        ("dashboards:export", WEEK),
        ("dashboards:rows", {**WEEK, "metric": "conversations"}),
        ("dashboards:rows_export", {**WEEK, "metric": "conversations"}),
    ],
)
def test_the_dashboard_and_its_exports_read_from_the_replica(client, manager, replica, name, params):
    client.force_login(manager)
    url = reverse(name, args=["response_daily"]) if name == "dashboards:export" else reverse(name)
    with CaptureQueriesContext(connections["default"]) as primary, CaptureQueriesContext(replica) as copy_:
        response = client.get(url, params)
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200
    on_replica, on_primary = _sql(copy_), _sql(primary)
    assert any('"INBOX_CONVERSATION"' in sql for sql in on_replica)
    assert not any(sql.startswith(WRITES) for sql in on_replica)
    # The primary answers the session, the user and their role, and the inbox's capped counts
    # (the backlog now, a rows page's total); the period's figures and rows are not read there.
    figures = [sql for sql in on_primary if '"INBOX_CONVERSATION"' in sql]
    assert all(sql.startswith("SELECT (SELECT COUNT(*)") for sql in figures), figures
