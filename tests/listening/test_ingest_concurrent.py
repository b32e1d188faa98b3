"""Two workers ingesting overlapping pages at the same moment (a tweet that mentions two of the
bank's accounts is in both accounts' mention streams): each message is stored once, each thread
opens one conversation, no deadlock, and the receivers run once a message."""

import datetime as dt
import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from bankbuzz.audit.models import AuditEvent
from inbox.models import Conversation, ConversationEvent
from listening.connectors.base import FetchResult
from listening.models import Author, Mention
from listening.services import mentions_ingest
from listening.services.storing import rows_store
from listening.signals import mentions_received
from tests.factories import SocialAccountFactory, fetched_item
from tests.locks import waiting_on_a_lock

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 10


def page(round_: int, numbers: range, start: dt.datetime) -> FetchResult:
    """Items `numbers`: two a thread, each thread its own customer, a minute apart."""
    return FetchResult(
        items=[
            fetched_item(
                f"{round_}{n:03d}",
                thread_key=f"r{round_}t{n // 2}",
                author_id=f"{round_}{n // 2:03d}",
                handle=f"customer_{round_}_{n // 2}",
                text=f"Card declined again, message {n}",
                created_at=start + dt.timedelta(minutes=n % 2),
            )
            for n in numbers
        ]
    )


def ingest_together(jobs) -> list[BaseException]:
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def work(account, result) -> None:
        try:
            barrier.wait(timeout=10)
            mentions_ingest(account=account, result=result)
        except BaseException as exc:  # reported to the test below
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=work, args=job) for job in jobs]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=90)
    assert not any(worker.is_alive() for worker in workers), "an ingest did not finish"
    return errors


@pytest.mark.parametrize("round_", range(1, 4))
def test_overlapping_pages_ingested_at_once_store_and_open_everything_once(round_):
    first = SocialAccountFactory(network="x", external_id=f"9{round_}1", handle=f"bank_one_{round_}")
    second = SocialAccountFactory(network="x", external_id=f"9{round_}2", handle=f"bank_two_{round_}")
    start = timezone.now() - dt.timedelta(minutes=10)
    # Items 0-13 and 6-19: threads 3-6 in both pages, the second page in the opposite order.
    one = page(round_, range(0, 14), start)
    two = page(round_, range(6, 20), start)
    two.items.reverse()

    assert ingest_together([(first, one), (second, two)]) == []

    stored = Mention.objects.filter(external_id__startswith=str(round_), thread_key__startswith=f"r{round_}t")
    assert stored.count() == 2 * THREADS
    assert sorted(stored.values_list("external_id", flat=True)) == [f"{round_}{n:03d}" for n in range(20)]
    conversations = Conversation.objects.filter(thread_key__startswith=f"r{round_}t")
    assert conversations.count() == THREADS
    for conversation in conversations:
        assert conversation.message_count == 2
        assert sorted(conversation.events.values_list("kind", flat=True)) == sorted(
            [ConversationEvent.Kind.OPENED, ConversationEvent.Kind.MESSAGE]
        )
        assert (
            AuditEvent.objects.filter(verb="conversation.open", object_id=str(conversation.pk)).count() == 1
        )


def test_a_page_takes_its_mentions_in_one_order_and_waits_instead_of_deadlocking():
    """One worker holds message A uncommitted and goes on to store B; the other's page is [B, A].

    Taken in the page's order, the second worker would hold B and wait for A while the first waits
    for B: a deadlock. Taken in id order, it waits for A before it touches B.
    """
    account = SocialAccountFactory(network="x", external_id="981", handle="bank_order")
    # Authors all distinct: nobody waits on an author row, only on the messages.
    held_a = fetched_item("7001", author_id="71", handle="first_a")
    held_b = fetched_item("7002", author_id="72", handle="first_b")
    page_b_a = [fetched_item("7002", author_id="73", handle="second_b"), fetched_item("7001", author_id="74")]
    a_held, go = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with transaction.atomic():
                rows_store(account=account, items=[held_a])
                a_held.set()
                assert go.wait(timeout=30)
                rows_store(account=account, items=[held_b])
        except BaseException as exc:  # reported to the test below
            errors.append(exc)
        finally:
            a_held.set()
            connection.close()

    def second() -> None:
        try:
            with transaction.atomic():
                rows_store(account=account, items=page_b_a)
        except BaseException as exc:  # reported to the test below
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=first), threading.Thread(target=second)]
    workers[0].start()
    assert a_held.wait(timeout=30)
    workers[1].start()
    assert waiting_on_a_lock(), "the second worker never waited for the first"
    go.set()
    for worker in workers:
        worker.join(timeout=60)
    assert not any(worker.is_alive() for worker in workers)
    assert errors == []
    assert sorted(Mention.objects.filter(account=account).values_list("external_id", flat=True)) == [
        "7001",
        "7002",
    ]


