"""The outbox through the sandbox with the real client libraries: sent once, whatever happens."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from bankbuzz.audit.models import AuditEvent
from inbox import reply_services as rs
from inbox.models import Conversation, Reply, SavedReply
from inbox.replies import outbox
from inbox.services import StaleAction
from listening.connectors.base import connector_for
from listening.models import Mention
from tests.inbox.replying import sandbox_conversation

pytestmark = pytest.mark.django_db

State = Reply.State


@pytest.fixture
def conv(sandbox, x_account, django_capture_on_commit_callbacks):
    return sandbox_conversation(
        sandbox,
        x_account,
        django_capture_on_commit_callbacks,
        text="@northbridgebank my card was declined twice",
    )


def submit(conversation, actor, text="Sorry about that! Please DM us and we will look into it.", **kw):
    kw.setdefault("channel", "public")
    kw.setdefault("seen_version", None)
    return rs.reply_submit(actor=actor, conversation=conversation, text=text, **kw)


def test_a_reply_goes_out_once_and_shows_in_the_thread(
    sandbox, conv, agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as queued:
        reply = submit(conv, agent)
    assert reply.state == State.QUEUED and len(queued) == 1  # send_reply queued on commit

    assert rs.reply_send(reply_id=reply.pk) == "sent"
    assert rs.reply_send(reply_id=reply.pk) == "skipped"  # queued twice: sent once

    reply.refresh_from_db()
    sent = sandbox.sent("x")
    assert len(sent) == 1 and sent[0]["text"] == reply.text
    assert reply.external_id == sent[0]["id"] and reply.url.startswith("https://x.com/")
    out = Mention.objects.get(network="x", external_id=reply.external_id)
    assert out.direction == "out" and out.thread_key == conv.thread_key and reply.mention_id == out.pk
    conv.refresh_from_db()
    assert conv.first_response_at is not None and conv.status == Conversation.Status.OPEN
    assert AuditEvent.objects.filter(verb="conversation.first_response").count() == 1
    assert conv.events.filter(kind="reply", actor=agent).exists()


def test_two_workers_at_once_only_one_claims(conv, agent):
    reply = submit(conv, agent)
    now = timezone.now()
    assert outbox.REPLIES.claim(reply.pk, now) is True
    assert outbox.REPLIES.claim(reply.pk, now) is False  # the second worker: its lease is live


def test_a_crash_after_the_network_accepted_is_found_not_resent(sandbox, conv, agent, x_account):
    reply = submit(conv, agent)
    # The first worker claimed it and posted, then died before recording anything.
    assert outbox.REPLIES.claim(reply.pk, timezone.now())
    posted = connector_for(x_account.as_account_info()).send_public_reply(
        text=reply.text, in_reply_to=reply.in_reply_to
    )
    Reply.objects.filter(pk=reply.pk).update(lease_until=timezone.now() - dt.timedelta(seconds=1))
    assert rs.replies_recover() == [reply.pk]

    assert rs.reply_send(reply_id=reply.pk) == "sent"
    reply.refresh_from_db()
    assert reply.external_id == posted.external_id
    assert len(sandbox.sent("x")) == 1


def test_a_crash_before_the_network_saw_it_sends_it_once(sandbox, conv, agent):
    reply = submit(conv, agent)
    assert outbox.REPLIES.claim(reply.pk, timezone.now())
    Reply.objects.filter(pk=reply.pk).update(lease_until=timezone.now() - dt.timedelta(seconds=1))
    assert rs.reply_send(reply_id=reply.pk) == "sent"
    assert len(sandbox.sent("x")) == 1


def test_a_rate_limit_makes_the_reply_wait_for_the_reset(sandbox, conv, agent):
    reply = submit(conv, agent)
    sandbox.scenario("rate_limit_storm", network="x", seconds=30)
    with pytest.raises(rs.RetryLater) as waited:
        rs.reply_send(reply_id=reply.pk)
    assert 1 <= waited.value.countdown <= 40
    reply.refresh_from_db()
    assert reply.state == State.QUEUED and reply.not_before is not None and "rate limit" in reply.error
    with pytest.raises(rs.RetryLater):  # too early: not even claimed
        rs.reply_send(reply_id=reply.pk)
    sandbox.clear_scenarios()
    Reply.objects.filter(pk=reply.pk).update(not_before=timezone.now())
    assert rs.reply_send(reply_id=reply.pk) == "sent"
    assert len(sandbox.sent("x")) == 1


def test_a_permanent_error_fails_with_the_reason_and_retry_sends(sandbox, conv, agent):
    reply = submit(conv, agent)
    sandbox.scenario("expired_token", network="x")
    assert rs.reply_send(reply_id=reply.pk) == "failed"
    reply.refresh_from_db()
    assert reply.state == State.FAILED and "token" in reply.error
    sandbox.clear_scenarios()
    rs.reply_retry(actor=agent, reply=reply)
    assert rs.reply_send(reply_id=reply.pk) == "sent"
    assert len(sandbox.sent("x")) == 1


def test_transient_errors_queue_it_again(sandbox, conv, agent):
    reply = submit(conv, agent)
    sandbox.scenario("server_errors", network="x")
    with pytest.raises(rs.TransientSendError):
        rs.reply_send(reply_id=reply.pk)
    assert Reply.objects.get(pk=reply.pk).state == State.QUEUED
    rs.reply_give_up(reply_id=reply.pk, reason="X failed")
    assert Reply.objects.get(pk=reply.pk).state == State.FAILED


def test_a_card_number_is_refused_everywhere_and_nothing_is_stored(conv, agent, lead):
    with pytest.raises(rs.ReplyBlocked) as blocked:
        submit(conv, agent, text="Is your card 4111 1111 1111 1111?")
    assert blocked.value.result.hits[0].kind == "card" and not blocked.value.can_override
    # Not a lead's reason, not a private message, not a confirmation: a card never goes out.
    with pytest.raises(rs.ReplyBlocked) as blocked:
        submit(
            conv, lead, text="Is your card 4111 1111 1111 1111?", override_reason="The customer asked us to"
        )
    assert not blocked.value.can_override
    with pytest.raises(rs.ReplyBlocked):
        submit(conv, agent, text="Is your card 4111 1111 1111 1111?", channel="private", confirm_private=True)
    assert not Reply.objects.exists()
    # The last four digits are fine.
    assert submit(conv, agent, text="Is it the card ending 1111?").state == State.QUEUED


def test_an_iban_goes_privately_once_confirmed(conv, agent):
    text = "We paid it into GB82 WEST 1234 5698 7654 32"
    with pytest.raises(rs.ReplyBlocked) as blocked:
        submit(conv, agent, text=text, channel="private")
    assert blocked.value.result.needs_confirmation
    reply = submit(conv, agent, text=text, channel="private", confirm_private=True)
    assert reply.state == State.QUEUED and reply.recipient_id == conv.customer.external_id


def test_a_leads_override_is_audited_and_needs_a_second_person(sandbox, conv, lead, agent, compliance):
    text = "Refund sent to GB82 WEST 1234 5698 7654 32"
    reply = submit(conv, lead, text=text, override_reason="The customer asked for confirmation in public")
    assert reply.state == State.AWAITING_APPROVAL
    assert reply.approval_reasons == ["the personal-data guard was overridden"]
    assert reply.override_findings[0]["kind"] == "iban" and "WEST 1234" not in str(reply.override_findings)
    assert AuditEvent.objects.filter(verb="reply.guard_override").exists()
    with pytest.raises(rs.ReplyError):
        rs.reply_approve(actor=lead, reply=reply)  # four eyes
    rs.reply_approve(actor=compliance, reply=reply)
    assert Reply.objects.get(pk=reply.pk).state == State.QUEUED


def test_a_trainee_waits_for_a_lead(conv, agent, lead, other_agent):
    agent.is_trainee = True
    agent.save()
    reply = submit(conv, agent)
    assert reply.state == State.AWAITING_APPROVAL and reply.approval_reasons == ["written by a trainee"]
    assert lead.notifications.filter(verb="reply.approval").exists()
    with pytest.raises(rs.ReplyError):
        rs.reply_approve(actor=other_agent, reply=reply)
    with pytest.raises(rs.ReplyError):
        rs.reply_reject(actor=lead, reply=reply, comment="")
    rs.reply_reject(actor=lead, reply=reply, comment="Add an apology")
    reply.refresh_from_db()
    assert reply.state == State.REJECTED and agent.notifications.filter(verb="reply.rejected").exists()
    with pytest.raises(rs.ReplyError):
        rs.reply_approve(actor=lead, reply=reply)  # decided already


def test_a_colleagues_reply_since_you_opened_it_is_reported(conv, agent, other_agent):
    seen = conv.version
    submit(conv, other_agent, seen_version=seen)
    with pytest.raises(StaleAction, match="Ben Okafor"):
        submit(conv, agent, seen_version=seen, text="Another answer")


def test_saved_replies_fill_variables_and_count_use(conv, agent, lead):
    with pytest.raises(Exception, match="Only social leads"):
        rs.saved_reply_create(actor=agent, title="x", body="y")
    with pytest.raises(Exception, match="Unknown variable"):
        rs.saved_reply_create(actor=lead, title="Bad", body="Hi {name}")
    body = "Hi {customer_name}, {agent_first_name} from {bank_name} here."
    saved = rs.saved_reply_create(
        actor=lead, title="Declined", body=body, shortcut="declined", networks=["x"]
    )
    # Beside the saved replies every bank starts with (the complaints' move-to-private answer).
    offered = dict(rs.saved_replies_for(conversation=conv, agent=agent))
    filled = offered[saved]
    assert filled.endswith("Amira from Northbridge Bank here.")
    submit(conv, agent, text=filled, saved_reply=saved)
    assert SavedReply.objects.get(pk=saved.pk).usage_count == 1


def test_linkedin_has_no_private_messages(sandbox, agent, django_capture_on_commit_callbacks):
    from devtools.sandbox import world
    from listening.services import social_account_create

    org = world.BANK_LINKEDIN_ORG
    account = social_account_create(
        actor=None, network="linkedin", external_id=org["urn"], handle=org["vanity_name"], name=org["name"],
        credentials=world.DEMO_CREDENTIALS["linkedin"],
    )  # fmt: skip
    conversation = sandbox_conversation(
        sandbox, account, django_capture_on_commit_callbacks, network="linkedin", text="Hiring in Leeds?"
    )
    with pytest.raises(rs.ReplyError, match="LinkedIn has no private messages"):
        submit(conversation, agent, channel="private")
    reply = submit(conversation, agent, text="Yes! See our careers page.")
    assert rs.reply_send(reply_id=reply.pk) == "sent"
    assert len(sandbox.sent("linkedin")) == 1
