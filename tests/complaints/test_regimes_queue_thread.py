"""Each account's default regime (a leads' page), the queue's Suggested tab, complaint steps in
the conversation's thread, the dashboard's drill-down, and one vulnerability audit per pane view."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from bankbuzz.audit.models import AuditEvent
from complaints import selectors, services
from complaints.models import AccountRegime, Complaint, ComplaintRegime
from inbox.models import ConversationEvent
from tests.complaints.conftest import csrf_post
from tests.factories import ConversationFactory, MentionFactory
from tests.panes import conversation_html

HX = {"HTTP_HX_REQUEST": "true"}


# --- The regime of each connected account ---------------------------------------------------------


def test_a_lead_sets_an_accounts_regime_for_new_complaints_only(browser, lead, agent, unhappy):
    open_one = services.complaint_confirm(actor=agent, conversation=unhappy)
    disp_due = open_one.final_due_at
    payments = ComplaintRegime.objects.get(code="uk-payments")
    browser.force_login(lead)
    url = reverse("complaints:regimes")
    page = browser.get(url).content.decode()
    assert "@northbridgebank" in page and "Regime for new complaints" in page
    response = csrf_post(browser, url, url, {"account": unhappy.account_id, "regime": payments.pk})
    assert response.status_code == 302
    assert AccountRegime.objects.get(account_id=unhappy.account_id).regime == payments
    event = AuditEvent.objects.get(verb="complaint.account_regime", actor=lead)
    assert event.after["regime"] == "uk-payments"
    page = browser.get(url).content.decode()
    assert "Open complaints keep their clocks" in page
    # The open complaint keeps its clocks; the next one through this account is clocked under PSD.
    open_one.refresh_from_db()
    assert open_one.regime.code != "uk-payments" and open_one.final_due_at == disp_due
    conversation = ConversationFactory(account=unhappy.account, status="open")
    MentionFactory(
        author=conversation.customer, thread_key=conversation.thread_key, intent="complaint", text="Fee again"
    )
    assert services.complaint_confirm(actor=agent, conversation=conversation).regime == payments


def test_bad_input_on_the_regimes_page_is_a_clear_400(browser, lead, unhappy):
    browser.force_login(lead)
    url = reverse("complaints:regimes")
    for data in ({"account": "x", "regime": "1"}, {"account": unhappy.account_id, "regime": "99999"}):
        response = csrf_post(browser, url, url, data)
        assert response.status_code == 400
        assert "Choose" in response.content.decode()
    assert not AccountRegime.objects.exists()
    assert not AuditEvent.objects.filter(verb="complaint.account_regime").exists()


def test_a_new_complaint_falls_under_the_accounts_regime_then_the_default_then_any_active(unhappy, settings):
    account = unhappy.account_id
    default = ComplaintRegime.objects.get(code=settings.COMPLAINTS_DEFAULT_REGIME)
    payments = ComplaintRegime.objects.get(code="uk-payments")
    assert services.default_regime(account) == default == services.default_regime(None)
    AccountRegime.objects.create(account_id=account, regime=payments)
    assert services.default_regime(account) == payments
    assert services.default_regime(None) == default  # another account's choice is not everyone's
    ComplaintRegime.objects.filter(pk=payments.pk).update(is_active=False)
    assert services.default_regime(account) == default  # a retired regime takes no new complaints
    ComplaintRegime.objects.filter(pk=default.pk).update(is_active=False)
    assert services.default_regime(account) == ComplaintRegime.objects.get(code="us-cfpb")
    ComplaintRegime.objects.update(is_active=False)
    with pytest.raises(services.ComplaintError, match="No complaint regime"):
        services.default_regime(account)


@pytest.mark.parametrize("role", ["agent", "manager", "compliance"])
def test_only_leads_and_administrators_set_regimes(request, client, role, unhappy):
    client.force_login(request.getfixturevalue(role))
    url = reverse("complaints:regimes")
    assert client.get(url).status_code == 403
    regime = ComplaintRegime.objects.get(code="uk-payments")
    assert client.post(url, {"account": unhappy.account_id, "regime": regime.pk}).status_code == 403
    assert not AccountRegime.objects.exists()


# --- The Suggested tab -----------------------------------------------------------------------------


def test_the_suggested_tab_lists_undecided_conversations_until_someone_decides(client, agent, unhappy):
    other = ConversationFactory(status="open")
    MentionFactory(
        author=other.customer, thread_key=other.thread_key, intent="fraud", text="Money taken I never sent"
    )
    quiet = ConversationFactory(status="open")
    MentionFactory(
        author=quiet.customer, thread_key=quiet.thread_key, intent="question", text="Opening hours?"
    )
    client.force_login(agent)
    url = reverse("complaints:queue")

    def listed():
        html = client.get(url, {"state": "suggested"}).content.decode()
        return html, {c.pk for c in [unhappy, other, quiet] if f'data-suggested="{c.pk}"' in html}

    html, shown = listed()
    assert shown == {unhappy.pk, other.pk}
    assert "Third time my card is declined" in html and "Money taken I never sent" in html
    services.complaint_confirm(actor=agent, conversation=unhappy)
    services.suggestion_dismiss(actor=agent, conversation=other, reason="A question about a transfer")
    html, shown = listed()
    assert shown == set() and "Nothing to decide" in html


def test_the_suggested_tab_runs_a_constant_number_of_queries(
    client, agent, django_assert_num_queries, django_assert_max_num_queries
):
    def add(n):
        for i in range(n):
            conversation = ConversationFactory(status="open")
            MentionFactory(
                author=conversation.customer,
                thread_key=conversation.thread_key,
                intent="complaint",
                text=f"Unhappy {i}",
            )

    client.force_login(agent)
    url = reverse("complaints:queue")
    add(2)
    client.get(url, {"state": "suggested"})  # warm the session and per-process caches
    with django_assert_max_num_queries(20) as two:
        client.get(url, {"state": "suggested"})
    add(10)
    with django_assert_num_queries(len(two.captured_queries)):
        html = client.get(url, {"state": "suggested"}).content.decode()
    assert html.count("data-suggested=") == 12


# --- Complaint steps in the conversation's thread -----------------------------------------------


def _thread(client, conversation) -> str:
    return client.get(reverse("inbox:detail", args=[conversation.pk])).content.decode()


def test_complaint_steps_appear_in_the_conversations_thread(client, agent, lead, unhappy):
    complaint = services.complaint_confirm(actor=agent, conversation=unhappy)
    services.complaint_change_regime(
        actor=lead,
        complaint=complaint,
        regime=ComplaintRegime.objects.get(code="uk-payments"),
        reason="A payment services complaint",
    )
    services.letter_send(
        actor=agent,
        complaint=complaint,
        kind="final",
        channel="post",
        text="Our final response.",
        sent_on=timezone.localdate(),
        outcome="upheld",
    )
    ref = complaint.reference
    client.force_login(agent)
    html = _thread(client, unhappy)
    assert f"confirmed complaint {ref} under UK DISP (FCA)" in html
    assert (
        f"moved complaint {ref} to UK payment services and e-money (PSRs): A payment services complaint"
        in html
    )
    assert f"sent the final response of complaint {ref} by post" in html
    assert f"closed complaint {ref}: upheld" in html
    assert ConversationEvent.objects.filter(conversation=unhappy, kind="complaint").count() == 4


def test_a_dismissal_appears_in_the_thread_with_its_reason(client, agent, unhappy):
    services.suggestion_dismiss(actor=agent, conversation=unhappy, reason="Banter, not dissatisfaction")
    client.force_login(agent)
    assert "dismissed the suggested complaint: Banter, not dissatisfaction" in _thread(client, unhappy)


# --- The dashboard's drill-down shows the rows it counts --------------------------------------------


def _received(complaint, when):
    Complaint.objects.filter(pk=complaint.pk).update(received_at=when)


def test_each_drill_down_lists_exactly_the_rows_its_figure_counts(client, agent, manager):
    now = timezone.now()
    made = []
    for n in range(5):
        conversation = ConversationFactory(status="open")
        MentionFactory(
            author=conversation.customer,
            thread_key=conversation.thread_key,
            intent="complaint",
            text=f"No {n}",
        )
        made.append(services.complaint_confirm(actor=agent, conversation=conversation))
    on_time, late, not_upheld, partly_late, still_open = made
    for complaint, outcome in ((on_time, "upheld"), (late, "upheld"), (not_upheld, "not_upheld")):
        services.letter_send(
            actor=agent,
            complaint=complaint,
            kind="final",
            channel="post",
            text="Final.",
            sent_on=timezone.localdate(),
            outcome=outcome,
        )
    services.letter_send(
        actor=agent,
        complaint=partly_late,
        kind="summary",
        channel="post",
        text="Resolved.",
        sent_on=timezone.localdate(),
        outcome="partly",
    )
    # Closed after their deadline: counted as closed, not as closed within it.
    Complaint.objects.filter(pk__in=[late.pk, partly_late.pk]).update(
        final_due_at=now - dt.timedelta(days=2), summary_due_at=now - dt.timedelta(days=2)
    )
    # One received before the period: in no figure, in no drill-down.
    _received(not_upheld, now - dt.timedelta(days=400))
    client.force_login(manager)
    dashboard = client.get(reverse("complaints:dashboard"))
    figures = dashboard.context["figures"]
    # Closed early by a final response counts as closed within 3 business days, as in the CSV.
    assert figures["within_final"] == 1 and figures["upheld"] == 3 and figures["within_summary"] == 1
    html = dashboard.content.decode()
    links = {
        "within_final": "Closed within the final deadline",
        "upheld": "Upheld (fully or partly)",
        "within_summary": "Closed within 3 business days",
        "opened": "Opened",
        "open": "Still open",
    }
    for figure, label in links.items():
        cut = html[: html.index(f'<span class="dash-figure-label">{label}')]
        href = cut[cut.rindex('href="') + 6 : cut.rindex('"')].replace("&amp;", "&")
        listed = client.get(href).content.decode().count("data-complaint=")
        assert listed == figures[figure], (figure, href)
    page = client.get(reverse("complaints:queue") + "?state=closed&met=final").content.decode()
    assert f'data-complaint="{on_time.pk}"' in page and f'data-complaint="{late.pk}"' not in page
    assert "closed within the final deadline" in page
    assert still_open.pk  # counted as opened and still open above


def test_drill_down_filters_reject_nonsense_quietly(client, manager):
    client.force_login(manager)
    response = client.get(
        reverse("complaints:queue"), {"state": "closed", "met": "<x>", "outcome": "9", "start": "2026-13-01"}
    )
    assert response.status_code == 200 and "<x>" not in response.content.decode()


# --- Vulnerability: one audit event per pane view, none from the pane's heartbeat -------------------


def test_the_pane_records_one_view_and_its_heartbeat_none(client, agent, unhappy):
    services.vulnerability_set(actor=agent, customer=unhappy.customer, drivers=["health"], note="Hospital")
    client.force_login(agent)

    def views():
        return AuditEvent.objects.filter(verb="vulnerability.view", actor=agent).count()

    html = conversation_html(client, unhappy.pk)
    assert "Potentially vulnerable" in html and views() == 1
    live = reverse("inbox:live", args=[unhappy.pk])
    for _ in range(3):  # the open pane's every-3-seconds refresh
        assert client.post(live, {"seen": 0, "v": 0}).status_code == 200
    assert views() == 1
    assert selectors.QUEUE_STATES["suggested"] == "Suggested"
