"""Two workers attaching the same new threads at the same moment: no deadlock, nothing lost or doubled."""

import datetime as dt
import logging
import threading
import time

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from bankbuzz.audit.models import AuditEvent
from inbox.models import Conversation, ConversationEvent
from inbox.services import conversations_attach_mentions
from tests.factories import MentionFactory, SocialAccountFactory

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 8


def attach_together(pages: list[list[int]]) -> list[BaseException]:
    barrier = threading.Barrier(len(pages))
    errors: list[BaseException] = []

    def work(ids: list[int]) -> None:
        try:
            barrier.wait(timeout=10)
            conversations_attach_mentions(mention_ids=ids)
        except BaseException as exc:  # reported to the test below
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=work, args=(ids,)) for ids in pages]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    return errors


@pytest.mark.parametrize("round_", range(3))
def test_two_workers_open_the_same_threads_at_once(round_, caplog):
    account = SocialAccountFactory()
    start = timezone.now() - dt.timedelta(minutes=10)
    firsts, follow_ups = [], []
    for n in range(THREADS):
        first = MentionFactory(account=account, thread_key=f"race{round_}-{n}", created_at=start)
        firsts.append(first.pk)
        follow_ups.append(
            MentionFactory(
                account=account,
                thread_key=first.thread_key,
                author=first.author,
                created_at=start + dt.timedelta(minutes=1),
            ).pk
        )
    # One worker has the first messages, the other the follow-ups, in the opposite order.
    with caplog.at_level(logging.WARNING, logger="inbox.services"):
        errors = attach_together([firsts, follow_ups[::-1]])
    assert errors == []
    assert not [r for r in caplog.records if "could not attach thread" in r.getMessage()]

    conversations = Conversation.objects.filter(thread_key__startswith=f"race{round_}-")
    assert conversations.count() == THREADS
    for conversation in conversations:
        assert conversation.message_count == 2
        assert conversation.version == 2
        kinds = sorted(conversation.events.values_list("kind", flat=True))
        assert kinds == sorted([ConversationEvent.Kind.OPENED, ConversationEvent.Kind.MESSAGE])
        assert (
            AuditEvent.objects.filter(verb="conversation.open", object_id=str(conversation.pk)).count() == 1
        )


def test_a_thread_opened_by_another_worker_meanwhile_joins_its_conversation(caplog):
    """Worker B has opened the threads but not committed; worker A's insert waits, then joins them."""
    account = SocialAccountFactory()
    start = timezone.now() - dt.timedelta(minutes=10)
    firsts = [MentionFactory(account=account, thread_key=f"held-{n}", created_at=start) for n in range(3)]
    follow_ups = [
        MentionFactory(
            account=account,
            thread_key=m.thread_key,
            author=m.author,
            created_at=start + dt.timedelta(minutes=1),
        )
        for m in firsts
    ]
    b_attached = threading.Event()
    errors: list[BaseException] = []

    def worker_b() -> None:
        try:
            with transaction.atomic():
                conversations_attach_mentions(mention_ids=[m.pk for m in follow_ups])
                b_attached.set()
                # Commit only once worker A is waiting on our new rows.
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline and not _someone_waits_to_insert():
                    time.sleep(0.05)
        except BaseException as exc:
            errors.append(exc)
        finally:
            b_attached.set()
            connection.close()

    def worker_a() -> None:
        try:
            b_attached.wait(timeout=30)
            conversations_attach_mentions(mention_ids=[m.pk for m in firsts])
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=worker_b), threading.Thread(target=worker_a)]
    with caplog.at_level(logging.INFO, logger="inbox.services"):
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=60)
    assert errors == []
    assert any("opened by another worker" in r.getMessage() for r in caplog.records)
    for mention in firsts:
        conversation = Conversation.objects.get(thread_key=mention.thread_key)
        assert conversation.message_count == 2
        assert sorted(conversation.events.values_list("kind", flat=True)) == sorted(
            [ConversationEvent.Kind.OPENED, ConversationEvent.Kind.MESSAGE]
        )
        assert (
            AuditEvent.objects.filter(verb="conversation.open", object_id=str(conversation.pk)).count() == 1
        )


def _someone_waits_to_insert() -> bool:
    with connections["default"].cursor() as cursor:
        # Asked inside worker B's transaction, whose first look at pg_stat_activity is kept until it
        # ends unless cleared: without this, B never sees A waiting and commits only at its deadline.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND datname = current_database() AND query LIKE '%%INSERT INTO inbox_conversation%%'"
        )
        return cursor.fetchone()[0] > 0
