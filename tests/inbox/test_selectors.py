"""Saved views, filters, search, sorts with keyset cursors, capped counts."""

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from bankbuzz.accounts import roles
from inbox import selectors, services
from inbox.models import Conversation, Tag
from inbox.selectors import ListQuery
from tests.factories import ConversationFactory
from tests.inbox.world import customer_message

pytestmark = pytest.mark.django_db


def shown(user, **query) -> list[int]:
    return [c.pk for c in selectors.conversation_list(user=user, query=ListQuery(**query)).conversations]


def test_saved_views(agent, other_agent):
    new = ConversationFactory()
    mine = ConversationFactory(assignee=agent, status="open")
    theirs = ConversationFactory(assignee=other_agent, status="open")
    urgent = ConversationFactory(priority=3)
    expert = ConversationFactory(status="waiting_expert", assignee=agent)
    resolved = ConversationFactory(status="resolved")
    spam = ConversationFactory(status="spam")
    assert set(shown(agent, view="unassigned")) == {new.pk, urgent.pk}
    assert set(shown(agent, view="mine")) == {mine.pk, expert.pk}
    assert set(shown(agent, view="urgent")) == {urgent.pk}
    assert set(shown(agent, view="waiting_expert")) == {expert.pk}
    assert set(shown(agent, view="open")) == {new.pk, mine.pk, theirs.pk, urgent.pk, expert.pk}
    assert shown(agent, view="resolved") == [resolved.pk]
    assert shown(agent, view="spam") == [spam.pk]
    counts = selectors.view_counts(user=agent)
    assert counts == {
        "unassigned": 2, "mine": 2, "urgent": 1, "waiting_expert": 1, "open": 5, "resolved": 1, "spam": 1,
    }  # fmt: skip


def test_counts_stop_at_the_cap_with_a_limited_subquery(agent):
    for _ in range(7):
        ConversationFactory()
    counts = selectors.view_counts(user=agent, cap=5)
    assert counts["open"] == 6  # cap + 1: shown as "5+"
    from inbox.templatetags.inbox_tags import capped

    assert capped(counts["open"], 5) == "5+"
    assert capped(1234, 1000) == "1,000+"
    assert capped(999, 1000) == "999"


def test_counts_are_one_query_of_limited_subqueries(agent, django_assert_num_queries):
    roles.roles_of(agent)  # the role lookup is cached on the user for the request
    with django_assert_num_queries(1) as captured:
        selectors.view_counts(user=agent)
    sql = captured.captured_queries[0]["sql"]
    assert sql.count("LIMIT 1001") == len(selectors.SAVED_VIEWS)


def test_filters_combine(agent, other_agent):
    tag_me = ConversationFactory(network="facebook", sentiment_label="negative", has_pii=True, lang="fr")
    services.conversation_tag_add(actor=agent, conversation=tag_me, name="Fees")
    ConversationFactory(network="facebook", sentiment_label="positive")
    ConversationFactory(network="x", sentiment_label="negative", assignee=other_agent, priority=2)
    tag = tag_me.tags.get()
    assert shown(agent, network="facebook", sentiment="negative") == [tag_me.pk]
    assert shown(agent, tag=tag.pk) == [tag_me.pk]
    assert shown(agent, pii=True, lang="fr") == [tag_me.pk]
    assert len(shown(agent, assignee=str(other_agent.pk), priority=2)) == 1
    assert len(shown(agent, assignee="none")) == 2
    assert shown(agent, assignee="me") == []


def test_date_range_on_last_activity(agent):
    today = timezone.localdate()
    old = ConversationFactory(last_activity_at=timezone.now() - dt.timedelta(days=10))
    recent = ConversationFactory()
    assert shown(agent, active_from=today) == [recent.pk]
    assert shown(agent, active_to=today - dt.timedelta(days=5)) == [old.pk]


def test_full_text_search_over_messages_names_and_handles(agent):
    declined = customer_message(
        text="My card keeps getting DECLINED", thread="q1", handle="jane_doe", name="Jane Doe"
    )
    outage = customer_message(text="The app is down again", thread="q2", handle="jan_k", name="Jan Kowalski")
    assert shown(agent, q="declines") == [declined.pk]  # stemmed
    assert shown(agent, q="jane") == [declined.pk]  # name, and the handle's parts
    assert shown(agent, q="kowalski app") == [outage.pk]  # a name and a word of the text
    assert set(shown(agent, q="@jan")) == {declined.pk, outage.pk}  # handle prefix
    assert shown(agent, q="@jan_") == [outage.pk]
    assert shown(agent, q='"app is down"') == [outage.pk]
    assert shown(agent, q="mortgage") == []


def test_a_quoted_phrase_matches_those_words_in_that_order(agent):
    down = customer_message(text="The app is down again", thread="p1", handle="amy")
    customer_message(text="Your app store listing is out of date", thread="p2", handle="bob")
    customer_message(text="Is the app down? It logs me out", thread="p3", handle="cat")
    customer_message(text="I went down to the branch, the app is fine", thread="p4", handle="dan")
    assert shown(agent, q='"app is down"') == [down.pk]
    assert shown(agent, q='"App   is Down" again') == [down.pk]  # spaces and case, plus a word
    assert shown(agent, q='"app is down" -again') == []
    assert len(shown(agent, q="app down")) > 1  # unquoted: the words anywhere, stemmed


