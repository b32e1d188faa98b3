"""Answering everyone: personal replies through the inbox's outbox, paced, with hold-backs."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from inbox import reply_services
from inbox.models import Conversation, Reply
from incidents import publishing, services
from incidents.models import IncidentConversation
from listening.models import Mention
from tests.inbox.replying import drain_queue
from tests.inbox.world import customer_message
from tests.incidents.conftest import customer, poll, post_and_poll

pytestmark = pytest.mark.django_db

TEMPLATE = "Hi {customer_name}, sorry: the app is down for some customers. Updates here: {status_link}"
STATUS = "Some customers cannot log in to the app. We are on it."


@pytest.fixture(autouse=True)
def _clean_queue():
    yield
    drain_queue()


def open_with_status_post(*, lead, checker, accounts, terms="app down"):
    incident = services.incident_open(actor=lead, name="App outage", terms=terms, networks=["x", "facebook"])
    post = publishing.post_submit(
        actor=lead, text=STATUS, accounts=accounts, purpose="status", incident=incident
    )
    publishing.post_approve(actor=checker, post=post)
    for delivery in post.deliveries.all():
        assert publishing.delivery_publish(delivery_id=delivery.pk) == "sent"
    return incident


def test_everyone_gets_one_personal_reply_in_batches_within_the_rate_limit(
    settings, sandbox, x_account, lead, checker, agent, django_capture_on_commit_callbacks
):
    settings.INCIDENT_REPLY_PACE = {"x": (2, 900)}
    conversations = post_and_poll(
        sandbox,
        x_account,
        django_capture_on_commit_callbacks,
        [{"text": f"@northbridgebank is the app down? #{i}", "author": customer(i)} for i in range(5)],
    )
    incident = open_with_status_post(lead=lead, checker=checker, accounts=[x_account])
    with pytest.raises(services.IncidentError, match="Only social leads"):
        services.incident_replies_send(actor=agent, incident=incident)
    services.incident_replies_prepare(actor=lead, incident=incident, text=TEMPLATE)
    now = timezone.now()
    outcome = services.incident_replies_send(actor=lead, incident=incident, now=now)
    assert len(outcome.queued) == 5 and not outcome.held

    replies = list(Reply.objects.filter(conversation__in=conversations).order_by("pk"))
    assert len(replies) == 5
    assert {r.state for r in replies} == {Reply.State.QUEUED}
    # Two now, two after 15 minutes, one after 30: X's budget is never exceeded.
    assert [r.not_before for r in replies] == [
        None,
        None,
        now + dt.timedelta(seconds=900),
        now + dt.timedelta(seconds=900),
        now + dt.timedelta(seconds=1800),
    ]
    # Personal: each reply names its own customer and links the status post on X.
    link = incident.posts.get().deliveries.get().url
    by_conversation = {reply.conversation_id: reply for reply in replies}
    assert set(by_conversation) == {conversation.pk for conversation in conversations}
    for number, conversation in enumerate(conversations):
        assert by_conversation[conversation.pk].text.startswith(f"Hi Jo{number},")
        assert link in by_conversation[conversation.pk].text
    # The relay hands over only the first batch; the rest wait for their turn.
    assert sorted(reply_services.replies_dispatch(now=now)) == [replies[0].pk, replies[1].pk]
    for reply in replies[:2]:
        assert reply_services.reply_send(reply_id=reply.pk) == "sent"
    with pytest.raises(reply_services.RetryLater):
        reply_services.reply_send(reply_id=replies[2].pk)
    sent = [s for s in sandbox.sent("x") if s["kind"] == "reply"]
    assert len(sent) == 2

    # A second run finds nobody left to answer: nobody gets two.
    again = services.incident_replies_send(actor=lead, incident=incident)
    assert again.queued == [] and Reply.objects.filter(conversation__in=conversations).count() == 5

    # Each is an ordinary reply: withdrawable while queued.
    reply_services.reply_withdraw(actor=lead, reply=replies[4])
    assert Reply.objects.get(pk=replies[4].pk).state == Reply.State.CANCELLED


def test_a_fraud_report_inside_the_outage_is_held_back_for_a_person(
    sandbox, x_account, lead, checker, django_capture_on_commit_callbacks
):
    plain, fraud, card = post_and_poll(
        sandbox,
        x_account,
        django_capture_on_commit_callbacks,
        [
            {"text": "@northbridgebank is the app down? cannot log in since 9", "author": customer(1)},
            {
                "text": "@northbridgebank app down and someone took £200 from my account, "
                "I did not make that payment!",
                "author": customer(2),
            },
            {
                "text": "@northbridgebank app down, my card 4111 1111 1111 1111 is blocked",
                "author": customer(3),
            },
        ],
    )
    incident = open_with_status_post(lead=lead, checker=checker, accounts=[x_account])
    services.incident_replies_prepare(actor=lead, incident=incident, text=TEMPLATE)
    outcome = services.incident_replies_send(actor=lead, incident=incident)

    assert outcome.queued == [plain.pk]
    assert set(outcome.held) == {fraud.pk, card.pk}
    assert "unsure" in outcome.held[fraud.pk] or "fraud" in outcome.held[fraud.pk]
    assert "personal data" in outcome.held[card.pk]
    assert not Reply.objects.filter(conversation__in=[fraud, card]).exists()
    held = IncidentConversation.objects.get(incident=incident, conversation=fraud)
    assert "a person answers it" in held.held_reason


def test_a_message_labelled_fraud_is_held_whatever_the_confidence(lead, checker, x_account):
    conversation = customer_message(text="@northbridgebank app down, also a strange payment", thread="t-f1")
    Mention.objects.filter(thread_key="t-f1").update(intent="fraud", intent_confidence=0.3)
    incident = services.incident_open(actor=lead, name="Outage", terms="app down", networks=["x"])
    services.incident_replies_prepare(actor=lead, incident=incident, text="Hi {customer_name}, we are on it.")
    outcome = services.incident_replies_send(actor=lead, incident=incident)
    assert "reads as fraud" in outcome.held[conversation.pk]


def test_a_fraud_report_the_model_reads_as_an_outage_is_held_until_a_person_corrects_it(lead, x_account):
    """The words decide where the model is sure of the wrong thing; a person's label decides over both."""
    conversation = customer_message(
        text="@northbridgebank app down and someone took £200 from my account, I did not make that payment!",
        thread="t-f2",
    )
    Mention.objects.filter(thread_key="t-f2").update(intent="outage", intent_confidence=0.9)
    incident = services.incident_open(actor=lead, name="Outage", terms="app down", networks=["x"])
    services.incident_replies_prepare(actor=lead, incident=incident, text="Hi {customer_name}, we are on it.")
    outcome = services.incident_replies_send(actor=lead, incident=incident)
    assert "fraud" in outcome.held[conversation.pk]
    assert not Reply.objects.filter(conversation=conversation).exists()

    # An agent reads it and labels it an outage after all (a corrected label is certain): answered.
    Mention.objects.filter(thread_key="t-f2").update(intent_confidence=1.0)
    outcome = services.incident_replies_send(actor=lead, incident=incident)
    assert outcome.queued == [conversation.pk]


