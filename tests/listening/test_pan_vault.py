"""Card numbers never at rest in clear: masked at ingest, the original sealed, revealed on record,
purged by retention, re-sealed on key rotation, and converted where stored before."""

from __future__ import annotations

import datetime as dt
import importlib
import logging

import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from bankbuzz.api import webhooks
from bankbuzz.api.models import WebhookDelivery, WebhookEndpoint
from bankbuzz.audit import retention
from bankbuzz.audit.erasure import erasure_request_create
from bankbuzz.audit.models import AuditEvent
from inbox import reply_services, services
from inbox.models import Reply
from listening import pan_vault
from listening.models import Author, Mention, MentionOriginal, QuarantinedItem
from tests.factories import AuthorFactory, ConversationFactory, MentionFactory
from tests.inbox.replying import sandbox_conversation

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}

PAN = "4539 1488 0343 6467"
PAN_DIGITS = PAN.replace(" ", "")
NAME_PAN = "5425-2334-3010-9903"
NAME_PAN_DIGITS = NAME_PAN.replace("-", "")
TEXT = f"@northbridgebank my card {PAN} was charged twice, please block it"


def clear_pans_in_postgresql(*digit_strings: str) -> list[str]:
    """Every `table.column` of the database (text, varchar, JSON, tsvector) holding one of these
    numbers, in any layout: the column's digits, separators dropped, contain it."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT table_name, column_name FROM information_schema.columns
            WHERE table_schema = current_schema()
              AND data_type IN ('text', 'character varying', 'character', 'json', 'jsonb', 'tsvector')
              AND table_name IN (SELECT table_name FROM information_schema.tables
                                 WHERE table_schema = current_schema() AND table_type = 'BASE TABLE')
            """
        )
        columns = cursor.fetchall()
        assert len(columns) > 50  # the scan really covers the schema
        found = []
        for table, column in columns:
            for digits in digit_strings:
                cursor.execute(
                    f'SELECT count(*) FROM "{table}" '  # names from the catalogue
                    f"WHERE regexp_replace(\"{column}\"::text, '[^0-9]', '', 'g') LIKE %s",
                    [f"%{digits}%"],
                )
                if cursor.fetchone()[0]:
                    found.append(f"{table}.{column}")
    return found


@pytest.fixture
def webhook_endpoint(db):
    return WebhookEndpoint.objects.create(
        name="CRM",
        url="https://crm.bank.example/hooks/bankbuzz",
        events=["conversation.created"],
        secret_encrypted=webhooks.encrypt_secret("whsec_test-secret"),
    )


@pytest.fixture
def carded(sandbox, x_account, django_capture_on_commit_callbacks):
    """A customer whose display name and message both hold a card number, read from the sandbox."""
    author = {"id": "880001", "username": "pan_payer", "name": f"Pat {NAME_PAN}", "followers_count": 12}
    return sandbox_conversation(
        sandbox, x_account, django_capture_on_commit_callbacks, text=TEXT, author=author
    )


def test_ingest_masks_text_payload_and_author_and_seals_only_the_original_text(carded):
    mention = Mention.objects.get(network="x", thread_key=carded.thread_key)
    assert mention.text == TEXT.replace(PAN, "•••• •••• •••• 6467")
    assert PAN not in str(mention.raw) and "•••• •••• •••• 6467" in str(mention.raw)
    assert mention.has_pii and [f["kind"] for f in mention.pii_findings] == ["card"]
    author = Author.objects.get(pk=mention.author_id)
    assert author.name == "Pat ••••-••••-••••-9903"
    assert pan_vault.unseal(mention.original.sealed) == TEXT
    carded.refresh_from_db()
    assert PAN not in carded.preview


