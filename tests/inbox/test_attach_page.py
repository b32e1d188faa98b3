"""A page of new mentions is attached at once: the same facts as one by one, in a few statements."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bankbuzz.audit.models import AuditEvent
from inbox import selectors
from inbox.models import Conversation, ConversationEvent
from inbox.services import conversations_attach_mentions
from listening.models import Author
from tests.factories import MentionFactory, SocialAccountFactory
from tests.inbox.world import pii_findings

pytestmark = pytest.mark.django_db

Kind = ConversationEvent.Kind


def page(account, threads: int, *, prefix: str) -> list[int]:
    """`threads` customer threads: a first message, then a follow-up and our reply in half of them."""
    start = timezone.now() - dt.timedelta(minutes=30)
    bank, _ = Author.objects.get_or_create(network="x", external_id=account.external_id, handle="bank")
    ids = []
    for n in range(threads):
        first = MentionFactory(account=account, thread_key=f"{prefix}{n}", created_at=start)
        ids.append(first.pk)
        if n % 2:
            again = MentionFactory(
                account=account,
                thread_key=first.thread_key,
                author=first.author,
                text="Still nothing?",
                created_at=start + dt.timedelta(minutes=1),
            )
            ours = MentionFactory(
                account=account,
                thread_key=first.thread_key,
                direction="out",
                author=bank,
                created_at=start + dt.timedelta(minutes=2),
            )
            ids += [again.pk, ours.pk]
    return ids


def statements(mention_ids: list[int]) -> int:
    with CaptureQueriesContext(connection) as queries:
        conversations_attach_mentions(mention_ids=mention_ids)
    return len(queries)


def test_the_statements_do_not_grow_with_the_page():
    account = SocialAccountFactory()
    small = statements(page(account, 4, prefix="s"))
    large = statements(page(account, 40, prefix="l"))
    assert small == large <= 12
    assert Conversation.objects.count() == 44
    # And a page of follow-ups to those same threads (every conversation exists now).
    follow_ups = [
        MentionFactory(account=account, thread_key=c.thread_key, author=c.customer).pk
        for c in Conversation.objects.all()
    ]
    assert statements(follow_ups) <= 12
    assert set(Conversation.objects.values_list("message_count", flat=True)) == {2, 4}


def test_our_reply_in_the_same_page_is_the_first_response():
    account = SocialAccountFactory()
    conversations_attach_mentions(mention_ids=page(account, 2, prefix="r"))
    answered = Conversation.objects.get(thread_key="r1")
    assert answered.message_count == 3
    assert answered.first_response_at is not None
    assert answered.preview == "Still nothing?"
    assert list(answered.events.order_by("version", "id").values_list("kind", "version")) == [
        (Kind.OPENED, 1),
        (Kind.MESSAGE, 2),
        (Kind.REPLY, 3),
    ]
    assert answered.version == 3
    waiting = Conversation.objects.get(thread_key="r0")
    assert (waiting.message_count, waiting.first_response_at) == (1, None)


def test_our_post_before_the_customer_writes_opens_nothing_and_is_not_counted():
    account = SocialAccountFactory()
    now = timezone.now()
    ours = MentionFactory(
        account=account, thread_key="b1", direction="out", created_at=now - dt.timedelta(minutes=5)
    )
    customer = MentionFactory(account=account, thread_key="b1", created_at=now)
    conversations_attach_mentions(mention_ids=[ours.pk, customer.pk])
    conversation = Conversation.objects.get()
    assert conversation.customer == customer.author
    assert conversation.message_count == 1
    assert conversation.first_response_at is None


def test_every_opening_and_reopening_is_audited_once_by_the_system():
    account = SocialAccountFactory()
    old = MentionFactory(account=account, thread_key="a0", created_at=timezone.now() - dt.timedelta(hours=3))
    conversations_attach_mentions(mention_ids=[old.pk])
    Conversation.objects.filter(thread_key="a0").update(status=Conversation.Status.RESOLVED)
    again = MentionFactory(account=account, thread_key="a0", author=old.author, text="It happened again")
    new = [MentionFactory(account=account, thread_key=f"a{n}") for n in (1, 2)]
    conversations_attach_mentions(mention_ids=[again.pk, *(m.pk for m in new)])

    reopened = Conversation.objects.get(thread_key="a0")
    assert reopened.status == Conversation.Status.OPEN
    assert reopened.resolved_at is None
    audit = AuditEvent.objects.get(verb="conversation.reopen")
    assert audit.actor_label == "system" and audit.actor is None
    assert (audit.object_type, audit.object_id) == ("inbox.conversation", str(reopened.pk))
    assert audit.object_repr == str(reopened)
    assert audit.before == {"status": "resolved"}
    assert audit.after == {"status": "open", "mention": again.external_id}
    assert list(reopened.events.filter(version=reopened.version).values_list("kind", flat=True)) == [
        Kind.MESSAGE,
        Kind.REOPENED,
    ]
    opened = AuditEvent.objects.filter(verb="conversation.open").order_by("id")
    assert opened.count() == 3
    for mention in new:
        conversation = Conversation.objects.get(thread_key=mention.thread_key)
        row = opened.get(object_id=str(conversation.pk))
        assert row.after == {"status": "new", "mention": mention.external_id}
        assert row.actor_label == "system"


def test_one_thread_that_cannot_be_stored_does_not_keep_the_page_out():
    account = SocialAccountFactory()
    good = [MentionFactory(account=account, thread_key=f"g{n}") for n in range(3)]
    bad = MentionFactory(account=account, thread_key="poison")
    with connection.cursor() as cursor:
        # A database that refuses one conversation (a constraint, a bug): the others still land.
        cursor.execute(
            """
            CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.thread_key = 'poison' THEN RAISE EXCEPTION 'refused'; END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER refuse_poison BEFORE INSERT ON inbox_conversation
                FOR EACH ROW EXECUTE FUNCTION refuse_poison();
            """
        )
    touched = conversations_attach_mentions(mention_ids=[bad.pk, *(m.pk for m in good)])
    assert len(touched) == 3
    assert set(Conversation.objects.values_list("thread_key", flat=True)) == {"g0", "g1", "g2"}
    assert AuditEvent.objects.filter(verb="conversation.open").count() == 3


def test_every_conversation_of_the_page_is_searchable_by_its_messages():
    account = SocialAccountFactory()
    first = MentionFactory(account=account, thread_key="f1", text="My mortgage payment bounced")
    conversations_attach_mentions(mention_ids=[first.pk])
    follow_up = MentionFactory(
        account=account, thread_key="f1", author=first.author, text="Also my overdraft"
    )
    card = "card 4111 1111 1111 1111 was swallowed"
    other = MentionFactory(
        account=account, thread_key="f2", text=card, pii_findings=pii_findings(card), has_pii=True
    )
    conversations_attach_mentions(mention_ids=[follow_up.pk, other.pk])

    def found(words: str) -> set[str]:
        return set(
            Conversation.objects.filter(selectors.search_q(words)).values_list("thread_key", flat=True)
        )

    assert found("mortgage") == {"f1"}
    assert found("overdraft") == {"f1"}
    assert found("swallowed") == {"f2"}
    assert found("4111") == set()


def test_long_threads_are_written_in_several_statements_and_none_is_lost(monkeypatch):
    from inbox.services import search

    # As if every thread were hundreds of kilobytes of text: each one gets a statement of its own.
    monkeypatch.setattr(search, "STATEMENT_TEXT", 10)
    account = SocialAccountFactory()
    old = [MentionFactory(account=account, thread_key=f"long{n}", text=f"first words {n}") for n in range(2)]
    conversations_attach_mentions(mention_ids=[m.pk for m in old])
    page = [
        *(
            MentionFactory(account=account, thread_key=m.thread_key, author=m.author, text="overdraft")
            for m in old
        ),
        *(MentionFactory(account=account, thread_key=f"long{n}", text="mortgage") for n in (2, 3, 4)),
    ]
    with CaptureQueriesContext(connection) as queries:
        conversations_attach_mentions(mention_ids=[m.pk for m in page])
    assert (
        len(
            [
                q
                for q in queries
                if q["sql"].lstrip().startswith(("INSERT INTO inbox_conversation ", "UPDATE"))
            ]
        )
        == 5
    )
    found = set(
        Conversation.objects.filter(selectors.search_q("overdraft")).values_list("thread_key", flat=True)
    )
    assert found == {"long0", "long1"}
    assert Conversation.objects.filter(selectors.search_q("mortgage")).count() == 3
    assert set(Conversation.objects.values_list("message_count", flat=True)) == {1, 2}
