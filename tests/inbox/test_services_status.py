"""conversation_set_status (resolve, spam, reopen, waiting) and conversation_set_priority."""

import pytest

from bankbuzz.audit.models import AuditEvent
from inbox import services
from inbox.models import Conversation
from tests.inbox.world import customer_message

pytestmark = pytest.mark.django_db
Status = Conversation.Status


def test_resolve_stamps_the_time_and_reopen_clears_it(agent, conversation):
    resolved = services.conversation_resolve(actor=agent, conversation=conversation, seen_version=1)
    assert resolved.status == Status.RESOLVED
    assert resolved.resolved_at is not None
    reopened = services.conversation_set_status(
        actor=agent, conversation=conversation, status=Status.OPEN, seen_version=2
    )
    assert reopened.status == Status.OPEN
    assert reopened.resolved_at is None
    texts = list(conversation.events.order_by("version").values_list("text", flat=True))
    assert texts == ["resolved it", "reopened it"]
    assert AuditEvent.objects.filter(verb="conversation.status").count() == 2


def test_spam_and_waiting(agent, conversation):
    services.conversation_set_status(
        actor=agent, conversation=conversation, status=Status.WAITING_CUSTOMER, seen_version=1
    )
    result = services.conversation_mark_spam(actor=agent, conversation=conversation, seen_version=2)
    assert result.status == Status.SPAM


def test_new_is_not_a_status_people_set(agent, conversation):
    with pytest.raises(services.InboxError, match="not a status"):
        services.conversation_set_status(actor=agent, conversation=conversation, status="new", seen_version=1)


def test_resolving_after_the_customer_wrote_again_is_refused(agent):
    conversation = customer_message(text="card declined", thread="r1", handle="tom")
    customer_message(text="it happened again just now", thread="r1", author=conversation.customer)
    with pytest.raises(services.StaleAction, match="@tom wrote again"):
        services.conversation_resolve(actor=agent, conversation=conversation, seen_version=1)
    conversation.refresh_from_db()
    assert conversation.status == Status.NEW


def test_resolving_after_a_colleague_resolved_is_refused(agent, other_agent, conversation):
    services.conversation_set_status(
        actor=other_agent, conversation=conversation, status=Status.WAITING_CUSTOMER, seen_version=1
    )
    with pytest.raises(services.StaleAction, match="Ben Okafor set it to waiting on the customer"):
        services.conversation_resolve(actor=agent, conversation=conversation, seen_version=1)


def test_my_own_earlier_change_never_makes_my_action_stale(agent, conversation):
    services.conversation_claim(actor=agent, conversation=conversation, seen_version=1)
    # Another tab of mine still shows version 1.
    result = services.conversation_resolve(actor=agent, conversation=conversation, seen_version=1)
    assert result.status == Status.RESOLVED


def test_priority(agent, other_agent, conversation):
    result = services.conversation_set_priority(
        actor=agent, conversation=conversation, priority=3, seen_version=1
    )
    assert result.priority == Conversation.Priority.URGENT
    assert conversation.events.get().text == "set the priority to urgent"
    with pytest.raises(services.StaleAction):
        services.conversation_set_priority(
            actor=other_agent, conversation=conversation, priority=0, seen_version=1
        )
    with pytest.raises(services.InboxError, match="not a priority"):
        services.conversation_set_priority(actor=agent, conversation=conversation, priority=9, seen_version=2)
