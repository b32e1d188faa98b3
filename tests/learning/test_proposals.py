"""An expert's answer proposed for the library, approved by a lead, suggested next time."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from bankbuzz.accounts import roles
from bankbuzz.accounts.models import Notification
from bankbuzz.audit.models import AuditEvent
from escalations import services as escalation_services
from inbox.models import Reply, SavedReply
from learning.models import LibraryProposal
from learning.proposals import weekly_usage_notify
from learning.suggest import rank_entries
from tests.conftest import make_person
from tests.learning.conftest import customer_conversation

pytestmark = pytest.mark.django_db

ANSWER = (
    "Hi Jane, a chargeback on a parcel that never came takes up to ten working days; "
    "Amira will keep you posted here. Northbridge Bank"
)


@pytest.fixture
def expert(departments):
    user = make_person("carla", roles.SPECIALIST, first_name="Carla", last_name="Reyes")
    departments["Cards"].members.add(user)
    return user


def answered(agent, expert, departments, reply=ANSWER):
    conversation = customer_conversation("The shop never sent my parcel, can I get a chargeback?")
    escalation = escalation_services.escalation_open(
        actor=agent,
        conversation=conversation,
        department=departments["Cards"],
        question="Chargeback for a parcel?",
    )
    return escalation_services.escalation_answer(
        actor=expert, escalation=escalation, answer="Raise a chargeback.", proposed_reply=reply
    )


def approve_form(proposal, **overrides):
    data = {
        "action": "approve",
        "title": proposal.title,
        "body": proposal.body,
        "shortcut": "",
        "tags": "cards",
    }
    data.update(overrides)
    return data


def test_proposed_approved_credited_and_suggested_next_time(client, agent, lead, expert, library):
    escalation = answered(agent, expert, library)
    client.force_login(agent)
    page = client.get(reverse("escalations:detail", args=[escalation.pk])).content.decode()
    assert "Propose for the library" in page
    response = client.post(reverse("learning:propose", args=[escalation.pk]))
    assert response.status_code == 302
    client.post(reverse("learning:propose", args=[escalation.pk]))  # a second click: the same draft
    proposal = LibraryProposal.objects.get()
    assert proposal.body == (
        "Hi {customer_name}, a chargeback on a parcel that never came takes up to ten working days; "
        "{agent_first_name} will keep you posted here. {bank_name}"
    )
    assert (proposal.expert, proposal.proposed_by, proposal.state) == (expert, agent, "draft")
    assert proposal.guard_findings == []
    assert AuditEvent.objects.filter(verb="proposal.create").count() == 1

    client.force_login(lead)
    assert "1 waiting" in client.get(reverse("learning:library")).content.decode()
    response = client.post(
        reverse("learning:proposal", args=[proposal.pk]),
        approve_form(proposal, title="Chargeback: parcel never came"),
    )
    assert response.status_code == 302
    saved = SavedReply.objects.get(title="Chargeback: parcel never came")
    proposal.refresh_from_db()
    assert (proposal.state, proposal.saved_reply, proposal.decided_by) == ("approved", saved, lead)
    told = Notification.objects.get(recipient=expert, verb="proposal.approved")
    assert "joined the library" in told.text
    library_page = client.get(reverse("learning:library")).content.decode()
    assert "by Carla Reyes" in library_page.split(f'id="saved-{saved.pk}"')[1].split("</tr>")[0]

    found = rank_entries(text="my parcel never came, can you do a chargeback?", network="x")
    assert "Chargeback: parcel never came" in [s.title for s in found]


def test_personal_data_blocks_approval_until_removed(client, agent, lead, expert, library):
    # (A card number never gets this far: the expert's reply is stored with it masked.)
    iban = "GB82 WEST 1234 5698 7654 32"
    escalation = answered(agent, expert, library, reply=f"The refund went to {iban}.")
    client.force_login(agent)
    client.post(reverse("learning:propose", args=[escalation.pk]))
    proposal = LibraryProposal.objects.get()
    assert [f["kind"] for f in proposal.guard_findings] == ["iban"]
    assert iban not in str(proposal.guard_findings)

    client.force_login(lead)
    page = client.get(reverse("learning:proposal", args=[proposal.pk])).content.decode()
    assert "cannot be approved as it is" in page
    response = client.post(reverse("learning:proposal", args=[proposal.pk]), approve_form(proposal))
    assert response.status_code == 422
    assert "Not approved" in response.content.decode()
    assert not SavedReply.objects.filter(title=proposal.title).exists()
    response = client.post(
        reverse("learning:proposal", args=[proposal.pk]),
        approve_form(proposal, body="The refund is on its way."),
    )
    assert response.status_code == 302
    assert SavedReply.objects.filter(title=proposal.title, body="The refund is on its way.").exists()


def test_a_rejection_needs_a_reason(client, agent, lead, expert, library):
    escalation = answered(agent, expert, library)
    client.force_login(agent)
    client.post(reverse("learning:propose", args=[escalation.pk]))
    proposal = LibraryProposal.objects.get()
    client.force_login(lead)
    url = reverse("learning:proposal", args=[proposal.pk])
    assert client.post(url, {"action": "reject", "comment": ""}).status_code == 422
    assert client.post(url, {"action": "reject", "comment": "Too specific to one shop."}).status_code == 302
    proposal.refresh_from_db()
    assert (proposal.state, proposal.decision_comment) == ("rejected", "Too specific to one shop.")


def test_who_may_propose(client, agent, manager, expert, cards_lead, library):
    escalation = answered(agent, expert, library)
    url = reverse("learning:propose", args=[escalation.pk])
    fraud_expert = make_person("fred", roles.SPECIALIST)
    library["Fraud"].members.add(fraud_expert)
    for person, status in ((expert, 403), (manager, 403), (fraud_expert, 404)):
        client.force_login(person)
        assert client.post(url).status_code == status
    assert not LibraryProposal.objects.exists()
    client.force_login(cards_lead)  # the department's lead may
    assert client.post(url).status_code == 302
    assert LibraryProposal.objects.get().proposed_by == cards_lead


def test_an_unanswered_escalation_cannot_be_proposed(client, agent, departments):
    conversation = customer_conversation("chargeback?")
    escalation = escalation_services.escalation_open(
        actor=agent, conversation=conversation, department=departments["Cards"], question="Chargeback?"
    )
    client.force_login(agent)
    response = client.post(reverse("learning:propose", args=[escalation.pk]), follow=True)
    assert "Only an answered escalation" in response.content.decode()
    assert not LibraryProposal.objects.exists()


def test_the_expert_hears_the_weekly_count(agent, lead, expert, library):
    escalation = answered(agent, expert, library)
    from learning.proposals import proposal_approve, proposal_create

    proposal = proposal_create(actor=agent, escalation=escalation)
    proposal_approve(actor=lead, proposal=proposal, title="Chargebacks", body=proposal.body)
    saved = SavedReply.objects.get(title="Chargebacks")
    now = timezone.now()
    for n, days in enumerate((1, 2, 6, 8)):  # three this week, one the week before
        at = now - dt.timedelta(days=days)
        Reply.objects.create(
            conversation=escalation.conversation,
            author=agent,
            channel="public",
            text="x",
            saved_reply=saved,
            state=Reply.State.SENT,
            external_id=f"w{n}",
            sent_at=at,
            created_at=at,
        )
    assert weekly_usage_notify(now=now) == 1
    note = Notification.objects.get(recipient=expert, verb="proposal.usage")
    assert note.text == "Your answer “Chargebacks” was used 3 times this week."
