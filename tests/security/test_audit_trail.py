"""The compliance page, unmasking audited, the hash-chained export and `audit_verify`."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from bankbuzz.audit.models import AuditEvent
from bankbuzz.audit.services import audit_record
from tests.factories import ConversationFactory, MentionFactory


@pytest.fixture
def history(agent, lead):
    events = []
    for n in range(7):
        actor = agent if n % 2 else lead
        events.append(
            audit_record(
                actor=actor,
                verb="conversation.status" if n % 3 else "note.add",
                object_type="inbox.conversation",
                object_id=str(100 + n % 2),
                object_repr=f'@jane, "quoted", comma {n}',
                before={"status": "new"},
                after={"status": "open", "text": 'línea\nnueva, "q"'},
            )
        )
    return events


def test_only_compliance_and_admins_read_the_audit_log(client, agent, manager, compliance, administrator):
    for person, status in ((agent, 403), (manager, 403), (compliance, 200), (administrator, 200)):
        client.force_login(person)
        assert client.get(reverse("audit:log")).status_code == status
        assert client.get(
            reverse("audit:export"), {"start": "2026-01-01", "end": "2026-01-02", "format": "csv"}
        ).status_code in {status, 200}


def test_the_page_filters_by_actor_verb_object_and_time(client, compliance, history):
    client.force_login(compliance)

    def shown(**params):
        html = client.get(reverse("audit:log"), params).content.decode()
        return {e.pk for e in history if f'data-audit-event="{e.pk}"' in html}

    assert shown(actor="amira") == {e.pk for e in history if e.actor_label == "amira"}
    assert shown(verb="note.add") == {e.pk for e in history if e.verb == "note.add"}
    assert shown(verb="conversation.") == {e.pk for e in history if e.verb.startswith("conversation.")}
    assert shown(object_type="inbox.conversation", object_id="101") == {
        e.pk for e in history if e.object_id == "101"
    }
    today = timezone.localdate()
    assert shown(start=today.isoformat(), end=today.isoformat()) == {e.pk for e in history}
    assert shown(end=(today - dt.timedelta(days=1)).isoformat()) == set()


def test_keyset_pages_walk_every_event_once(compliance, history):
    from bankbuzz.audit.selectors import AuditFilters, audit_page

    seen, cursor = [], ""
    while True:
        page = audit_page(AuditFilters(), cursor=cursor, size=3)
        seen.extend(e.pk for e in page.events)
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert seen == list(AuditEvent.objects.order_by("-at", "-id").values_list("pk", flat=True))


def test_the_page_escapes_what_it_shows(client, compliance):
    audit_record(
        actor=None,
        verb="x",
        object_type="t",
        object_repr="<script>alert(1)</script>",
        after={"t": "<img src=x>"},
    )
    client.force_login(compliance)
    html = client.get(reverse("audit:log"), {"system": "on"}).content.decode()  # a system event
    assert "<script>alert(1)" not in html and "<img src=x>" not in html
    assert "&lt;script&gt;" in html and "&lt;img src=x&gt;" in html


def test_every_unmask_is_audited_and_readers_cannot_unmask(client, agent, manager):
    conversation = ConversationFactory(status="open")
    mention = MentionFactory(
        author=conversation.customer,
        thread_key=conversation.thread_key,
        text="my card is 4111 1111 1111 1111",
    )
    url = reverse("inbox:unmask", args=[conversation.pk, mention.pk])
    client.force_login(manager)
    assert client.post(url).status_code == 403
    assert not AuditEvent.objects.filter(verb="mention.unmask").exists()
    client.force_login(agent)
    response = client.post(url)
    assert response.status_code == 200 and "4111 1111 1111 1111" in response.content.decode()
    event = AuditEvent.objects.get(verb="mention.unmask")
    assert (event.actor, event.object_id) == (agent, str(mention.pk))
    assert "4111" not in json.dumps(event.after)  # the record says what was read, not the data


def _export(client, fmt, start=None, end=None):
    today = timezone.localdate()
    response = client.get(
        reverse("audit:export"),
        {
            "start": (start or today - dt.timedelta(days=7)).isoformat(),
            "end": (end or today).isoformat(),
            "format": fmt,
        },
    )
    assert response.status_code == 200, response.content[:500]
    return b"".join(response.streaming_content)


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_an_export_verifies_and_is_recorded(client, compliance, history, tmp_path, fmt, capsys):
    client.force_login(compliance)
    count = AuditEvent.objects.count()
    data = _export(client, fmt)
    recorded = AuditEvent.objects.get(verb="audit.export")
    assert recorded.actor == compliance and recorded.after["rows"] == count
    path = tmp_path / f"audit.{fmt}"
    path.write_bytes(data)
    call_command("audit_verify", str(path))
    assert f"OK: {count} rows" in capsys.readouterr().out


def _lines(data: bytes) -> list[bytes]:
    return data.decode().splitlines(keepends=True)


TAMPERINGS = {
    "one byte changed": lambda lines: [lines[0], lines[1], lines[2].replace("T", "t", 1), *lines[3:]],
    "a row removed": lambda lines: [lines[0], lines[1], *lines[3:]],
    "the first row removed": lambda lines: [lines[0], *lines[2:]],
    "two rows swapped": lambda lines: [lines[0], lines[1], lines[3], lines[2], *lines[4:]],
    "the last row and the trailer removed": lambda lines: lines[:-2],
    "the trailer removed": lambda lines: lines[:-1],
    "the last row removed": lambda lines: [*lines[:-2], lines[-1]],
}


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
@pytest.mark.parametrize("tampering", sorted(TAMPERINGS))
def test_audit_verify_detects_tampering(client, compliance, history, tmp_path, fmt, tampering):
    client.force_login(compliance)
    lines = _lines(_export(client, fmt))
    if fmt == "jsonl":
        lines = ["\n", *lines]  # line 0 plays the CSV header's part in the lambdas above
    tampered = "".join(TAMPERINGS[tampering](lines)).lstrip("\n")
    path = tmp_path / f"audit.{fmt}"
    path.write_text(tampered)
    with pytest.raises(CommandError, match="FAILED"):
        call_command("audit_verify", str(path))


def test_a_rehashed_file_is_caught_by_the_recorded_head(client, compliance, history, tmp_path):
    """Someone edits a row and recomputes every hash: the chain holds, the recorded head does not."""
    from bankbuzz.audit import export

    client.force_login(compliance)
    data = _export(client, "jsonl").decode().splitlines()
    rows = [json.loads(line) for line in data[:-1]]
    trailer = json.loads(data[-1])["trailer"]
    rows[0]["actor"] = "someone-else"
    prev = export.genesis(dt.date.fromisoformat(trailer["start"]), dt.date.fromisoformat(trailer["end"]))
    for row in rows:
        row["prev_hash"] = prev
        row["hash"] = prev = export.row_hash(prev, row)
    trailer["head"] = prev
    path = tmp_path / "rehashed.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows) + json.dumps({"trailer": trailer}) + "\n")
    call_command("audit_verify", str(path), "--offline")  # the chain alone holds
    with pytest.raises(CommandError, match="no export with this head hash"):
        call_command("audit_verify", str(path))


def test_a_bad_export_range_is_refused(client, compliance):
    client.force_login(compliance)
    response = client.get(
        reverse("audit:export"), {"start": "2026-02-02", "end": "2026-02-01", "format": "csv"}
    )
    assert response.status_code == 422
    assert not AuditEvent.objects.filter(verb="audit.export").exists()


def test_audit_export_command(tmp_path, history, capsys):
    path = tmp_path / "out.jsonl"
    count = AuditEvent.objects.count()
    today = timezone.localdate().isoformat()
    call_command("audit_export", "--start", today, "--end", today, "--format", "jsonl", "--output", str(path))
    call_command("audit_verify", str(path))
    assert f"OK: {count} rows" in capsys.readouterr().out


def test_audit_verify_offline_runs_on_a_machine_without_the_servers(client, compliance, history, tmp_path):
    """As the README writes it: no DATABASE_URL, REDIS_URL nor any secret on the checking machine."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    client.force_login(compliance)
    path = tmp_path / "audit.jsonl"
    path.write_bytes(_export(client, "jsonl"))
    unset = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG", "DJANGO_SETTINGS_MODULE")
    env = {key: value for key, value in os.environ.items() if key not in unset}
    root = Path(__file__).resolve().parents[2]
    command = [sys.executable, str(root / "manage.py"), "audit_verify", str(path), "--offline"]
    result = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert f"{path}: OK:" in result.stdout
    path.write_text(path.read_text().replace(compliance.username, "someone-else", 1))
    result = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "FAILED" in result.stderr
