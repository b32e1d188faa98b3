"""A wipe of the audit log is found: gap-free numbers from the genesis, signed checkpoints outside."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import responses
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from bankbuzz.audit import chain, tasks
from bankbuzz.audit.models import AuditEvent
from bankbuzz.audit.services import audit_record
from bankbuzz.audit.sinks import SinkError
from bankbuzz.celery import app


def _owner(*statements: str) -> None:
    """As the owner, with the break-glass of README's "Operations"."""
    chain.number_pending()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL bankbuzz.audit_break_glass = 'on'")
        for statement in statements:
            cursor.execute(statement)
        cursor.execute("SET LOCAL bankbuzz.audit_break_glass = 'off'")


def _write(count: int) -> None:
    for n in range(count):
        audit_record(
            actor=None, verb="conversation.status", object_type="inbox.conversation", object_id=str(n)
        )
    chain.number_pending()


@pytest.fixture
def log(db):
    """A log of its own: the genesis and five events (numbers 1 to 6)."""
    _owner("TRUNCATE audit_auditevent, audit_auditsequence")
    audit_record(
        actor=None, verb=chain.GENESIS_VERB, object_type="audit.log", object_repr="The audit log begins"
    )
    _write(5)
    assert list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True)) == [1, 2, 3, 4, 5, 6]


@pytest.fixture
def sink(settings, tmp_path):
    settings.AUDIT_CHECKPOINT_SINK = str(tmp_path / "checkpoints.jsonl")
    return tmp_path / "checkpoints.jsonl"