def test_a_closed_messenger_window_holds_the_conversation(lead, agent):
    conversation = customer_message(
        text="app down, cannot pay", thread="m:t_77", network="facebook", kind="direct", minutes_ago=25 * 60
    )
    Mention.objects.filter(thread_key="m:t_77").update(intent="outage", intent_confidence=0.9)
    incident = services.incident_open(actor=lead, name="Outage", terms="app down", networks=["facebook"])
    # Older than the backfill's day: an agent adds it by hand.
    services.incident_conversation_add(actor=agent, incident=incident, conversation=conversation)
    services.incident_replies_prepare(actor=lead, incident=incident, text="Hi {customer_name}, we are on it.")
    outcome = services.incident_replies_send(actor=lead, incident=incident)
    assert "24-hour window closed" in outcome.held[conversation.pk]
    assert not Reply.objects.filter(conversation=conversation).exists()


def test_the_status_link_needs_a_published_status_post(lead):
    incident = services.incident_open(actor=lead, name="Outage", terms="app down", networks=["x"])
    with pytest.raises(services.IncidentError, match="not published yet"):
        services.incident_replies_prepare(actor=lead, incident=incident, text=TEMPLATE)
    with pytest.raises(services.IncidentError, match="Unknown variable"):
        services.incident_replies_prepare(actor=lead, incident=incident, text="Hi {first_name}")