def ingest_while_another_holds(hold, *, account, result: FetchResult) -> None:
    """`hold(held, go)` runs in another thread (another connection): it sets `held` once it holds
    what it holds and keeps it until `go`. Meanwhile this thread ingests `result` with 3 seconds
    of lock timeout: waiting for the other thread fails the ingest, and the test."""
    held, go = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def other() -> None:
        try:
            hold(held, go)
        except BaseException as exc:  # reported to the test below
            errors.append(exc)
        finally:
            held.set()
            connection.close()

    worker = threading.Thread(target=other, name="the other poll")
    worker.start()
    try:
        assert held.wait(timeout=30)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '3s'")
            mentions_ingest(account=account, result=result)
    finally:
        go.set()
        worker.join(timeout=60)
    assert errors == []


def customer_page(number: str, *, author_id: str, handle: str) -> FetchResult:
    return FetchResult(items=[fetched_item(number, author_id=author_id, handle=handle)])


def test_polls_that_share_a_customer_whose_profile_is_unchanged_do_not_wait_for_each_other():
    """The bank's main and help accounts polled at once, the same customer writing to both.

    Each page finds the customer stored with the profile it reads: neither writes the row, so
    neither holds a lock the other waits for.
    """
    main = SocialAccountFactory(network="x", external_id="991", handle="bank_main")
    help_ = SocialAccountFactory(network="x", external_id="992", handle="bank_help")
    known = {"author_id": "81", "handle": "known_customer"}
    mentions_ingest(account=main, result=customer_page("8000", **known))

    def first_page_open(held, go) -> None:
        with transaction.atomic():
            mentions_ingest(account=main, result=customer_page("8001", **known))
            held.set()
            assert go.wait(timeout=30)

    ingest_while_another_holds(first_page_open, account=help_, result=customer_page("8002", **known))
    assert sorted(Mention.objects.filter(author__external_id="81").values_list("external_id", flat=True)) == [
        "8000",
        "8001",
        "8002",
    ]


def test_a_poll_does_not_hold_up_another_for_a_new_customer_they_share_while_its_page_is_open():
    """A new customer is committed before the page, so the other poll finds it stored.

    The first poll stops inside its page's transaction: a receiver of `mentions_received`, which
    runs there, waits.
    """
    main = SocialAccountFactory(network="x", external_id="993", handle="bank_main_2")
    help_ = SocialAccountFactory(network="x", external_id="994", handle="bank_help_2")
    new = {"author_id": "82", "handle": "new_customer"}
    first: dict = {}

    def wait_inside(**_kwargs) -> None:
        if first.get("thread") == threading.get_ident():  # the first poll's page, not the second's
            first["held"].set()
            assert first["go"].wait(timeout=30)

    def first_page_open(held, go) -> None:
        first.update(thread=threading.get_ident(), held=held, go=go)
        mentions_ingest(account=main, result=customer_page("8101", **new))

    mentions_received.connect(wait_inside, weak=False, dispatch_uid="test-wait-inside")
    try:
        ingest_while_another_holds(first_page_open, account=help_, result=customer_page("8102", **new))
    finally:
        mentions_received.disconnect(dispatch_uid="test-wait-inside")
    assert Author.objects.filter(external_id="82").count() == 1
    assert sorted(Mention.objects.filter(author__external_id="82").values_list("external_id", flat=True)) == [
        "8101",
        "8102",
    ]


def test_a_changed_profile_is_written_without_waiting_for_another_pages_foreign_key_checks():
    """Another poll's page that refers to the customer checks its foreign key as it commits
    (`FOR KEY SHARE` of the customer's row). Writing the customer's new profile meanwhile must
    not wait for it, nor make it wait: two such polls could otherwise deadlock. (An upsert whose
    SET rewrote the key would lock the row FOR UPDATE, and wait.)
    """
    account = SocialAccountFactory(network="x", external_id="995", handle="bank_main_3")
    mentions_ingest(account=account, result=customer_page("8201", author_id="83", handle="old_name"))
    author = Author.objects.get(external_id="83")

    def foreign_key_check(held, go) -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM listening_author WHERE id = %s FOR KEY SHARE", [author.pk])
            held.set()
            assert go.wait(timeout=30)

    changed = customer_page("8202", author_id="83", handle="new_name")
    ingest_while_another_holds(foreign_key_check, account=account, result=changed)
    author.refresh_from_db()
    assert author.handle == "new_name"
