"""The ingest service stores each item once and moves cursors with the items."""

import dataclasses
import datetime as dt

import pytest
from django.db import DataError, transaction
from django.utils import timezone

from inbox.models import Conversation
from listening.connectors.base import DIRECTION_OUT, FetchResult, Quarantined
from listening.models import Author, Mention, QuarantinedItem
from listening.services import ingest, mentions_ingest, storing
from listening.signals import mentions_received
from tests.factories import SocialAccountFactory, fetched_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def account():
    return SocialAccountFactory(external_id="1585092736154238977", handle="northbridgebank")


def test_a_page_is_stored_once_even_when_read_twice(account, django_capture_on_commit_callbacks):
    page = FetchResult(items=[fetched_item("101"), fetched_item("102")], cursors={"mentions": "102"})
    with django_capture_on_commit_callbacks(execute=True):
        first = mentions_ingest(account=account, result=page)
    with django_capture_on_commit_callbacks(execute=True):
        second = mentions_ingest(account=account, result=page)
    assert len(first) == 2
    assert second == []
    assert Mention.objects.count() == 2
    assert Author.objects.count() == 1
    account.refresh_from_db()
    assert account.cursors == {"mentions": "102"}


def test_the_signal_carries_only_new_mentions_inside_the_pages_transaction(account):
    received = []

    def listener(sender, mention_ids, **kwargs):
        # The page is written by then, and nothing of it has committed yet.
        received.append((mention_ids, transaction.get_connection().in_atomic_block))

    mentions_received.connect(listener)
    try:
        mentions_ingest(account=account, result=FetchResult(items=[fetched_item("201")]))
        mentions_ingest(account=account, result=FetchResult(items=[fetched_item("201"), fetched_item("202")]))
    finally:
        mentions_received.disconnect(listener)
    assert received[-1] == ([Mention.objects.get(external_id="202").pk], True)


def test_a_receiver_that_fails_is_undone_alone_and_the_page_is_stored(account):
    def broken(sender, mention_ids, **kwargs):
        Author.objects.filter(external_id="42").update(name="written by a broken receiver")
        raise RuntimeError("a bug in a receiver")

    mentions_received.connect(broken)
    try:
        page = FetchResult(items=[fetched_item("251", thread_key="251")], cursors={"mentions": "251"})
        new = mentions_ingest(account=account, result=page)
    finally:
        mentions_received.disconnect(broken)
    assert new == [Mention.objects.get(external_id="251").pk]
    assert Author.objects.get(external_id="42").name != "written by a broken receiver"
    account.refresh_from_db()
    assert account.cursors == {"mentions": "251"}
    # The inbox, another receiver, attached the page all the same.
    assert list(Conversation.objects.values_list("thread_key", flat=True)) == ["251|42"]


def test_a_failure_keeps_the_cursor_where_it_was(account, monkeypatch):
    account.cursors = {"mentions": "100"}
    account.save()
    page = FetchResult(items=[fetched_item("300"), fetched_item("301")], cursors={"mentions": "301"})
    original = storing.rows_store

    def store_then_fail(**kwargs):
        original(**kwargs)
        raise DataError("the database refused something")

    monkeypatch.setattr(ingest, "rows_store", store_then_fail)
    with pytest.raises(DataError):
        mentions_ingest(account=account, result=page)
    account.refresh_from_db()
    assert account.cursors == {"mentions": "100"}
    assert not Mention.objects.filter(external_id="300").exists()


def test_an_item_the_database_could_not_hold_is_quarantined_and_the_page_kept(account):
    good = fetched_item("300")
    # kind is at most 16 characters: stored as it is, it would fail the whole page.
    odd = good.__class__(**{**fetched_item("301").__dict__, "kind": "k" * 40})
    mentions_ingest(account=account, result=FetchResult(items=[good, odd], cursors={"mentions": "301"}))
    assert list(Mention.objects.values_list("external_id", flat=True)) == ["300"]
    assert QuarantinedItem.objects.get().external_id == "301"
    account.refresh_from_db()
    assert account.cursors == {"mentions": "301"}


def test_quarantined_items_are_kept_with_their_reason(account):
    page = FetchResult(
        items=[fetched_item("401")],
        quarantined=[
            Quarantined(stream="mentions", reason="missing author_id", raw={"id": "402"}, external_id="402")
        ],
        cursors={"mentions": "402"},
    )
    mentions_ingest(account=account, result=page)
    item = QuarantinedItem.objects.get()
    assert item.reason == "missing author_id"
    assert item.raw == {"id": "402"}
    account.refresh_from_db()
    assert account.cursors["mentions"] == "402"