def test_no_clear_card_number_anywhere_after_ingest_reply_export_and_erasure(
    client, webhook_endpoint, carded, agent, manager, compliance, administrator, caplog, sandbox
):
    caplog.set_level(logging.DEBUG)
    assert WebhookDelivery.objects.filter(endpoint=webhook_endpoint).exists()
    # A colleague pastes the customer's words into a note.
    note = services.note_add(actor=agent, conversation=carded, text=f"They wrote {PAN} in public")
    assert note.text == "They wrote •••• •••• •••• 6467 in public"
    # An agent tries to repeat it (refused, in private too), then answers without it.
    client.force_login(agent)
    for channel in ("public", "private"):
        response = client.post(
            reverse("inbox:reply", args=[carded.pk]),
            {"version": carded.version, "saved_reply": "", "channel": channel, "text": f"Blocked {PAN}"},
            **HX,
        )
        assert response.status_code == 422
        assert "Send as a private message instead" not in response.content.decode()
    assert not Reply.objects.exists()
    reply = reply_services.reply_submit(
        actor=agent,
        conversation=carded,
        channel="public",
        text="We blocked the card ending 6467; a new one is on its way.",
        seen_version=None,
    )
    assert reply_services.reply_send(reply_id=reply.pk) == "sent"
    # Exports: the dashboard's rows and the audit log.
    client.force_login(manager)
    today = timezone.localdate().isoformat()
    csv = client.get(
        reverse("dashboards:rows_export"),
        {"from": today, "to": today, "range": "custom", "metric": "mentions"},
    )
    rows_csv = b"".join(csv.streaming_content).decode()
    assert csv.status_code == 200 and "6467" in rows_csv
    client.force_login(compliance)
    audit = client.get(reverse("audit:export"), {"start": today, "end": today, "format": "jsonl"})
    exported = b"".join(audit.streaming_content).decode()
    assert audit.status_code == 200 and "mention.unmask" not in exported
    # The API (as the manager's session) and the admin (as an administrator).
    mention = Mention.objects.get(network="x", thread_key=carded.thread_key, direction="in")
    client.force_login(manager)
    api = [
        client.get(f"/api/v1/mentions/{mention.pk}/", HTTP_ACCEPT="application/json"),
        client.get(f"/api/v1/conversations/{carded.pk}/", HTTP_ACCEPT="application/json"),
        client.get(f"/api/v1/replies/{reply.pk}/", HTTP_ACCEPT="application/json"),
    ]
    assert [r.status_code for r in api] == [200, 200, 200]
    client.force_login(administrator)
    admin = [
        client.get(reverse("admin:listening_mention_change", args=[mention.pk])),
        client.get(reverse("admin:listening_author_change", args=[mention.author_id])),
        client.get(reverse("admin:listening_mention_changelist")),
    ]
    assert [r.status_code for r in admin] == [200, 200, 200]
    pages = [r.content.decode() for r in (*api, *admin)]
    for body in (rows_csv, exported, caplog.text, *pages):
        assert PAN_DIGITS not in body.replace(" ", "").replace("-", "")
        assert NAME_PAN_DIGITS not in body.replace(" ", "").replace("-", "")

    assert clear_pans_in_postgresql(PAN_DIGITS, NAME_PAN_DIGITS) == []

    erasure_request_create(actor=compliance, network="x", handle="pan_payer")
    assert not MentionOriginal.objects.exists()
    assert clear_pans_in_postgresql(PAN_DIGITS, NAME_PAN_DIGITS) == []


def test_reveal_shows_the_original_and_is_recorded(client, carded, agent):
    mention = Mention.objects.get(network="x", thread_key=carded.thread_key)
    client.force_login(agent)
    pane = client.get(reverse("inbox:detail", args=[carded.pk]), **HX).content.decode()
    assert PAN not in pane and "Reveal (recorded)" in pane
    response = client.post(f"/inbox/c/{carded.pk}/messages/{mention.pk}/unmask/", **HX)
    assert response.status_code == 200 and PAN in response.content.decode()
    event = AuditEvent.objects.get(verb="mention.unmask")
    assert (event.actor, event.object_id, event.after["card_original"]) == (agent, str(mention.pk), "opened")


def test_retention_purges_the_sealed_original_and_reveal_shows_the_masked_text(client, carded, agent):
    mention = Mention.objects.get(network="x", thread_key=carded.thread_key)
    retention.retention_run(only=["listening.card_originals"], now=timezone.now() + dt.timedelta(days=29))
    assert MentionOriginal.objects.filter(mention=mention).exists()
    result = retention.retention_run(
        only=["listening.card_originals"], now=timezone.now() + dt.timedelta(days=31)
    )
    assert result.kinds["listening.card_originals"].done == 1
    assert not MentionOriginal.objects.exists()
    client.force_login(agent)
    text = client.post(f"/inbox/c/{carded.pk}/messages/{mention.pk}/unmask/", **HX).content.decode()
    assert PAN not in text and "•••• •••• •••• 6467" in text
    assert AuditEvent.objects.get(verb="mention.unmask").after["card_original"] == "none"


def test_a_card_in_a_link_is_masked_badged_and_revealable(
    client, sandbox, x_account, agent, django_capture_on_commit_callbacks
):
    text = f"@northbridgebank is this yours? https://pay.example/?pan={PAN_DIGITS}"
    conversation = sandbox_conversation(sandbox, x_account, django_capture_on_commit_callbacks, text=text)
    mention = Mention.objects.get(network="x", thread_key=conversation.thread_key)
    assert PAN_DIGITS not in mention.text and mention.text.endswith("pan=••••••••••••6467")
    assert mention.has_pii and [f["kind"] for f in mention.pii_findings] == ["card"]
    client.force_login(agent)
    assert (
        "Reveal (recorded)"
        in client.get(reverse("inbox:detail", args=[conversation.pk]), **HX).content.decode()
    )
    revealed = client.post(f"/inbox/c/{conversation.pk}/messages/{mention.pk}/unmask/", **HX).content.decode()
    assert PAN_DIGITS in revealed