def test_resolving_sends_the_follow_up_and_resolves_all_but_those_who_wrote_again(
    sandbox, x_account, lead, checker, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    quiet, talker = post_and_poll(
        sandbox,
        x_account,
        capture,
        [
            {"text": "@northbridgebank is the app down?", "author": customer(1)},
            {"text": "@northbridgebank app down here too", "author": customer(2)},
        ],
    )
    incident = open_with_status_post(lead=lead, checker=checker, accounts=[x_account])
    services.incident_replies_prepare(actor=lead, incident=incident, text=TEMPLATE)
    services.incident_replies_send(actor=lead, incident=incident)
    for reply in Reply.objects.filter(conversation__in=[quiet, talker]):
        assert reply_services.reply_send(reply_id=reply.pk) == "sent"

    # The second customer answers our reply with something new.
    ours = Reply.objects.get(conversation=talker)
    sandbox.post(network="x", kind="reply", text="@northbridgebank also my salary is missing",
                 author=customer(2), in_reply_to=ours.external_id)  # fmt: skip
    poll(x_account, capture)

    services.incident_resolve(actor=lead, incident=incident, follow_up_text="Hi {customer_name}, it's fixed.")
    outcome = services.incident_follow_ups_send(actor=lead, incident=incident)
    assert outcome.queued == [quiet.pk]
    assert outcome.skipped == [talker.pk]
    quiet.refresh_from_db()
    talker.refresh_from_db()
    assert quiet.status == Conversation.Status.RESOLVED
    assert talker.status != Conversation.Status.RESOLVED
    follow_up = Reply.objects.get(conversation=quiet, text__contains="it's fixed")
    assert reply_services.reply_send(reply_id=follow_up.pk) == "sent"
    quiet.refresh_from_db()
    assert quiet.status == Conversation.Status.RESOLVED

    # Resolved: new messages with the terms no longer join, and a customer who writes again
    # reopens only their own conversation.
    first = Mention.objects.filter(network="x", thread_key=quiet.thread_key).earliest("created_at")
    sandbox.post(network="x", kind="reply", text="@northbridgebank app down again!",
                 author=customer(1), in_reply_to=first.external_id)  # fmt: skip
    (newcomer,) = post_and_poll(
        sandbox, x_account, capture, [{"text": "@northbridgebank app down?", "author": customer(3)}]
    )
    quiet.refresh_from_db()
    assert quiet.status == Conversation.Status.OPEN
    assert not IncidentConversation.objects.filter(conversation=newcomer).exists()
    with pytest.raises(services.IncidentError, match="resolved already"):
        services.incident_resolve(actor=lead, incident=incident)


def test_a_large_incident_is_answered_over_several_runs_nobody_twice(lead):
    conversations = [
        customer_message(text=f"@northbridgebank app down ({i})", thread=f"t-run-{i}") for i in range(5)
    ]
    Mention.objects.update(intent="outage", intent_confidence=0.9)
    incident = services.incident_open(actor=lead, name="Outage", terms="app down", networks=["x"])
    services.incident_replies_prepare(actor=lead, incident=incident, text="Hi {customer_name}, we are on it.")
    first = services.incident_replies_send(actor=lead, incident=incident, limit=3)
    assert len(first.queued) == 3 and first.more
    second = services.incident_replies_send(actor=lead, incident=incident, limit=3)
    assert len(second.queued) == 2 and not second.more
    assert sorted(Reply.objects.values_list("conversation_id", flat=True)) == sorted(
        c.pk for c in conversations
    )


def test_a_fraud_report_the_whole_message_hides_is_held_by_what_it_says_beyond_the_incident(
    lead, checker, x_account
):
    """The model reads the whole message as the outage; its words without "app down" read as fraud."""
    text = "@northbridgebank app down and someone took £200 from my account, I did not make that payment!"
    conversation = customer_message(text=text, thread="t-beyond")
    Mention.objects.filter(thread_key="t-beyond").update(intent="outage", intent_confidence=0.9)
    plain = customer_message(
        text="@northbridgebank app down again, cannot log in since 9 this morning", thread="t-plain"
    )
    Mention.objects.filter(thread_key="t-plain").update(intent="outage", intent_confidence=0.9)
    incident = services.incident_open(actor=lead, name="Outage", terms="app down", networks=["x"])
    services.incident_replies_prepare(actor=lead, incident=incident, text="Hi {customer_name}, we are on it.")
    outcome = services.incident_replies_send(actor=lead, incident=incident)
    reason = outcome.held[conversation.pk]
    assert reason.startswith("Beyond the incident, the customer's message reads as fraud")
    assert plain.pk in outcome.queued