def verify(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("audit_verify", *args, stdout=out)
    return out.getvalue()


def test_an_intact_log_verifies(log):
    assert "OK: events 1 to 6 without a gap from the genesis" in verify()


def test_numbers_taken_back_by_a_rollback_leave_no_gap(log):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        _write(2)
        raise RuntimeError("the service failed after auditing")
    _write(1)
    assert AuditEvent.objects.order_by("-seq").values_list("seq", flat=True)[0] == 7
    assert "events 1 to 7" in verify()


def test_a_range_deleted_by_the_owner_is_reported(log):
    _owner("DELETE FROM audit_auditevent WHERE seq BETWEEN 3 AND 4")
    with pytest.raises(CommandError, match="FAILED: events 3 to 4 missing"):
        verify()


def test_a_truncation_by_the_owner_is_reported(log, sink):
    tasks.checkpoint()  # at event 6; itself event 7
    _owner("TRUNCATE audit_auditevent")
    _write(2)
    with pytest.raises(CommandError, match="events 1 to 7 missing, the genesis event among them"):
        verify()
    with pytest.raises(CommandError, match="events 1 to 7 missing, the genesis event among them"):
        verify("--checkpoints", str(sink))


@pytest.mark.django_db(transaction=True)
def test_the_migration_numbers_the_events_it_finds_after_a_genesis():
    call_command("migrate", "audit", "0003", verbosity=0)
    try:
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE audit_auditevent")  # the trigger of 0002 lets a superuser
            for days, verb in ((1, "note.add"), (3, "conversation.assign"), (2, "note.add")):
                cursor.execute(
                    "INSERT INTO audit_auditevent (at, actor_label, verb, object_type, object_id, "
                    "object_repr) VALUES (now() - make_interval(days => %s), 'system', %s, '', '', '')",
                    [days, verb],
                )
    finally:
        call_command("migrate", "audit", verbosity=0)
    numbered = list(AuditEvent.objects.order_by("seq").values_list("seq", "verb"))
    assert numbered == [(1, chain.GENESIS_VERB), (2, "conversation.assign"), (3, "note.add"), (4, "note.add")]
    audit_record(actor=None, verb="note.add", object_type="inbox.note", object_id="1")
    assert AuditEvent.objects.order_by("-seq").values_list("seq", flat=True)[0] == 5
    assert "events 1 to 5 without a gap from the genesis" in verify()


def test_a_restarted_sequence_is_reported(log):
    _owner("TRUNCATE audit_auditevent, audit_auditsequence")
    _write(3)
    with pytest.raises(CommandError, match=r"event 1 is 'conversation\.status'.*not the genesis event"):
        verify()


def test_the_hourly_task_writes_a_signed_checkpoint_to_the_file_sink(log, sink):
    assert app.conf.beat_schedule["audit-checkpoint"]["task"] == "audit.checkpoint"
    result = tasks.checkpoint()
    assert result["seq"] == 6
    [line] = sink.read_text().splitlines()
    written = json.loads(line)
    assert (written["seq"], written["head"]) == (6, result["head"])
    assert chain.Checkpoint.from_json(written, "sink").is_genuine(settings.AUDIT_CHECKPOINT_KEY)
    recorded = AuditEvent.objects.get(verb=chain.CHECKPOINT_VERB)
    assert recorded.after == written
    assert "2 checkpoints matched" in verify("--checkpoints", str(sink))


def test_a_tail_cut_after_a_checkpoint_is_caught_by_it(log, sink):
    tasks.checkpoint()  # numbers 1 to 6; the checkpoint event itself is 7
    _write(2)
    _owner("DELETE FROM audit_auditevent WHERE seq >= 5")
    assert "events 1 to 4" in verify()  # what is left holds together
    with pytest.raises(CommandError, match=r"events 5 to 6 missing: a checkpoint of .* counted 6 events"):
        verify("--checkpoints", str(sink))


def test_a_rebuilt_log_does_not_match_the_checkpoint(log, sink):
    tasks.checkpoint()
    _owner("TRUNCATE audit_auditevent, audit_auditsequence")
    audit_record(
        actor=None, verb=chain.GENESIS_VERB, object_type="audit.log", object_repr="The audit log begins"
    )
    _write(7)
    assert "events 1 to 8" in verify()  # nothing in the database can tell
    with pytest.raises(CommandError, match="event 6 does not match the checkpoint"):
        verify("--checkpoints", str(sink))


def test_a_forged_checkpoint_is_refused(log, sink):
    tasks.checkpoint()
    forged = json.loads(sink.read_text())
    forged["seq"] = 2
    sink.write_text(json.dumps(forged) + "\n")
    with pytest.raises(CommandError, match="signature does not match"):
        verify("--checkpoints", str(sink))


def _export(tmp_path) -> str:
    path = tmp_path / "export.jsonl"
    today = timezone.localdate().isoformat()
    call_command("audit_export", "--start", today, "--end", today, "--output", str(path))
    return str(path)


def test_an_export_starts_at_the_last_checkpoint_and_verifies_against_it(log, sink, tmp_path):
    _owner("TRUNCATE audit_auditevent, audit_auditsequence")
    with connection.cursor() as cursor:
        for verb in [chain.GENESIS_VERB, *["note.add"] * 5]:
            cursor.execute(
                "INSERT INTO audit_auditevent (at, actor_label, verb, object_type, object_id, object_repr) "
                "VALUES (now() - interval '3 days', 'system', %s, '', '', '')",
                [verb],
            )
    tasks.checkpoint()  # at event 6, itself event 7 (today)
    _write(3)
    path = _export(tmp_path)
    rows = [json.loads(line) for line in Path(path).read_text().splitlines()[:-1]]
    assert [row["seq"] for row in rows] == ["7", "8", "9", "10"]
    assert "events 7 to 10 without a gap from the checkpoint at event 6" in verify(path)
    assert "OK" in verify(path, "--offline", "--checkpoints", str(sink))
    with pytest.raises(CommandError, match="after neither the genesis nor a recorded checkpoint"):
        verify(path, "--offline")


def test_an_export_made_after_a_wipe_is_reported(log, tmp_path):
    _owner("TRUNCATE audit_auditevent")
    _write(2)
    with pytest.raises(CommandError, match="starts at event 7, after neither the genesis nor a recorded"):
        verify(_export(tmp_path))


def test_an_export_with_a_range_deleted_is_reported(log, tmp_path):
    _owner("DELETE FROM audit_auditevent WHERE seq = 3")
    with pytest.raises(CommandError, match="event 3 missing"):
        verify(_export(tmp_path))


@responses.activate
def test_the_checkpoint_goes_to_a_webhook_and_a_refusal_records_nothing(log, settings):
    settings.AUDIT_CHECKPOINT_SINK = "https://siem.bank.example/audit"
    responses.post("https://siem.bank.example/audit", status=503)
    with pytest.raises(SinkError, match="the webhook answered 503"):
        tasks.checkpoint()
    assert not AuditEvent.objects.filter(verb=chain.CHECKPOINT_VERB).exists()
    responses.replace(responses.POST, "https://siem.bank.example/audit", status=202)
    tasks.checkpoint()
    sent = json.loads(responses.calls[-1].request.body)
    assert sent["seq"] == 6
    assert chain.Checkpoint.from_json(sent, "webhook").is_genuine(settings.AUDIT_CHECKPOINT_KEY)


class _Rollback(Exception):
    pass


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_that_partly_roll_back_leave_no_gap_and_no_duplicate():
    import threading

    from django.db import connections, transaction

    before = AuditEvent.objects.count()
    failures = []

    def writer(n: int) -> None:
        try:
            for i in range(9):
                try:
                    with transaction.atomic():
                        audit_record(
                            actor=None, verb="note.add", object_type="inbox.note", object_id=f"{n}.{i}"
                        )
                        if i % 3 == 0:
                            raise _Rollback
                except _Rollback:
                    pass
        except Exception as exc:  # reported below, with the thread's number
            failures.append((n, exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    seqs = sorted(AuditEvent.objects.values_list("seq", flat=True))
    assert len(seqs) == before + 4 * 6
    assert seqs == list(range(1, len(seqs) + 1))