def test_a_card_typed_without_its_space_is_masked_and_sealed(
    sandbox, x_account, django_capture_on_commit_callbacks
):
    text = f"@northbridgebank my card{PAN_DIGITS} was declined"
    conversation = sandbox_conversation(sandbox, x_account, django_capture_on_commit_callbacks, text=text)
    mention = Mention.objects.get(network="x", thread_key=conversation.thread_key)
    assert mention.text == "@northbridgebank my card••••••••••••6467 was declined"
    assert [f["kind"] for f in mention.pii_findings] == ["card"]
    assert pan_vault.unseal(mention.original.sealed) == text
    assert clear_pans_in_postgresql(PAN_DIGITS) == []


def test_a_legal_hold_on_the_person_keeps_the_sealed_original(carded, compliance):
    retention.legal_hold_place(
        actor=compliance, target_key="author", reference="x:pan_payer", reason="Case 7"
    )
    retention.retention_run(only=["listening.card_originals"], now=timezone.now() + dt.timedelta(days=31))
    assert MentionOriginal.objects.count() == 1


def test_key_rotation_reseals_and_the_old_key_can_go(settings, carded, agent):
    old = settings.PAN_VAULT_KEYS[0]
    new = Fernet.generate_key().decode()
    settings.PAN_VAULT_KEYS = [new, old]
    call_command("rotate_pan_vault_key", stdout=open("/dev/null", "w"))  # noqa: SIM115
    settings.PAN_VAULT_KEYS = [new]
    mention = Mention.objects.get(network="x", thread_key=carded.thread_key)
    assert pan_vault.unseal(MentionOriginal.objects.get(mention=mention).sealed) == TEXT
    assert AuditEvent.objects.get(verb="pan_vault.rotate").after == {"originals": 1}
    settings.PAN_VAULT_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(pan_vault.VaultUnreadable):
        pan_vault.unseal(MentionOriginal.objects.get(mention=mention).sealed)


def test_an_edit_reseals_the_new_text_or_ends_the_seal(
    sandbox, x_account, carded, django_capture_on_commit_callbacks
):
    from listening.services import account_poll

    mention = Mention.objects.get(network="x", thread_key=carded.thread_key)
    sandbox.post(
        network="x", kind="edit", edit_of=mention.external_id, text="@northbridgebank sorted, thanks"
    )
    with django_capture_on_commit_callbacks(execute=True):
        account_poll(account_id=x_account.pk)
    mention.refresh_from_db()
    assert mention.text == "@northbridgebank sorted, thanks"
    assert not MentionOriginal.objects.filter(mention=mention).exists()
    assert PAN not in str(mention.edit_history) and PAN not in str(mention.raw)


def test_the_data_migration_masks_what_was_stored_before(agent):
    author = AuthorFactory(network="x", name="Pat")
    mention = MentionFactory(
        network="x",
        author=author,
        text=TEXT,
        raw={"data": {"text": TEXT, "entities": [{"note": PAN}]}},
        edit_history=[f"first try {PAN}"],
    )
    item = QuarantinedItem.objects.create(
        account=mention.account, stream="mentions", reason="odd", raw={"t": PAN}
    )
    reply = Reply.objects.create(
        conversation=ConversationFactory(network="x", thread_key="legacy", customer=author),
        author=agent,
        channel="private",
        text="Your card",
    )
    # Stored as before: past the ORM, whose field now masks it (bankbuzz.cardmask).
    with connection.cursor() as cursor:
        cursor.execute("UPDATE inbox_reply SET text = %s WHERE id = %s", [f"Your card {PAN}", reply.pk])
        cursor.execute("UPDATE listening_author SET name = %s WHERE id = %s", [f"Pat {NAME_PAN}", author.pk])
    # The scan sees them where they are (so its silence elsewhere means something).
    assert set(clear_pans_in_postgresql(PAN_DIGITS, NAME_PAN_DIGITS)) >= {
        "listening_mention.text",
        "listening_mention.raw",
        "listening_mention.edit_history",
        "listening_author.name",
        "listening_quarantineditem.raw",
        "inbox_reply.text",
    }
    for name in (
        "listening.migrations.0009_mask_stored_card_numbers",
        "inbox.migrations.0010_mask_stored_card_numbers",
    ):
        importlib.import_module(name).forwards(apps, None)
    assert clear_pans_in_postgresql(PAN_DIGITS, NAME_PAN_DIGITS) == []
    mention.refresh_from_db()
    assert pan_vault.unseal(mention.original.sealed) == TEXT
    item.refresh_from_db()
    reply.refresh_from_db()
    assert item.raw == {"t": "•••• •••• •••• 6467"} and reply.text == "Your card •••• •••• •••• 6467"