def test_personal_data_is_not_searchable(agent):
    customer_message(text="block card 4111 1111 1111 1111 please", thread="q3", handle="tom")
    assert shown(agent, q="block") != []
    assert shown(agent, q="4111") == []


def test_search_uses_the_gin_index(agent):
    for n in range(30):
        ConversationFactory(thread_key=f"idx-{n}")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        qs = Conversation.objects.filter(selectors.search_q("declined"))
        plan = qs.explain()
    assert "conv_search_gin_idx" in plan


@pytest.mark.parametrize(
    ("sort", "index"), [("waiting", "conv_active_waiting_idx"), ("newest", "conv_active_newest_idx")]
)
def test_the_tag_filter_walks_the_open_conversations_in_the_sorts_order(agent, sort, index):
    # At a million conversations, joining every link of a tag and sorting them took 60-370 ms;
    # walking the open ones in order, testing each row's tags, and stopping at a page takes a few.
    from django.test.utils import CaptureQueriesContext

    for n in range(30):
        conversation = ConversationFactory(status="open", thread_key=f"tagged-{n}")
        if n % 3 == 0:
            services.conversation_tag_add(actor=agent, conversation=conversation, name="Fees")
    tag = Tag.objects.get(name="Fees")
    with CaptureQueriesContext(connection) as captured:
        assert len(shown(agent, view="open", tag=tag.pk, sort=sort)) == 10
    page_ids = next(
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].startswith('SELECT "inbox_conversation"."id"') and "tag_ids @>" in q["sql"]
    )
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("EXPLAIN " + page_ids)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert index in plan


@pytest.mark.parametrize("sort", ["newest", "waiting", "priority"])
def test_each_sort_pages_by_keyset_without_gaps_or_repeats(agent, sort):
    now = timezone.now()
    for n in range(23):
        ConversationFactory(
            priority=n % 4,
            last_inbound_at=now - dt.timedelta(minutes=n % 5),  # ties broken by the id
            last_activity_at=now - dt.timedelta(minutes=n % 7),
        )
    keys = selectors.SORTS[sort][1]
    expected = list(
        Conversation.objects.order_by(*selectors.order_by_keys(keys)).values_list("pk", flat=True)
    )
    seen, cursor = [], None
    while True:
        page = selectors.conversation_list(user=agent, query=ListQuery(sort=sort), cursor=cursor, page_size=5)
        seen += [c.pk for c in page.conversations]
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert seen == expected


@pytest.mark.parametrize("sort", ["newest", "waiting", "priority"])
def test_a_tag_filter_pages_in_the_sort_order_with_its_rows_complete(agent, sort):
    """The tag filter pages like any list: same order, pages and row details."""
    now = timezone.now()
    tagged = []
    for n in range(13):
        conversation = ConversationFactory(
            priority=n % 4,
            status="resolved" if n % 6 == 5 else "open",
            last_inbound_at=now - dt.timedelta(minutes=n % 5),
            last_activity_at=now - dt.timedelta(minutes=n % 7),
        )
        services.conversation_tag_add(actor=agent, conversation=conversation, name="Fees")
        if n % 3 == 0:
            services.conversation_tag_add(actor=agent, conversation=conversation, name="Cards")
        tagged.append(conversation.pk)
    ConversationFactory(status="open")  # not tagged
    tag = Conversation.objects.get(pk=tagged[0]).tags.get(name="Fees")
    keys = selectors.SORTS[sort][1]
    expected = list(
        Conversation.objects.filter(pk__in=tagged, status__in=Conversation.ACTIVE)
        .order_by(*selectors.order_by_keys(keys))
        .values_list("pk", flat=True)
    )
    seen, cursor = [], None
    while True:
        page = selectors.conversation_list(
            user=agent, query=ListQuery(tag=tag.pk, sort=sort), cursor=cursor, page_size=4, rows_only=True
        )
        for row in page.conversations:
            assert row.row.tags == (["Cards", "Fees"] if tagged.index(row.pk) % 3 == 0 else ["Fees"])
            assert row.customer.handle  # the row's customer came with it
        seen += [c.pk for c in page.conversations]
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert seen == expected


def test_a_cursor_of_another_sort_is_refused(agent):
    ConversationFactory()
    ConversationFactory()
    page = selectors.conversation_list(user=agent, query=ListQuery(sort="newest"), page_size=1)
    with pytest.raises(selectors.BadCursor):
        selectors.conversation_list(user=agent, query=ListQuery(sort="priority"), cursor=page.next_cursor)


def test_new_since_counts_only_the_current_view(agent):
    before = timezone.now() - dt.timedelta(seconds=1)
    ConversationFactory(status="open")
    ConversationFactory(status="resolved")
    assert selectors.new_since_count(user=agent, query=ListQuery(view="open"), since=before) == 1
    assert selectors.new_since_count(user=agent, query=ListQuery(view="open"), since=timezone.now()) == 0
