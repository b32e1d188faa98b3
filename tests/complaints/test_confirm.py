"""Suggest, confirm, dismiss and raise by hand, in the conversation pane (POSTs with CSRF, htmx)."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from bankbuzz.audit.models import AuditEvent
from complaints import services
from complaints.models import Category, Complaint, ComplaintRegime, Dismissal
from tests.complaints.conftest import csrf_post
from tests.factories import MentionFactory
from tests.panes import conversation_html

HX = {"HTTP_HX_REQUEST": "true"}


def pane(client, conversation) -> str:
    return conversation_html(client, conversation.pk)


def panel_page(conversation) -> str:
    """Where the complaint panel's forms are: the customer card's lower part, after the pane."""
    return reverse("inbox:side", args=[conversation.pk])


def test_the_pane_suggests_a_complaint_for_complaint_labelled_messages(browser, agent, unhappy):
    browser.force_login(agent)
    html = pane(browser, unhappy)
    assert "Confirm complaint" in html
    assert "Third time my card is declined" in html
    assert "UK DISP (FCA)" in html


def test_no_suggestion_without_a_complaint_or_fraud_label(browser, agent, unhappy):
    from listening.models import Mention

    Mention.objects.filter(thread_key=unhappy.thread_key).update(intent="question")
    browser.force_login(agent)
    assert "Confirm complaint" not in pane(browser, unhappy)


def test_one_click_confirm_starts_the_clocks_from_the_first_message(browser, agent, unhappy):
    browser.force_login(agent)
    url = reverse("complaints:confirm", args=[unhappy.pk])
    response = csrf_post(browser, panel_page(unhappy), url, {}, **HX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Recorded as a complaint" in html
    complaint = Complaint.objects.get()
    # The first message of dissatisfaction: Fri 28 Aug 19:45, after close; Sat, Sun and Mon 31 Aug
    # (bank holiday) are no business days -> counts from Tue 1 Sep. +3: Wed 2, Thu 3, Fri 4 Sep
    # at 17:30 BST (16:30 UTC).
    assert complaint.received_at == unhappy.first_complaint_message.created_at
    assert complaint.counts_from == dt.date(2026, 9, 1)
    assert complaint.regime.code == "uk-disp"
    assert complaint.messages.count() == 2
    assert complaint.summary_due_at == dt.datetime(2026, 9, 4, 16, 30, tzinfo=dt.UTC)
    # 8 weeks from Tue 1 Sep: Tue 27 Oct (GMT again), to midnight at its end.
    assert complaint.final_due_at == dt.datetime(2026, 10, 28, 0, 0, tzinfo=dt.UTC)
    event = AuditEvent.objects.get(verb="complaint.confirm")
    assert event.actor == agent and event.object_id == str(complaint.pk)
    # The pane now shows the clocks, not the suggestion.
    html = pane(browser, unhappy)
    assert complaint.reference in html and "Confirm complaint" not in html
    assert "Final response:" in html


def test_the_post_without_the_csrf_token_is_refused(browser, agent, unhappy):
    browser.force_login(agent)
    response = browser.post(reverse("complaints:confirm", args=[unhappy.pk]), {}, **HX)
    assert response.status_code == 403
    assert not Complaint.objects.exists()


def test_dismiss_needs_a_reason_and_stops_the_suggestion(browser, agent, unhappy):
    browser.force_login(agent)
    page = panel_page(unhappy)
    url = reverse("complaints:dismiss", args=[unhappy.pk])
    html = csrf_post(browser, page, url, {"reason": ""}, **HX).content.decode()
    assert "Say why this is not a complaint" in html
    html = csrf_post(browser, page, url, {"reason": "Venting about the weather"}, **HX).content.decode()
    assert "Dismissed" in html
    assert Dismissal.objects.count() == 2
    assert AuditEvent.objects.filter(verb="complaint.dismiss", actor=agent).exists()
    assert "Confirm complaint" not in pane(browser, unhappy)
    # A new complaint-labelled message is suggested again.
    MentionFactory(
        author=unhappy.customer,
        account=unhappy.account,
        thread_key=unhappy.thread_key,
        intent="fraud",
        text="Someone took 300 pounds from my account",
    )
    assert "Confirm complaint" in pane(browser, unhappy)


def test_a_plain_form_goes_back_to_the_conversation_and_says_what_happened(browser, agent, unhappy):
    # The panels' own page (no JavaScript) posts plain forms: the outcome follows the redirect.
    browser.force_login(agent)
    page = panel_page(unhappy)
    url = reverse("complaints:dismiss", args=[unhappy.pk])
    response = csrf_post(browser, page, url, {"reason": ""})
    conversation = reverse("inbox:detail", args=[unhappy.pk])
    assert response.status_code == 302 and response["Location"] == conversation
    assert "Say why this is not a complaint" in browser.get(conversation).content.decode()
    assert not Dismissal.objects.exists()
    response = csrf_post(browser, page, url, {"reason": "Venting about the weather"})
    assert response.status_code == 302 and response["Location"] == conversation
    assert "Dismissed: not a complaint." in browser.get(conversation).content.decode()
    assert Dismissal.objects.count() == 2


def test_raise_by_hand_with_the_chosen_message_and_categories(browser, agent, unhappy):
    from listening.models import Mention

    question = Mention.objects.get(thread_key=unhappy.thread_key, intent="question")
    product = Category.objects.get(kind="product", name="Debit card")
    cause = Category.objects.get(kind="cause", name="Service and delays")
    browser.force_login(agent)
    csrf_post(
        browser,
        panel_page(unhappy),
        reverse("complaints:confirm", args=[unhappy.pk]),
        {"mention": question.pk, "product": product.pk, "cause": cause.pk, "summary": "Card keeps failing"},
        **HX,
    )
    complaint = Complaint.objects.get()
    assert complaint.received_at == question.created_at  # Fri 28 Aug 09:00: counts from that day
    assert complaint.counts_from == dt.date(2026, 8, 28)
    assert (complaint.product, complaint.cause, complaint.summary) == (product, cause, "Card keeps failing")


def test_someone_elses_message_cannot_be_chosen(agent, unhappy):
    other = MentionFactory(intent="complaint")
    try:
        services.complaint_confirm(actor=agent, conversation=unhappy, mention_ids=[other.pk])
    except services.ComplaintError as exc:
        assert "customer's own messages" in str(exc)
    else:
        raise AssertionError("confirmed with another person's message")


def test_the_accounts_regime_is_the_default_and_a_second_open_complaint_is_refused(agent, lead, unhappy):
    payments = ComplaintRegime.objects.get(code="uk-payments")
    services.account_regime_set(actor=lead, account=unhappy.account, regime=payments)
    complaint = services.complaint_confirm(actor=agent, conversation=unhappy)
    assert complaint.regime == payments
    # Tue 1 Sep + 15 business days: 2-4 Sep (3), 7-11 (8), 14-18 (13), Mon 21 (14), Tue 22 Sep (15),
    # 17:30 BST.
    assert complaint.final_due_at == dt.datetime(2026, 9, 22, 16, 30, tzinfo=dt.UTC)
    try:
        services.complaint_confirm(
            actor=agent, conversation=unhappy, mention_ids=[complaint.first_message_id]
        )
    except services.ComplaintError as exc:
        assert "already has an open complaint" in str(exc)
    else:
        raise AssertionError("two open complaints on one conversation")


def test_readers_see_the_panel_but_cannot_confirm(browser, manager, unhappy):
    browser.force_login(manager)
    html = pane(browser, unhappy)
    assert "Complaint" in html and "Confirm complaint" not in html
    response = browser.post(reverse("complaints:confirm", args=[unhappy.pk]), {}, **HX)
    assert response.status_code == 403


def test_specialists_do_not_reach_the_register(client, specialist):
    client.force_login(specialist)
    assert client.get(reverse("complaints:queue")).status_code == 403
