"""conversation_assign / conversation_claim, and the version check they share with every action."""

import pytest

from bankbuzz.accounts.models import Notification
from bankbuzz.audit.models import AuditEvent
from inbox import services
from inbox.models import Conversation, ConversationEvent
from inbox.services import changes
from tests.inbox.world import customer_message

pytestmark = pytest.mark.django_db


def test_claim_takes_it_and_moves_a_new_conversation_to_open(agent, conversation):
    result = services.conversation_claim(actor=agent, conversation=conversation, seen_version=1)
    assert result.assignee == agent
    assert result.status == Conversation.Status.OPEN
    assert result.version == 2
    event = ConversationEvent.objects.get(conversation=conversation)
    assert (event.kind, event.text, event.actor, event.version) == ("assigned", "took it", agent, 2)
    audit = AuditEvent.objects.get(verb="conversation.assign")
    assert audit.before == {"assignee": None, "status": "new"}
    assert audit.after == {"assignee": "amira", "status": "open"}


def test_assigning_a_colleague_notifies_them_in_the_app(agent, other_agent, conversation):
    services.conversation_assign(actor=agent, conversation=conversation, assignee=other_agent, seen_version=1)
    notification = Notification.objects.get(recipient=other_agent)
    assert notification.text == "Amira Khan assigned you the conversation with @rosa_garcia"
    assert notification.url == f"/inbox/c/{conversation.pk}/"


def test_unassign(agent, conversation):
    services.conversation_claim(actor=agent, conversation=conversation, seen_version=1)
    result = services.conversation_assign(
        actor=agent, conversation=conversation, assignee=None, seen_version=2
    )
    assert result.assignee is None
    assert ConversationEvent.objects.filter(text="unassigned it").exists()


def test_assigning_the_same_person_again_changes_nothing(agent, conversation):
    services.conversation_claim(actor=agent, conversation=conversation, seen_version=1)
    result = services.conversation_claim(actor=agent, conversation=conversation, seen_version=2)
    assert result.version == 2
    assert AuditEvent.objects.filter(verb="conversation.assign").count() == 1


def test_only_agents_and_leads_can_be_assigned(agent, manager, specialist, conversation):
    for person in (manager, specialist):
        with pytest.raises(services.InboxError, match="does not work the inbox"):
            services.conversation_assign(
                actor=agent, conversation=conversation, assignee=person, seen_version=1
            )


def test_readers_cannot_assign(manager, conversation):
    with pytest.raises(services.InboxError, match="may read"):
        services.conversation_claim(actor=manager, conversation=conversation, seen_version=1)


def test_a_stale_claim_is_refused_and_names_who_changed_what(agent, other_agent, conversation):
    services.conversation_claim(actor=other_agent, conversation=conversation, seen_version=1)
    with pytest.raises(services.StaleAction) as refused:
        services.conversation_claim(actor=agent, conversation=conversation, seen_version=1)
    assert "since you opened it, Ben Okafor took it" in str(refused.value)
    conversation.refresh_from_db()
    assert conversation.assignee == other_agent
    assert AuditEvent.objects.filter(verb="conversation.assign").count() == 1


def test_a_colleagues_note_or_tag_does_not_make_a_claim_stale(agent, other_agent, conversation):
    services.note_add(actor=other_agent, conversation=conversation, text="Looks like a fraud case")
    services.conversation_tag_add(actor=other_agent, conversation=conversation, name="Fraud")
    result = services.conversation_claim(actor=agent, conversation=conversation, seen_version=1)
    assert result.assignee == agent
    assert result.version == 4


def test_a_new_customer_message_does_not_make_a_claim_stale(agent):
    first = customer_message(text="hello", thread="s1", handle="eve")
    customer_message(text="anyone there?", thread="s1", author=first.customer)
    result = services.conversation_claim(actor=agent, conversation=first, seen_version=1)
    assert result.assignee == agent


def test_the_update_is_conditional_on_the_version_checked(agent, other_agent, conversation, monkeypatch):
    """A change that lands between the check and the write is caught by `WHERE version = ...`."""
    real_check = changes._check_fresh
    calls = []

    def check_then_race(current, **kwargs):
        real_check(current, **kwargs)
        if not calls:
            calls.append(1)
            # Ben's claim commits right after Amira's check passed.
            Conversation.objects.filter(pk=current.pk).update(assignee=other_agent, version=2)
            ConversationEvent.objects.create(
                conversation=current, actor=other_agent, kind="assigned", text="took it", version=2
            )

    monkeypatch.setattr(changes, "_check_fresh", check_then_race)
    with pytest.raises(services.StaleAction, match="Ben Okafor took it"):
        services.conversation_claim(actor=agent, conversation=conversation, seen_version=1)
    # The write matched no row (Ben's change bumped the version), the check ran again and refused.
    # (The service's transaction rolled back the simulated race too, so look at the audit log.)
    assert not AuditEvent.objects.filter(verb="conversation.assign").exists()
