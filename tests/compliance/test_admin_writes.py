"""The Django admin looks, it does not write around the services; a legal hold holds in PostgreSQL.

Requests are sent as the admin's own forms and buttons send them: the delete confirmation
(`post=yes`), the bulk action on the changelist, and the add form with every field filled.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from bankbuzz.audit.models import AuditEvent
from bankbuzz.audit.retention import legal_hold_lift, legal_hold_place
from inbox import services as inbox_services
from inbox.models import Conversation, ConversationEvent, Note, Reply
from listening.models import Author, Mention
from tests.factories import AuthorFactory, ConversationFactory, MentionFactory

pytestmark = pytest.mark.django_db

# Every model whose rows are the record of what customers said and the bank did.
RECORDS = (
    "listening.mention",
    "listening.author",
    "inbox.conversation",
    "inbox.note",
    "inbox.conversationevent",
    "inbox.reply",
    "escalations.escalation",
    "escalations.escalationevent",
    "escalations.kudos",
    "audit.auditevent",
    "axes.accesslog",
    "axes.accessfailurelog",
)


@pytest.fixture
def thread(agent):
    customer = AuthorFactory(handle="jane_doe")
    conversation = ConversationFactory(customer=customer, assignee=agent)
    mention = MentionFactory(
        author=customer, network=conversation.network, thread_key=conversation.thread_key
    )
    note = inbox_services.note_add(actor=agent, conversation=conversation, text="Called her back")
    return conversation, mention, note


def test_no_admin_offers_to_add_or_delete_a_record(rf, administrator):
    request = rf.get("/admin/")
    request.user = administrator
    for model, model_admin in admin.site._registry.items():
        if model._meta.label_lower not in RECORDS:
            continue
        assert not model_admin.has_add_permission(request), model._meta.label
        assert not model_admin.has_delete_permission(request), model._meta.label
        assert "delete_selected" not in model_admin.get_actions(request), model._meta.label


def test_the_admin_cannot_delete_a_message_or_a_note(client, administrator, thread):
    conversation, mention, note = thread
    client.force_login(administrator)
    for model, obj in (
        ("listening_mention", mention),
        ("inbox_note", note),
        ("inbox_conversation", conversation),
    ):
        response = client.post(reverse(f"admin:{model}_delete", args=[obj.pk]), {"post": "yes"})
        assert response.status_code == 403, model
        bulk = client.post(
            reverse(f"admin:{model}_changelist"),
            {"action": "delete_selected", "_selected_action": [str(obj.pk)], "post": "yes", "index": "0"},
        )
        assert bulk.status_code in (200, 302), model
        assert type(obj).objects.filter(pk=obj.pk).exists(), model
    assert Note.objects.filter(pk=note.pk).exists() and Mention.objects.filter(pk=mention.pk).exists()


def test_the_admin_cannot_forge_a_note_or_a_message(client, administrator, lead, thread):
    conversation, mention, _ = thread
    client.force_login(administrator)
    notes_before = Note.objects.count()
    forged_note = client.post(
        reverse("admin:inbox_note_add"),
        {
            "conversation": str(conversation.pk),
            "author": str(lead.pk),
            "text": "Customer admitted the fraud",
            "created_at_0": "2020-01-01",
            "created_at_1": "09:00:00",
        },
    )
    assert forged_note.status_code == 403
    assert Note.objects.count() == notes_before
    forged_message = client.post(
        reverse("admin:listening_mention_add"),
        {
            "network": mention.network,
            "external_id": "forged-1",
            "author": str(mention.author_id),
            "kind": mention.kind,
            "direction": "in",
            "text": "I withdraw my complaint",
            "thread_key": mention.thread_key,
            "created_at_0": "2020-01-01",
            "created_at_1": "09:00:00",
        },
    )
    assert forged_message.status_code == 403
    assert not Mention.objects.filter(external_id="forged-1").exists()
    assert (
        client.post(
            reverse("admin:inbox_note_change", args=[note_pk(conversation)]), {"text": "x"}
        ).status_code
        == 403
    )


def note_pk(conversation) -> int:
    return Note.objects.filter(conversation=conversation).values_list("pk", flat=True).first()


def test_an_admin_change_is_audited_with_what_changed(client, administrator, agent):
    # The admin's form shows whole seconds; a stored fraction would read as a change.
    type(agent).objects.filter(pk=agent.pk).update(date_joined=agent.date_joined.replace(microsecond=0))
    agent.refresh_from_db()
    client.force_login(administrator)
    url = reverse("admin:accounts_user_change", args=[agent.pk])
    form = client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(
        {
            "username": agent.username,
            "first_name": "Amira",
            "last_name": "Khan-Smith",
            "email": agent.email,
            "is_active": "on",
            "groups": [str(pk) for pk in agent.groups.values_list("pk", flat=True)],
            "user_permissions": [],
            "date_joined_0": agent.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": agent.date_joined.strftime("%H:%M:%S"),
            "last_login_0": "",
            "last_login_1": "",
        }
    )
    data = {
        k: v for k, v in data.items() if not isinstance(v, bool) and k not in ("is_staff", "is_superuser")
    }
    data["is_trainee"] = ""
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    agent.refresh_from_db()
    assert agent.last_name == "Khan-Smith"
    event = AuditEvent.objects.filter(verb="admin.change", object_id=str(agent.pk)).get()
    assert event.actor == administrator
    assert event.before == {"last_name": "Khan"}
    assert event.after == {"where": "admin", "last_name": "Khan-Smith"}


def test_a_password_set_in_the_admin_is_audited_without_the_password(client, administrator, agent):
    client.force_login(administrator)
    response = client.post(
        reverse("admin:auth_user_password_change", args=[agent.pk]),
        {
            "password1": "a-new-long-passphrase-77",
            "password2": "a-new-long-passphrase-77",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(verb="admin.change", object_id=str(agent.pk))
    assert event.after == {"where": "admin", "password": "(changed)"}
    assert "passphrase" not in str(event.before) + str(event.after)


def test_unlocking_a_login_in_the_admin_is_audited(client, administrator):
    from axes.models import AccessAttempt

    attempt = AccessAttempt.objects.create(username="amira", ip_address="203.0.113.9", failures_since_start=5)
    client.force_login(administrator)
    response = client.post(reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(pk=attempt.pk).exists()
    assert AuditEvent.objects.filter(verb="admin.delete", object_type="axes.accessattempt").exists()


# --- Legal holds in PostgreSQL ---------------------------------------------------------------


def _raw_delete(table: str, pk: int) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE id = %s", [pk])


def test_a_raw_delete_of_a_held_conversations_rows_fails(compliance, agent, thread):
    conversation, mention, note = thread
    inbox_services.note_add(actor=agent, conversation=conversation, text="second")
    reply = Reply.objects.create(conversation=conversation, author=agent, channel="public", text="Sorry!")
    event = ConversationEvent.objects.filter(conversation=conversation).first()
    legal_hold_place(
        actor=compliance, target_key="conversation", reference=str(conversation.pk), reason="FOS 1"
    )
    for table, pk in (
        ("inbox_note", note.pk),
        ("inbox_reply", reply.pk),
        ("inbox_conversationevent", event.pk),
        ("listening_mention", mention.pk),
        ("inbox_conversation", conversation.pk),
    ):
        with pytest.raises(IntegrityError, match=rf"legal hold: {table} row {pk} is under a legal hold"):
            _raw_delete(table, pk)
    with pytest.raises(IntegrityError, match="legal hold"), transaction.atomic():
        Conversation.objects.filter(pk=conversation.pk).delete()  # the ORM's cascade too
    assert Note.objects.filter(pk=note.pk).exists() and Mention.objects.filter(pk=mention.pk).exists()


def test_a_raw_delete_of_a_held_persons_rows_fails_and_others_go(compliance):
    held, free = AuthorFactory(), AuthorFactory()
    held_message, free_message = MentionFactory(author=held), MentionFactory(author=free)
    legal_hold_place(actor=compliance, target_key="author", reference=str(held.pk), reason="Case 77")
    with pytest.raises(IntegrityError, match=f"listening_mention row {held_message.pk}"):
        _raw_delete("listening_mention", held_message.pk)
    with pytest.raises(IntegrityError, match=f"listening_author row {held.pk}"):
        _raw_delete("listening_author", held.pk)
    _raw_delete("listening_mention", free_message.pk)
    _raw_delete("listening_author", free.pk)
    assert not Author.objects.filter(pk=free.pk).exists()
    assert Author.objects.filter(pk=held.pk).exists() and Mention.objects.filter(pk=held_message.pk).exists()


def test_a_lifted_hold_lets_the_row_be_deleted(compliance, thread):
    conversation, _, note = thread
    hold = legal_hold_place(
        actor=compliance, target_key="conversation", reference=str(conversation.pk), reason="x"
    )
    with pytest.raises(IntegrityError):
        _raw_delete("inbox_note", note.pk)
    legal_hold_lift(actor=compliance, hold=hold, reason="Case closed")
    _raw_delete("inbox_note", note.pk)
    assert not Note.objects.filter(pk=note.pk).exists()
