import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from bankbuzz.audit.models import AuditEvent
from bankbuzz.audit.services import audit_record


@pytest.fixture
def event(agent):
    return audit_record(actor=agent, verb="conversation.assign", obj=agent, before={"a": 1}, after={"a": 2})


def test_record_keeps_actor_object_and_change(event, agent):
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.actor == agent
    assert stored.actor_label == "amira"
    assert stored.object_type == "accounts.user"
    assert stored.object_id == str(agent.pk)
    assert (stored.before, stored.after) == ({"a": 1}, {"a": 2})


def test_tasks_are_recorded_as_system(db):
    event = audit_record(
        actor=None, verb="conversation.open", object_type="inbox.conversation", object_id="7"
    )
    assert event.actor_label == "system"


STATEMENTS = [
    "UPDATE audit_auditevent SET verb = 'forged'",
    "DELETE FROM audit_auditevent",
]


@pytest.mark.parametrize("statement", STATEMENTS)
def test_database_refuses_to_rewrite_history(event, statement):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    assert AuditEvent.objects.get(pk=event.pk).verb == "conversation.assign"


@pytest.mark.parametrize("statement", [*STATEMENTS, "TRUNCATE audit_auditevent"])
def test_the_applications_own_role_cannot_rewrite_history_either(event, statement):
    """Production connects as an ordinary role: it can add to the log and nothing else."""
    with connection.cursor() as cursor:
        cursor.execute(
            "DO $$ BEGIN CREATE ROLE bankbuzz_app_test NOLOGIN; "
            "EXCEPTION WHEN duplicate_object THEN NULL; END $$"
        )
        cursor.execute("GRANT ALL ON audit_auditevent TO bankbuzz_app_test")
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        # Number the fixture's event now: PostgreSQL refuses TRUNCATE while its numbering is
        # pending, before the trigger under test is asked.
        cursor.execute("SET CONSTRAINTS audit_event_number IMMEDIATE")
        cursor.execute("SET LOCAL ROLE bankbuzz_app_test")
        cursor.execute(statement)
    assert AuditEvent.objects.get(pk=event.pk).verb == "conversation.assign"


def test_orm_update_is_refused_too(event):
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(verb="forged")
