"""Drill 6: two agents claim, or answer, the same conversation at the same moment.

Two threads, each with its own database connection, are released by one barrier so
both act on the version of the conversation they both saw. Repeated, because a race
that is lost once in a while is still a race. Every time exactly one wins, the other
is told who beat them (a `StaleAction` naming the colleague), and the conversation
holds exactly one assignment event, or one reply.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from inbox.models import Conversation, ConversationEvent
from inbox.services import StaleAction, conversation_claim
from tests.factories import ConversationFactory

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

ROUNDS = 15


def race(actions) -> list[tuple[str, object]]:
    """Run the callables at the same moment on their own connections; ("ok", result) or ("stale", message)."""
    barrier = threading.Barrier(len(actions))
    results: list[tuple[str, object] | None] = [None] * len(actions)

    def run(index: int, action) -> None:
        try:
            barrier.wait(10)
            results[index] = ("ok", action())
        except StaleAction as exc:
            results[index] = ("stale", str(exc))
        except Exception as exc:  # reported by the assertion below
            results[index] = ("error", repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_two_agents_claim_at_once_one_wins_the_other_is_told(agent, other_agent):
    people = {agent.pk: agent, other_agent.pk: other_agent}
    winners = []
    for _ in range(ROUNDS):
        conversation = ConversationFactory()
        seen = conversation.version
        results = race(
            [
                lambda a=a, c=conversation, v=seen: conversation_claim(
                    actor=a, conversation=c, seen_version=v
                )
                for a in (agent, other_agent)
            ]
        )
        kinds = sorted(kind for kind, _ in results)
        assert kinds == ["ok", "stale"], results
        current = Conversation.objects.get(pk=conversation.pk)
        winner = people[current.assignee_id]
        loser_message = next(value for kind, value in results if kind == "stale")
        assert winner.display_name in loser_message, loser_message
        assert ConversationEvent.objects.filter(conversation=conversation, kind="assigned").count() == 1
        assert current.version == seen + 1
        winners.append(winner.pk)
    # Both threads really raced: each agent won some rounds (a fixed order would be a fake race).
    print(f"\nDRILL claims: {ROUNDS} races, wins {winners.count(agent.pk)}/{winners.count(other_agent.pk)}")


def test_two_agents_reply_at_once_one_reply_goes_the_other_is_told(
    agent, other_agent, sandbox, x_account, django_capture_on_commit_callbacks
):
    reply_services = pytest.importorskip("inbox.reply_services")
    from inbox.models import Reply
    from tests.inbox.replying import sandbox_conversation

    for round_ in range(5):
        conversation = sandbox_conversation(
            sandbox,
            x_account,
            django_capture_on_commit_callbacks,
            text=f"@NorthbridgeBank is the app down for anyone else? ({round_})",
        )
        seen = conversation.version
        results = race(
            [
                lambda a=a, c=conversation, s=seen: reply_services.reply_submit(
                    actor=a,
                    conversation=c,
                    channel="public",
                    text=f"Sorry about that, we're looking into it now. ^{a.first_name[0]}",
                    seen_version=s,
                )
                for a in (agent, other_agent)
            ]
        )
        assert sorted(kind for kind, _ in results) == ["ok", "stale"], results
        replies = Reply.objects.filter(conversation=conversation)
        assert replies.count() == 1
        loser_message = next(value for kind, value in results if kind == "stale")
        assert loser_message.startswith("Not sent"), loser_message
        assert replies.get().author.display_name in loser_message
