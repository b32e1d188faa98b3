"""The specialist queue's rows (a Jinja2 partial, templates/jinja2/escalations/_queue_rows.html), read
from the rendered page as a specialist and a lead see them: SLA chips, escaped text, the question's
link, who has it, and a Claim form with its CSRF token only where the viewer may claim."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator

from bankbuzz.accounts import roles
from escalations import services
from escalations.models import Escalation
from escalations.templatetags.escalation_tags import sla_label
from tests.conftest import make_person
from tests.factories import AuthorFactory, ConversationFactory, MentionFactory
from tests.html_tree import parse

HOSTILE = "<script>alert(\"x\")</script> & <b onmouseover='y'>"


def _escalate(agent, department, *, handle, question, now, network="x"):
    customer = AuthorFactory(handle=handle, network=network)
    conversation = ConversationFactory(customer=customer, network=network)
    MentionFactory(author=customer, thread_key=conversation.thread_key, network=network)
    return services.escalation_open(
        actor=agent, conversation=conversation, department=department, question=question, now=now
    )


def _queue(client, url: str):
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    table = parse(html).find("table", "esc-queue")
    assert [th.text() for th in table.find("thead").find_all("th")] == [
        "SLA", "Customer", "Question", "Department", "Priority", "State", "Assignee", "Actions",
    ]  # fmt: skip
    return html, table.find("tbody").find_all("tr")


def _row_shows(tr, escalation: Escalation, *, assignee: str, claim: bool):
    escalation.refresh_from_db()
    sla = escalation.sla_state()
    assert tr.classes == ["esc-row", f"esc-row-{sla}"]
    assert tr.attrs["data-escalation-id"] == str(escalation.pk)
    chip_cell, customer, question, department, priority, state, who, actions = tr.elements()
    chip = chip_cell.find("span", "sla-chip")
    assert chip.classes == ["sla-chip", f"sla-{sla}"] and chip.attrs["title"] == sla_label(sla)
    assert chip.text().startswith(sla_label(sla))
    assert (" · " in chip.text()) is (sla in ("ok", "warning", "breach") and escalation.due_at is not None)
    conversation = escalation.conversation
    net = customer.find("span", "net")
    assert net.classes == ["net", f"net-{conversation.network}"]
    assert customer.text() == f"{conversation.get_network_display()} {conversation.customer.at_handle}"
    link = question.find("a")
    assert link.attrs["href"] == reverse("escalations:detail", args=[escalation.pk])
    assert link.text() == " ".join(Truncator(escalation.question_preview).chars(110).split())
    assert department.text() == escalation.department.name
    assert priority.find("span").classes == ["chip", f"chip-priority-{escalation.priority}"]
    assert priority.text() == escalation.get_priority_display()
    assert state.text() == escalation.get_state_display()
    assert who.text() == assignee
    forms = actions.find_all("form")
    assert len(forms) == int(claim)
    if claim:
        claim_url = reverse("escalations:claim", args=[escalation.pk])
        assert forms[0].attrs == {"method": "post", "action": claim_url}
        token = forms[0].find("input", name="csrfmiddlewaretoken")
        assert token.attrs["type"] == "hidden" and len(token.attrs["value"]) == 64
        assert forms[0].find("button", type="submit").text() == "Claim"


def test_the_queue_shows_each_escalation_and_claims_for_experts(
    client, agent, cards, cards_specialist, fraud
):
    now = timezone.now()
    late = _escalate(
        agent,
        cards,
        handle="late_one",
        question=f"Late {HOSTILE} " + "x" * 200,
        now=now - dt.timedelta(days=3),
    )
    claimed = _escalate(agent, cards, handle="claimed_one", question="Claimed", now=now, network="facebook")
    services.escalation_claim(actor=cards_specialist, escalation=claimed)
    asked = _escalate(agent, cards, handle="asked_one", question="Asked", now=now - dt.timedelta(hours=1))
    services.escalation_claim(actor=cards_specialist, escalation=asked)
    services.escalation_request_info(actor=cards_specialist, escalation=asked, question="Which card?")
    colleague = make_person("cora", roles.SPECIALIST, first_name="Cora", last_name=HOSTILE)
    cards.members.add(colleague)
    theirs = _escalate(agent, cards, handle="theirs_one", question="Theirs", now=now)
    services.escalation_claim(actor=colleague, escalation=theirs)
    answered = _escalate(agent, cards, handle="answered_one", question="Answered", now=now)
    services.escalation_claim(actor=cards_specialist, escalation=answered)
    services.escalation_answer(actor=cards_specialist, escalation=answered, answer="Done")
    lead = make_person("lena", roles.LEAD, first_name="Lena", last_name="Lead")

    client.force_login(cards_specialist)
    html, rows = _queue(client, "/escalations/")
    assert "&lt;script&gt;" in html and "<script>alert" not in html
    by_id = {int(tr.attrs["data-escalation-id"]): tr for tr in rows}
    assert set(by_id) == {late.pk, claimed.pk, asked.pk, theirs.pk}
    # Claim on the unclaimed one and on a colleague's, not on one's own.
    _row_shows(by_id[late.pk], late, assignee="Nobody", claim=True)
    _row_shows(by_id[claimed.pk], claimed, assignee="You", claim=False)
    _row_shows(by_id[asked.pk], asked, assignee="You", claim=False)
    _row_shows(by_id[theirs.pk], theirs, assignee=colleague.display_name, claim=True)
    assert by_id[late.pk].find("td").find("span", "sla-chip").classes[-1] == "sla-breach"
    assert by_id[asked.pk].find("span", "sla-chip").text() == "Paused"
    assert by_id[late.pk].elements()[6].find("span", "muted").text() == "Nobody"

    _html, rows = _queue(client, "/escalations/?state=answered")
    [row] = rows
    _row_shows(row, answered, assignee="You", claim=False)
    _html, rows = _queue(client, "/escalations/?state=closed")
    [empty] = rows
    cell = empty.find("td", "empty-state")
    assert cell.attrs["colspan"] == "8"
    assert cell.text() == "Nothing here. New questions for Cards appear here, soonest deadline first."

    client.force_login(lead)
    html, rows = _queue(client, "/escalations/")
    assert ">Claim</button>" not in html  # a lead watches the queue; experts claim
    by_id = {int(tr.attrs["data-escalation-id"]): tr for tr in rows}
    _row_shows(by_id[late.pk], late, assignee="Nobody", claim=False)
    _row_shows(by_id[claimed.pk], claimed, assignee=cards_specialist.display_name, claim=False)
