"""note_add: internal notes, @mentions, in-app notifications and e-mails."""

import pytest
from django.core import mail

from bankbuzz.accounts.models import Notification
from bankbuzz.audit.models import AuditEvent
from inbox import services

pytestmark = pytest.mark.django_db


def test_a_note_mentions_colleagues_who_get_a_notification_and_an_email(
    agent, other_agent, lead, specialist, conversation, eager_emails, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        note = services.note_add(
            actor=agent,
            conversation=conversation,
            text="@ben @LAURA please check. @sam is a specialist, @amira is me, @nobody does not exist.",
        )
    assert set(note.mentioned.all()) == {other_agent, lead}
    notifications = Notification.objects.order_by("recipient__username")
    assert [n.recipient for n in notifications] == [other_agent, lead]
    assert notifications[0].text == "Amira Khan mentioned you in a note on @rosa_garcia"
    assert notifications[0].url == f"/inbox/c/{conversation.pk}/#note-{note.pk}"
    assert sorted(m.to[0] for m in mail.outbox) == ["ben@bank.example", "laura@bank.example"]
    assert "http://" in mail.outbox[0].body and f"/inbox/c/{conversation.pk}/" in mail.outbox[0].body
    assert all(n.emailed_at for n in Notification.objects.all())
    audit = AuditEvent.objects.get(verb="note.add")
    assert audit.after == {"note": note.pk, "mentioned": ["ben", "laura"]}


def test_an_email_is_sent_once_even_if_the_task_runs_twice(other_agent, agent, conversation, eager_emails):
    from bankbuzz.accounts.notifications import notification_emails_send

    services.note_add(actor=agent, conversation=conversation, text="@ben look")
    ids = list(Notification.objects.values_list("pk", flat=True))
    assert notification_emails_send(notification_ids=ids) == 1
    assert notification_emails_send(notification_ids=ids) == 0
    assert len(mail.outbox) == 1


def test_an_email_address_at_the_end_of_a_sentence_is_not_a_mention(agent, other_agent, conversation):
    note = services.note_add(actor=agent, conversation=conversation, text="Write to ben@bank.example.")
    assert not note.mentioned.exists()


def test_empty_and_overlong_notes_are_refused(agent, conversation):
    with pytest.raises(services.InboxError, match="empty"):
        services.note_add(actor=agent, conversation=conversation, text="   ")
    with pytest.raises(services.InboxError, match="5,000"):
        services.note_add(actor=agent, conversation=conversation, text="x" * 5001)


def test_readers_cannot_write_notes(manager, conversation):
    with pytest.raises(services.InboxError):
        services.note_add(actor=manager, conversation=conversation, text="hello")
