"""The tags a conversation carries on its row (`tag_ids`), which the tag filter reads, always
equal its tag links, however the links change (inbox/migrations/0023_conversation_tag_ids.py)."""

import importlib
import threading
from types import SimpleNamespace

import pytest
from django.db import connection, transaction

from inbox import services
from inbox.models import Conversation, Tag
from inbox.selectors import ListQuery, conversation_list
from inbox.selectors.filters import HasTag
from tests.factories import ConversationFactory
from tests.locks import waiting_on_a_lock


def tag_ids(conversation: Conversation) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tag_ids FROM inbox_conversation WHERE id = %s", [conversation.pk])
        return cursor.fetchone()[0]


def links(conversation: Conversation) -> list[int]:
    return sorted(conversation.tags.values_list("pk", flat=True))


def listed(user, tag: Tag) -> list[int]:
    page = conversation_list(user=user, query=ListQuery(view="open", tag=tag.pk), page_size=100)
    return sorted(c.pk for c in page.conversations)


@pytest.mark.django_db
def test_adding_removing_and_deleting_tags_keeps_the_row_and_the_filter_right(agent, lead):
    fees_only, both, none = (ConversationFactory(status="open") for _ in range(3))
    fees = services.conversation_tag_add(actor=agent, conversation=fees_only, name="Fees")
    services.conversation_tag_add(actor=agent, conversation=both, name="Fees")
    cards = services.conversation_tag_add(actor=agent, conversation=both, name="Cards")
    assert tag_ids(both) == sorted([fees.pk, cards.pk]) == links(both)
    assert tag_ids(none) == []
    assert listed(agent, fees) == sorted([fees_only.pk, both.pk])
    assert listed(agent, cards) == [both.pk]

    services.conversation_tag_remove(actor=agent, conversation=both, tag=fees)
    assert tag_ids(both) == [cards.pk]
    assert listed(agent, fees) == [fees_only.pk]

    # The links of a deleted tag go with it, and so does the tag from every row.
    cards_id = cards.pk
    services.tag_delete(actor=lead, tag=cards)
    assert tag_ids(both) == []
    assert Conversation.objects.filter(HasTag(cards_id)).count() == 0

    # Any path that writes the links: the related manager's set(), a raw statement.
    none.tags.set([fees])
    assert tag_ids(none) == [fees.pk]
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM inbox_conversation_tags WHERE tag_id = %s", [fees.pk])
    assert [tag_ids(c) for c in (fees_only, both, none)] == [[], [], []]


@pytest.mark.django_db
def test_a_stale_conversation_saved_whole_does_not_put_back_old_tags(agent):
    conversation = ConversationFactory(status="open")
    stale = Conversation.objects.get(pk=conversation.pk)  # as an admin form holds it
    fees = services.conversation_tag_add(actor=agent, conversation=conversation, name="Fees")
    stale.priority = 3
    stale.save()
    assert tag_ids(conversation) == [fees.pk]
    assert listed(agent, fees) == [conversation.pk]


@pytest.mark.django_db
def test_the_tag_filter_works_inside_a_subquery(agent):
    tagged, _other = ConversationFactory(status="open"), ConversationFactory(status="open")
    fees = services.conversation_tag_add(actor=agent, conversation=tagged, name="Fees")
    inner = Conversation.objects.filter(HasTag(fees.pk)).values("pk")
    assert list(Conversation.objects.filter(pk__in=inner).values_list("pk", flat=True)) == [tagged.pk]


@pytest.mark.django_db
def test_the_migration_fills_in_the_tags_of_conversations_tagged_before_it(agent):
    conversations = [ConversationFactory(status="open") for _ in range(5)]
    fees = Tag.objects.create(name="Fees")
    cards = Tag.objects.create(name="Cards")
    for n, conversation in enumerate(conversations):
        conversation.tags.add(*([fees, cards] if n % 2 else [fees]))
    with connection.cursor() as cursor:
        cursor.execute("UPDATE inbox_conversation SET tag_ids = '{}'")
    migration = importlib.import_module("inbox.migrations.0023_conversation_tag_ids")
    migration.BATCH = 2  # several batches
    migration.backfill(None, SimpleNamespace(connection=connection))
    for conversation in conversations:
        assert tag_ids(conversation) == links(conversation)


@pytest.mark.django_db(transaction=True)
def test_two_people_tagging_one_conversation_at_once_both_count(agent, other_agent):
    conversation = ConversationFactory(status="open")
    fees, cards = Tag.objects.create(name="Fees"), Tag.objects.create(name="Cards")
    first_tagged, second_started = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def second() -> None:
        try:
            first_tagged.wait(timeout=10)
            with transaction.atomic():
                second_started.set()
                # Waits for the first transaction's lock on the conversation, then counts its tag.
                conversation.tags.add(cards)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    worker = threading.Thread(target=second)
    worker.start()
    with transaction.atomic():
        conversation.tags.add(fees)
        first_tagged.set()
        second_started.wait(timeout=10)
        assert waiting_on_a_lock(), "the second transaction should wait for this one's lock"
    worker.join(timeout=30)
    assert errors == []
    assert tag_ids(conversation) == sorted([fees.pk, cards.pk]) == links(conversation)
