"""Least privilege: the application's role appends to the audit log, cannot wipe it or alter the schema."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.db.utils import DatabaseError

from bankbuzz import dbroles
from bankbuzz.audit import chain
from bankbuzz.audit.models import AuditEvent
from bankbuzz.audit.services import audit_record


@dataclass
class Role:
    name: str
    password: str


def _role_name() -> str:
    # Roles belong to the whole server: one per test database, so parallel runs never share one.
    return f"{connection.settings_dict['NAME']}_app"[:63]


@pytest.fixture
def app_role(db) -> Role:
    """The application's role with exactly the privileges `manage.py migrate` grants it."""
    role = Role(_role_name(), secrets.token_urlsafe(16))
    with connection.cursor() as cursor:
        cursor.execute(dbroles.create_role_sql(role.name, role.password))
        cursor.execute(dbroles.grant_sql(role.name, connection.settings_dict["NAME"]))
    return role


@pytest.fixture
def event(agent):
    return audit_record(actor=agent, verb="conversation.assign", obj=agent, before={"a": 1}, after={"a": 2})


def _as(role: Role, statement: str) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {dbroles.quote_ident(role.name)}")
        cursor.execute("SET LOCAL bankbuzz.audit_break_glass = 'on'")  # gives this role nothing
        cursor.execute(statement)


@pytest.mark.parametrize(
    "statement",
    [
        "TRUNCATE audit_auditevent",
        "UPDATE audit_auditevent SET verb = 'forged'",
        "DELETE FROM audit_auditevent",
        "UPDATE audit_auditsequence SET last = 0",
        "DELETE FROM audit_auditsequence",
        "TRUNCATE inbox_conversation",
    ],
)
def test_the_app_role_cannot_wipe_or_rewrite_the_audit_log(app_role, event, statement):
    with pytest.raises(DatabaseError, match="permission denied"):
        _as(app_role, statement)
    assert AuditEvent.objects.get(pk=event.pk).verb == "conversation.assign"


@pytest.mark.parametrize(
    "statement",
    [
        "CREATE TABLE audit_shadow (id int)",
        "ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_no_update_delete",
        "DROP TRIGGER audit_event_no_truncate ON audit_auditevent",
        "DROP TABLE audit_auditevent",
        "ALTER TABLE inbox_conversation ADD COLUMN shadow int",
        "CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS 'BEGIN RETURN NULL; END' "
        "LANGUAGE plpgsql",
    ],
)
def test_the_app_role_cannot_change_the_schema(app_role, statement):
    with pytest.raises(DatabaseError, match=r"permission denied|must be owner"):
        _as(app_role, statement)


def test_the_app_role_appends_and_its_events_are_numbered(app_role, agent):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {dbroles.quote_ident(app_role.name)}")
        written = audit_record(actor=agent, verb="note.add", object_type="inbox.note", object_id="1")
        chain.number_pending()  # the counter is the owner's: the trigger numbers it as the owner
        cursor.execute("SELECT count(*) FROM inbox_conversation")
    stored = AuditEvent.objects.get(pk=written.pk)
    assert stored.seq is not None and stored.verb == "note.add"


def test_the_owner_cannot_truncate_without_the_break_glass(event):
    with pytest.raises(DatabaseError, match="append-only: TRUNCATE"), transaction.atomic():
        chain.number_pending()
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE audit_auditevent")
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.fixture
def committed_app_role(transactional_db):
    role = Role(_role_name(), secrets.token_urlsafe(16))
    with connection.cursor() as cursor:
        cursor.execute(dbroles.create_role_sql(role.name, role.password))
    yield role
    with connection.cursor() as cursor:
        # Only this test database's grants hold the role; it leaves the server with them.
        cursor.execute(f"DROP OWNED BY {dbroles.quote_ident(role.name)}")
        cursor.execute(f"DROP ROLE {dbroles.quote_ident(role.name)}")


def test_migrate_runs_as_the_owner_and_grants_the_app_role(committed_app_role, settings):
    """DATABASE_URL names the application's role; migrate connects as DATABASE_OWNER_URL's."""
    db = connections["default"]
    owner = {"USER": db.settings_dict["USER"], "PASSWORD": db.settings_dict["PASSWORD"]}
    settings.DATABASE_OWNER = owner
    with connection.cursor() as cursor:
        # A table of a later migration, created before the grant step ran.
        cursor.execute("CREATE TABLE audit_later_table (id int)")
    db.close()
    db.settings_dict.update(USER=committed_app_role.name, PASSWORD=committed_app_role.password)
    try:
        call_command("migrate", verbosity=0)
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user, count(*) FROM audit_later_table")
            assert cursor.fetchone() == (committed_app_role.name, 0)
        audit_record(actor=None, verb="note.add", object_type="inbox.note", object_id="1")
        for statement in ("TRUNCATE audit_auditevent", "DELETE FROM audit_auditevent"):
            with pytest.raises(DatabaseError, match="permission denied"), connection.cursor() as cursor:
                cursor.execute(statement)
    finally:
        db.close()
        db.settings_dict.update(owner)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE audit_later_table")
