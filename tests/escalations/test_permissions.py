"""Who sees and does what, across departments: another department's escalation is a 404."""

from __future__ import annotations

import pytest
from django.urls import reverse

from escalations import services
from escalations.models import Escalation

DETAIL = "/escalations/{pk}/"
CONVERSATION = "/escalations/conversations/{pk}/"


@pytest.fixture
def people(agent, lead, manager, compliance, outsider, cards_specialist, fraud_specialist, cards_lead):
    return {
        "agent": agent,
        "lead": lead,
        "manager": manager,
        "compliance": compliance,
        "outsider": outsider,
        "cards_specialist": cards_specialist,
        "cards_lead": cards_lead,
        "fraud_specialist": fraud_specialist,
    }


# who: (detail page, linked conversation page, answer)
MATRIX = {
    "cards_specialist": (200, 200, 302),
    "cards_lead": (200, 200, 302),
    "fraud_specialist": (404, 404, 404),
    "agent": (200, 200, 403),
    "lead": (200, 200, 403),
    "manager": (200, 200, 403),
    "compliance": (200, 200, 403),
    "outsider": (403, 404, 403),
}


@pytest.mark.parametrize("who", MATRIX)
def test_permission_matrix(client, people, escalation, who):
    detail, conversation, answer = MATRIX[who]
    client.force_login(people[who])
    # A role-less user is refused the whole queue before any lookup (nothing leaks either way).
    response = client.get(DETAIL.format(pk=escalation.pk))
    assert response.status_code == (404 if who == "outsider" else detail)
    assert client.get(CONVERSATION.format(pk=escalation.conversation_id)).status_code == conversation
    response = client.post(f"/escalations/{escalation.pk}/answer/", {"answer": "Because of the daily limit."})
    assert response.status_code == (404 if who == "outsider" else answer)
    escalation.refresh_from_db()
    assert (escalation.state == Escalation.State.ANSWERED) == (answer == 302)


def test_another_departments_escalation_is_a_404_and_does_not_leak_in_the_queue(
    client, escalation, fraud_specialist, cards_specialist
):
    client.force_login(fraud_specialist)
    assert client.get(DETAIL.format(pk=escalation.pk)).status_code == 404
    assert client.get(DETAIL.format(pk=escalation.pk + 1000)).status_code == 404
    page = client.get("/escalations/").content.decode()
    assert "jane_doe" not in page
    client.force_login(cards_specialist)
    assert "jane_doe" in client.get("/escalations/").content.decode()


def test_specialists_have_no_inbox_and_no_write_on_conversations(client, escalation, cards_specialist):
    client.force_login(cards_specialist)
    assert client.get(reverse("inbox:detail", args=[escalation.conversation_id])).status_code in (403, 404)
    assert client.get(f"/escalations/new/{escalation.conversation_id}/").status_code in (403, 404)


def test_agents_cannot_do_the_experts_work_even_through_the_service(agent, escalation):
    with pytest.raises(services.EscalationError):
        services.escalation_answer(actor=agent, escalation=escalation, answer="I know this one")


def test_a_transfer_takes_it_out_of_the_old_departments_sight(
    client, escalation, fraud, cards_specialist, fraud_specialist
):
    services.escalation_transfer(
        actor=cards_specialist, escalation=escalation, department=fraud, reason="Looks like a cloned card"
    )
    client.force_login(cards_specialist)
    assert client.get(DETAIL.format(pk=escalation.pk)).status_code == 404
    client.force_login(fraud_specialist)
    assert client.get(DETAIL.format(pk=escalation.pk)).status_code == 200


def test_only_leads_and_admins_manage_departments_and_rules(client, agent, lead, cards_specialist, cards):
    for user, expected in ((agent, 403), (cards_specialist, 403), (lead, 200)):
        client.force_login(user)
        assert client.get(f"/escalations/departments/{cards.pk}/").status_code == expected
        assert client.get("/escalations/rules/").status_code == expected
