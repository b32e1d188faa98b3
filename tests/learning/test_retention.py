"""Anonymising a conversation (retention, erasure) takes its words out of learning's rows too."""

from __future__ import annotations

import pytest
from django.utils import timezone

from bankbuzz.audit import retention as r
from escalations import services as escalation_services
from inbox.models import Reply, SavedReply
from learning.edits import collect_edits
from learning.models import LibraryProposal, SavedReplyEdit
from learning.proposals import proposal_create
from tests.learning.conftest import customer_conversation

pytestmark = pytest.mark.django_db


def test_anonymising_a_conversation_wipes_kept_edits_and_draft_proposals(agent, library):
    from bankbuzz.accounts import roles
    from tests.conftest import make_person

    expert = make_person("carla", roles.SPECIALIST)
    library["Cards"].members.add(expert)
    conversation = customer_conversation("my card was declined in Leeds")
    saved = SavedReply.objects.get(shortcut="declined")
    Reply.objects.create(
        conversation=conversation,
        author=agent,
        channel="public",
        text="Sorry about Leeds, Jane!",
        saved_reply=saved,
        state=Reply.State.SENT,
        external_id="r1",
        sent_at=timezone.now(),
    )
    collect_edits(now=timezone.now())
    escalation = escalation_services.escalation_open(
        actor=agent, conversation=conversation, department=library["Cards"], question="Leeds?"
    )
    escalation = escalation_services.escalation_answer(
        actor=expert, escalation=escalation, answer="ok", proposed_reply="We checked the Leeds payment."
    )
    proposal_create(actor=agent, escalation=escalation)

    r.dependents_anonymise("inbox.conversation", [conversation.pk])

    edit = SavedReplyEdit.objects.get()
    assert (edit.edited, edit.text) == (True, "")
    proposal = LibraryProposal.objects.get()
    assert "Leeds" not in proposal.body + proposal.title