def test_a_customers_changed_profile_is_stored_and_an_unchanged_one_is_left_as_it_was(account):
    def customer_page(number: str, handle: str) -> FetchResult:
        return FetchResult(items=[fetched_item(number, author_id="61", handle=handle)])

    mentions_ingest(account=account, result=customer_page("601", "old_handle"))
    author = Author.objects.get(external_id="61")
    three_days_ago = timezone.now() - dt.timedelta(days=3)
    Author.objects.filter(pk=author.pk).update(updated_at=three_days_ago)

    mentions_ingest(account=account, result=customer_page("602", "old_handle"))
    assert Author.objects.get(pk=author.pk).updated_at == three_days_ago  # not written again

    mentions_ingest(account=account, result=customer_page("603", "new_handle"))
    changed = Author.objects.get(pk=author.pk)
    assert (changed.handle, changed.name) == ("new_handle", "New Handle")
    assert changed.updated_at > three_days_ago
    assert Author.objects.count() == 1
    assert sorted(Mention.objects.filter(author=author).values_list("external_id", flat=True)) == [
        "601",
        "602",
        "603",
    ]


@pytest.mark.parametrize("followers", [10**12, 2**31, -5])
def test_a_follower_count_the_column_cannot_hold_is_stored_as_unknown_and_the_page_goes_in(
    account, followers
):
    odd = fetched_item("701", author_id="71", handle="odd_count")
    odd = dataclasses.replace(odd, author=dataclasses.replace(odd.author, followers=followers))
    mentions_ingest(account=account, result=FetchResult(items=[odd, fetched_item("702", author_id="72")]))
    assert sorted(Mention.objects.values_list("external_id", flat=True)) == ["701", "702"]
    assert Author.objects.get(external_id="71").followers is None


def test_a_quarantined_item_whose_id_and_reason_hold_a_nul_is_kept_and_the_page_goes_in(account):
    # A damaged item names itself with what it carries; PostgreSQL text cannot hold NUL.
    page = FetchResult(
        items=[fetched_item("411")],
        quarantined=[
            Quarantined(
                stream="mentions\x00", reason="bad id 4\x0012", raw={"id": "41\x002"}, external_id="41\x002"
            )
        ],
        cursors={"mentions": "412"},
    )
    mentions_ingest(account=account, result=page)
    item = QuarantinedItem.objects.get()
    assert (item.stream, item.external_id, item.reason) == ("mentions", "412", "bad id 412")
    assert list(Mention.objects.values_list("external_id", flat=True)) == ["411"]
    account.refresh_from_db()
    assert account.cursors["mentions"] == "412"


def test_customer_mentions_open_a_conversation_and_the_banks_own_posts_do_not(
    account, django_capture_on_commit_callbacks
):
    customer = fetched_item("501", thread_key="501")
    ours = fetched_item(
        "502",
        author_id=account.external_id,
        handle=account.handle,
        thread_key="900",
        direction=DIRECTION_OUT,
        text="Our new savings rates are out",
    )
    with django_capture_on_commit_callbacks(execute=True):
        mentions_ingest(account=account, result=FetchResult(items=[customer, ours]))
    # The customer's conversation in thread 501 (fetched_item's author is "42").
    assert list(Conversation.objects.values_list("thread_key", flat=True)) == ["501|42"]


def test_an_edit_updates_the_text_and_keeps_the_earlier_version(account):
    mentions_ingest(
        account=account, result=FetchResult(items=[fetched_item("601", text="card declined twice")])
    )
    edit = fetched_item("602", text="card declined three times", replaces="601")
    mentions_ingest(account=account, result=FetchResult(items=[edit]))
    original = Mention.objects.get(external_id="601")
    assert original.text == "card declined three times"
    assert original.edit_history == ["card declined twice"]
    assert not Mention.objects.filter(external_id="602").exists()


def test_javascript_urls_are_never_stored(account):
    item = fetched_item("701")
    hostile = item.__class__(**{**item.__dict__, "url": "javascript:alert(1)"})
    mentions_ingest(account=account, result=FetchResult(items=[hostile]))
    assert Mention.objects.get(external_id="701").url == ""


def test_the_networks_timestamp_is_kept(account):
    when = timezone.now() - dt.timedelta(hours=3)
    mentions_ingest(account=account, result=FetchResult(items=[fetched_item("801", created_at=when)]))
    assert Mention.objects.get(external_id="801").created_at == when


def test_nul_characters_do_not_poison_a_page(account):
    """PostgreSQL refuses NUL in text and JSON; a hostile post must not block its page forever."""
    item = fetched_item("901", text="zero\x00byte")
    item = item.__class__(**{**item.__dict__, "raw": {"tweet": {"text": "zero\x00byte", "nested": ["\x00"]}}})
    mentions_ingest(account=account, result=FetchResult(items=[item], cursors={"mentions": "901"}))
    stored = Mention.objects.get(external_id="901")
    assert stored.text == "zerobyte"
    assert stored.raw["tweet"]["text"] == "zerobyte"


def test_a_budget_spent_mid_poll_keeps_the_items_and_waits_for_the_reset(account):
    from listening.connectors.base import RateBudget

    reset = timezone.now() + dt.timedelta(minutes=7)
    page = FetchResult(
        items=[fetched_item("1001")],
        cursors={"mentions": "1001"},
        rate=RateBudget(limit=75, remaining=0, reset_at=reset),
    )
    mentions_ingest(account=account, result=page)
    account.refresh_from_db()
    assert Mention.objects.filter(external_id="1001").exists()
    assert account.health == "rate_limited"
    assert account.rate_limited_until == reset
