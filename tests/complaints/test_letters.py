"""Letters from templates: wording from settings, sent privately through the reply guard, or
recorded as sent by e-mail or post; their effect on the complaint's clocks and status."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from bankbuzz.api.models import WebhookDelivery, WebhookEndpoint
from bankbuzz.audit.models import AuditEvent
from complaints import letters, services
from complaints.models import Complaint, ComplaintRegime, Letter
from complaints.tasks import check_clocks
from inbox import reply_services
from inbox.models import Conversation, Reply, SavedReply
from tests.complaints.conftest import csrf_post


@pytest.fixture
def complaint(agent, unhappy):
    return services.complaint_confirm(actor=agent, conversation=unhappy)


def test_the_final_response_carries_the_ombudsman_wording_from_settings(settings, complaint):
    settings.COMPLAINTS_OMBUDSMAN_NAME = "the Test Ombudsman"
    settings.COMPLAINTS_OMBUDSMAN_TIME_LIMIT = "six months"
    settings.COMPLAINTS_OMBUDSMAN_CONTACT = "ombudsman.example"
    text = letters.draft(complaint, "final")
    assert "This is our final response to your complaint, reference " + complaint.reference in text
    assert "refer your complaint to the Test Ombudsman, free of charge: ombudsman.example" in text
    assert "within six months of the date of this final response" in text
    assert "Dear Jane Doe" in text


def test_us_regime_letters_name_the_agency_not_the_ombudsman(lead, complaint):
    services.complaint_change_regime(
        actor=lead,
        complaint=complaint,
        regime=ComplaintRegime.objects.get(code="us-cfpb"),
        reason="US customer",
    )
    complaint.refresh_from_db()
    text = letters.draft(complaint, "final")
    assert "Consumer Financial Protection Bureau" in text and "Ombudsman" not in text


def test_acknowledgement_goes_as_a_private_message_through_the_outbox(browser, agent, complaint):
    browser.force_login(agent)
    url = reverse("complaints:letter", args=[complaint.pk])
    page = browser.get(url, {"kind": "acknowledgement"})
    assert page.status_code == 200
    text = page.context["text"]
    assert "We are treating it as a complaint" in text
    response = csrf_post(
        browser,
        url + "?kind=acknowledgement",
        url,
        {"kind": "acknowledgement", "text": text, "channel": "private", "version": complaint.version},
    )
    assert response.status_code == 302
    reply = Reply.objects.get(conversation=complaint.conversation)
    assert reply.channel == "private" and reply.text == text.strip()
    # In the outbox, not on the network yet: the letter is pending and the clock still runs.
    complaint.refresh_from_db()
    assert complaint.acknowledged_at is None and complaint.is_open
    letter = Letter.objects.get()
    assert (letter.kind, letter.channel, letter.reply) == ("acknowledgement", "private", reply)
    assert letter.sent_on is None and not letter.is_sent
    assert AuditEvent.objects.filter(verb="complaint.letter.acknowledgement", actor=agent).exists()
    page = browser.get(reverse("complaints:detail", args=[complaint.pk])).content.decode()
    assert "Queued: not sent yet" in page
    assert "It counts (and the clocks stop) once the private message is sent." in page


def test_a_private_letter_counts_when_the_reply_is_sent(sandbox, x_account, browser, agent, complaint):
    Conversation.objects.filter(pk=complaint.conversation_id).update(account=x_account)
    complaint.refresh_from_db()
    # The customer exists on the (sandboxed) network, so a direct message can reach them.
    sandbox.post(network="x", kind="dm", author={"id": complaint.customer.external_id}, text="Hello?")
    letter = services.letter_send(
        actor=agent,
        complaint=complaint,
        kind="final",
        channel="private",
        text="Our final response.",
        outcome="upheld",
    )
    complaint.refresh_from_db()
    assert complaint.is_open and complaint.final_response_at is None
    assert reply_services.reply_send(reply_id=letter.reply_id) == "sent", Reply.objects.get(
        pk=letter.reply_id
    ).error
    # The beat (or the complaint's page) takes it up: the time it went, not the time it was queued.
    check_clocks()
    complaint.refresh_from_db()
    letter.refresh_from_db()
    sent_at = Reply.objects.get(pk=letter.reply_id).sent_at
    assert letter.sent_at == sent_at and complaint.closed_at == sent_at
    assert complaint.status == Complaint.Status.CLOSED and complaint.outcome == "upheld"
    assert AuditEvent.objects.filter(verb="complaint.letter_sent").count() == 1
    check_clocks()  # idempotent: counted once
    assert AuditEvent.objects.filter(verb="complaint.letter_sent").count() == 1
    browser.force_login(agent)
    page = browser.get(reverse("complaints:detail", args=[complaint.pk])).content.decode()
    assert f"sent {timezone.localtime(sent_at):%-d %b %Y}" in page and "not sent yet" not in page


def test_a_failed_private_letter_shows_as_failed_and_does_not_count(browser, agent, complaint):
    letter = services.letter_send(
        actor=agent, complaint=complaint, kind="acknowledgement", channel="private", text="We have it."
    )
    Reply.objects.filter(pk=letter.reply_id).update(state=Reply.State.FAILED, error="the network refused it")
    check_clocks()
    complaint.refresh_from_db()
    assert complaint.acknowledged_at is None
    browser.force_login(agent)
    page = browser.get(reverse("complaints:detail", args=[complaint.pk])).content.decode()
    assert "Failed: not sent yet" in page and "the network refused it" in page
    # Not pending any more: the agent may send it again.
    services.letter_send(
        actor=agent,
        complaint=complaint,
        kind="acknowledgement",
        channel="email",
        text="We have it.",
        sent_on=timezone.localdate(),
    )
    complaint.refresh_from_db()
    assert complaint.acknowledged_at is not None


def test_a_second_private_letter_of_the_same_kind_is_refused_while_one_is_on_its_way(agent, complaint):
    services.letter_send(
        actor=agent, complaint=complaint, kind="acknowledgement", channel="private", text="We have it."
    )
    with pytest.raises(services.ComplaintError, match="already on its way"):
        services.letter_send(
            actor=agent, complaint=complaint, kind="acknowledgement", channel="private", text="We have it!"
        )


def test_a_card_number_in_a_letter_is_refused_by_the_reply_guard(agent, complaint):
    with pytest.raises(services.ComplaintError, match="not sent"):
        services.letter_send(
            actor=agent,
            complaint=complaint,
            kind="acknowledgement",
            channel="private",
            text="We refunded card 4111 1111 1111 1111 today.",
        )
    assert not Letter.objects.exists() and not Reply.objects.exists()


def test_final_response_by_post_closes_the_complaint_and_tells_the_webhooks(agent, complaint):
    WebhookEndpoint.objects.create(
        name="Complaints system",
        url="https://complaints.bank.example/hook",
        events=["complaint.closed"],
        secret_encrypted="x",
        created_by=agent,
    )
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    with pytest.raises(services.ComplaintError, match="outcome"):
        services.letter_send(
            actor=agent,
            complaint=complaint,
            kind="final",
            channel="post",
            text="Our final response.",
            sent_on=yesterday,
        )
    services.letter_send(
        actor=agent,
        complaint=complaint,
        kind="final",
        channel="post",
        text="Our final response.",
        sent_on=yesterday,
        outcome="upheld",
    )
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.CLOSED and complaint.outcome == "upheld"
    assert timezone.localtime(complaint.closed_at).date() == yesterday
    assert not Reply.objects.exists()  # recorded, not sent on the network
    delivery = WebhookDelivery.objects.get(event="complaint.closed")
    assert delivery.payload["data"]["reference"] == complaint.reference


def test_a_future_date_is_refused(agent, complaint):
    with pytest.raises(services.ComplaintError, match="future"):
        services.letter_send(
            actor=agent,
            complaint=complaint,
            kind="acknowledgement",
            channel="email",
            text="Hello",
            sent_on=timezone.localdate() + dt.timedelta(days=1),
        )


def test_a_holding_reply_extends_the_payment_services_deadline_to_35_business_days(agent, lead, unhappy):
    services.account_regime_set(
        actor=lead, account=unhappy.account, regime=ComplaintRegime.objects.get(code="uk-payments")
    )
    complaint = services.complaint_confirm(actor=agent, conversation=unhappy)
    assert complaint.final_due_at == dt.datetime(2026, 9, 22, 16, 30, tzinfo=dt.UTC)  # 15 business days
    services.letter_send(
        actor=agent,
        complaint=complaint,
        kind="holding",
        channel="email",
        text="We need more time.",
        sent_on=dt.date(2026, 9, 21),
    )
    complaint.refresh_from_db()
    # Counts from Tue 1 Sep (see conftest). 35 business days: Sep 2-4 (3), 7-11 (8), 14-18 (13),
    # 21-25 (18), 28 Sep-2 Oct (23), 5-9 Oct (28), 12-16 Oct (33), Mon 19 (34), Tue 20 Oct (35).
    assert complaint.final_due_at == dt.datetime(2026, 10, 20, 16, 30, tzinfo=dt.UTC)
    assert complaint.acknowledged_at is not None


def test_disp_has_no_holding_reply(agent, complaint):
    with pytest.raises(services.ComplaintError, match="no holding reply"):
        services.letter_send(
            actor=agent,
            complaint=complaint,
            kind="holding",
            channel="email",
            text="More time",
            sent_on=timezone.localdate(),
        )


def test_the_move_to_private_saved_reply_is_seeded():
    saved = SavedReply.objects.get(shortcut="complaint-private")
    assert "private message" in saved.body and "complaint" in saved.tags


def test_regime_change_is_a_leads_audited_action_and_editing_a_regime_rewrites_nothing(
    agent, lead, complaint
):
    disp = complaint.regime
    before = complaint.final_due_at
    disp.final_amount = 4
    disp.save()
    complaint.refresh_from_db()
    assert complaint.final_due_at == before  # open complaints keep their clocks
    with pytest.raises(services.ComplaintError, match="social leads"):
        services.complaint_change_regime(
            actor=agent, complaint=complaint, regime=ComplaintRegime.objects.get(code="us-cfpb"), reason="x"
        )
    services.complaint_change_regime(
        actor=lead,
        complaint=complaint,
        regime=ComplaintRegime.objects.get(code="us-cfpb"),
        reason="US customer",
    )
    complaint.refresh_from_db()
    # From Tue 1 Sep: +60 days is Sat 31 Oct, to midnight at its end (GMT).
    assert complaint.final_due_at == dt.datetime(2026, 11, 1, 0, 0, tzinfo=dt.UTC)
    event = AuditEvent.objects.get(verb="complaint.regime_change")
    assert event.before["regime"] == "uk-disp" and event.after["regime"] == "us-cfpb"
    assert event.after["reason"] == "US customer"


def test_letters_name_the_same_final_day_as_the_complaints_page(agent, lead, complaint):
    # UK DISP: 8 weeks, a calendar clock ending at midnight; the letter names the day it ends.
    due = timezone.localtime(complaint.final_due_at)
    assert due.time() == dt.time(0)
    last_day = (due - dt.timedelta(minutes=1)).date()
    text = letters.draft(complaint, "acknowledgement")
    assert f"final response by {last_day:%-d %B %Y} at the latest" in text
    # A holding reply tells the customer the extended deadline it sets (35 business days), not
    # the 15 business days it replaces.
    services.complaint_change_regime(
        actor=lead,
        complaint=complaint,
        regime=ComplaintRegime.objects.get(code="uk-payments"),
        reason="Payment services",
    )
    complaint.refresh_from_db()
    before = timezone.localtime(complaint.final_due_at).date()
    holding = letters.draft(complaint, "holding")
    services.letter_send(
        actor=agent,
        complaint=complaint,
        kind="holding",
        channel="email",
        text=holding,
        sent_on=timezone.localdate(),
    )
    complaint.refresh_from_db()
    after = timezone.localtime(complaint.final_due_at).date()
    assert after > before
    assert f"final response by {after:%-d %B %Y}." in holding


def test_a_letter_recorded_as_sent_by_email_never_keeps_a_card_number_in_clear(agent, complaint):
    services.letter_send(
        actor=agent,
        complaint=complaint,
        kind="acknowledgement",
        channel="email",
        text="We have received your complaint about card 4111 1111 1111 1111.",
        sent_on=timezone.localdate(),
    )
    stored = Letter.objects.get(complaint=complaint).text
    assert "4111 1111 1111 1111" not in stored and "1111" in stored
