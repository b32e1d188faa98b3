"""An erasure request: anonymised where nothing obliges the bank to keep it, a report of the rest."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from bankbuzz.audit.erasure import erasure_request_create
from bankbuzz.audit.models import AuditEvent, ErasureRequest
from bankbuzz.audit.retention import REMOVED, RetentionError, legal_hold_place
from escalations.models import Escalation
from inbox.models import Conversation
from inbox.retention import ANONYMISED, SEVEN_YEARS
from inbox.services import conversation_reindex
from listening.models import Author, Mention
from tests.compliance.conftest import conversation, hit
from tests.escalations.conftest import make_department
from tests.factories import AuthorFactory

pytestmark = pytest.mark.django_db


def _jane(**fields):
    return AuthorFactory(
        handle="jane_doe",
        name="Jane Doe",
        avatar_url="https://pbs.example/jane.jpg",
        profile_url="https://x.com/jane_doe",
        followers=310,
        **fields,
    )


def _now():
    return timezone.now()


def _texts(conv):
    return set(Mention.objects.filter(thread_key=conv.thread_key).values_list("text", flat=True))


def test_a_person_with_nothing_the_bank_must_keep_is_anonymised_everywhere(compliance, agent):
    from escalations import services as escalation_services

    jane = _jane()
    stray = hit(jane, days=3, now=_now())
    unanswered = conversation(jane, days=5)
    conversation_reindex(conversation=unanswered)
    escalation = escalation_services.escalation_open(
        actor=agent, conversation=unanswered, department=make_department("Cards"), question="Jane asks why"
    )

    request = erasure_request_create(actor=compliance, network="x", handle="@Jane_Doe", reference="DSR-1")

    jane.refresh_from_db()
    assert (jane.handle, jane.name, jane.avatar_url, jane.profile_url, jane.followers) == (
        "",
        "Anonymised person",
        "",
        "",
        None,
    )
    assert jane.external_id.startswith("anon-")
    stray.refresh_from_db()
    assert (stray.text, stray.raw, stray.url) == (REMOVED, {}, "")
    assert _texts(unanswered) == {REMOVED}
    unanswered.refresh_from_db()
    assert unanswered.preview == ANONYMISED and unanswered.search_vector is None
    assert Conversation.objects.filter(search_handle="jane_doe").count() == 0
    assert Escalation.objects.get(pk=escalation.pk).question == REMOVED
    assert request.state == ErasureRequest.State.DONE and request.author_id == jane.pk
    assert request.report["counts"]["messages_anonymised"] == 1
    assert request.report["counts"]["conversations_anonymised"] == 1
    kept = {item["object"] for item in request.report["kept"]}
    assert kept == {"audit.auditevent"}, "only the audit log's own record is kept"
    event = AuditEvent.objects.get(verb="erasure.complete")
    assert event.actor == compliance and event.object_id == str(request.pk)
    assert "jane" not in str(event.after).lower() and "jane" not in event.object_repr.lower()


def test_answered_conversations_under_the_obligation_are_kept_verbatim_and_said_so(compliance):
    jane = _jane()
    answered = conversation(jane, days=30, answered=True)
    old_answered = conversation(jane, days=SEVEN_YEARS + 30, answered=True)
    stray = hit(jane, days=3, now=_now())
    # The run's clock is the real one here: last activity yesterday, and seven years and a month ago.
    Conversation.objects.filter(pk=answered.pk).update(last_activity_at=_now() - timedelta(days=1))
    Conversation.objects.filter(pk=old_answered.pk).update(
        last_activity_at=_now() - timedelta(days=SEVEN_YEARS + 30)
    )

    request = erasure_request_create(actor=compliance, author_id=jane.pk, reference="DSR-2")

    assert _texts(answered) == {"My card 4111 1111 1111 1111 was declined"}, "the record is kept as it was"
    for message in Mention.objects.filter(thread_key=answered.thread_key):
        assert "user" not in message.raw and message.raw["tweet"] == {"text": "My card"}
    assert _texts(old_answered) == {REMOVED}
    stray.refresh_from_db()
    assert stray.text == REMOVED
    jane.refresh_from_db()
    assert (jane.handle, jane.avatar_url, jane.followers) == ("jane_doe", "", None)
    kept = {item["object"]: item["reason"] for item in request.report["kept"]}
    reason = kept[f"inbox.conversation:{answered.pk}"]
    assert "answered by the bank" in reason and "kept verbatim until" in reason
    assert "name, handle" in next(
        i["what"] for i in request.report["kept"] if i["object"].startswith("listening.author")
    )
    assert f"inbox.conversation:{old_answered.pk}" not in kept


def test_a_held_conversation_is_kept_and_the_hold_named(compliance):
    jane = _jane()
    held = conversation(jane, days=5)
    legal_hold_place(
        actor=compliance, target_key="conversation", reference=str(held.pk), reason="FOS case 12"
    )
    request = erasure_request_create(actor=compliance, network="x", handle="jane_doe")
    assert _texts(held) == {"My card 4111 1111 1111 1111 was declined"}
    reason = {i["object"]: i["reason"] for i in request.report["kept"]}[f"inbox.conversation:{held.pk}"]
    assert "legal hold" in reason and "chris" in reason and "FOS case 12" in reason


def test_a_held_person_is_not_touched(compliance):
    jane = _jane()
    stray = hit(jane, days=3, now=_now())
    legal_hold_place(actor=compliance, target_key="author", reference="x:jane_doe", reason="Fraud inquiry")
    request = erasure_request_create(actor=compliance, network="x", handle="jane_doe")
    jane.refresh_from_db()
    stray.refresh_from_db()
    assert jane.handle == "jane_doe" and jane.avatar_url and stray.text != REMOVED
    (item,) = [i for i in request.report["kept"] if i["object"] == f"listening.author:{jane.pk}"]
    assert "Fraud inquiry" in item["reason"]
    assert request.report["anonymised"] == []


def test_nobody_found_is_recorded_and_a_request_needs_a_person(compliance):
    request = erasure_request_create(actor=compliance, network="x", handle="nobody_here")
    assert request.state == ErasureRequest.State.NOT_FOUND
    assert AuditEvent.objects.filter(verb="erasure.not_found", object_id=str(request.pk)).exists()
    with pytest.raises(RetentionError):
        erasure_request_create(actor=compliance, network="x", handle="")


def test_erasing_twice_changes_nothing_more(compliance):
    jane = _jane()
    conversation(jane, days=5)
    erasure_request_create(actor=compliance, author_id=jane.pk)
    snapshot = list(Mention.objects.filter(author=jane).values_list("external_id", "text"))
    second = erasure_request_create(actor=compliance, author_id=jane.pk)
    assert list(Mention.objects.filter(author=jane).values_list("external_id", "text")) == snapshot
    assert Author.objects.get(pk=jane.pk).name == "Anonymised person"
    assert second.report["counts"].get("messages_anonymised", 0) == 0


def test_notifications_and_a_colleagues_search_index_lose_the_person(compliance, agent):
    from django.urls import reverse

    from bankbuzz.accounts.notifications import notify
    from tests.factories import MentionFactory

    jane = _jane()
    own = conversation(jane, days=5)
    (note,) = notify(
        recipients=[agent],
        verb="note.mention",
        text="Laura mentioned you on @jane_doe",
        url=reverse("inbox:detail", args=[own.pk]) + "#note-3",
    )
    # Jane also replied in Bob's thread; Bob's conversation is searchable by her words.
    bobs = conversation(days=5)
    MentionFactory(
        author=jane, network=bobs.network, thread_key=bobs.thread_key, text="Same here, zebracorn error"
    )
    conversation_reindex(conversation=bobs)
    assert Conversation.objects.filter(pk=bobs.pk, search_vector="zebracorn").exists()

    erasure_request_create(actor=compliance, author_id=jane.pk)

    note.refresh_from_db()
    assert "jane" not in note.text
    assert not Conversation.objects.filter(pk=bobs.pk, search_vector="zebracorn").exists()
    assert Mention.objects.filter(thread_key=bobs.thread_key).exclude(author=jane).count() == 2, (
        "Bob's own words stay"
    )
