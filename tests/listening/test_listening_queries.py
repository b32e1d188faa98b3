"""Listening queries: saving, preview, matching at ingest, X search, what reaches the inbox, the pages."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from bankbuzz.audit.models import AuditEvent
from inbox.models import Conversation
from listening.connectors import base
from listening.models import ListeningQuery, Mention, QueryMatch
from listening.query.services import QueryInvalid, query_create, query_preview, query_run, query_update
from listening.services import mentions_ingest
from tests.factories import fetched_item

pytestmark = pytest.mark.django_db

DONE_WHEN = '("card declined" OR "can\'t log in") -test lang:en'


def ingest(account, *items):
    return mentions_ingest(account=account, result=base.FetchResult(items=list(items)))


def test_saving_matches_the_last_seven_days_and_is_audited(x_account, lead):
    ago = timezone.now() - dt.timedelta(days=2)
    ingest(
        x_account,
        fetched_item("1", text="@northbridgebank card declined at Tesco", created_at=ago),
        fetched_item("2", text="@northbridgebank card declined, just a test", created_at=ago),
        fetched_item(
            "3", text="@northbridgebank can't log in", created_at=timezone.now() - dt.timedelta(days=9)
        ),
    )
    query = query_create(actor=lead, name="Card problems", text=DONE_WHEN)
    assert list(QueryMatch.objects.filter(query=query).values_list("mention__external_id", flat=True)) == [
        "1"
    ]
    event = AuditEvent.objects.get(verb="listening_query.create")
    assert event.after["text"] == DONE_WHEN and event.after["backfilled"] == 1


def test_new_mentions_are_matched_at_ingest_on_every_network(x_account, facebook_account):
    query = query_create(
        actor=None, name="Outage", text='"can\'t log in" OR "app down"', networks=["x", "facebook"]
    )
    linkedin_only = query_create(actor=None, name="LI", text='"app down"', networks=["linkedin"])
    ingest(x_account, fetched_item("10", text="@northbridgebank is the app down?"))
    fb = base.FetchedItem(
        external_id="fb1",
        kind="comment",
        text="Can\u2019t log in since this morning",
        created_at=timezone.now(),
        author=base.FetchedAuthor(external_id="77", handle="jo"),
        thread_key="post1",
        raw={},
    )
    mentions_ingest(account=facebook_account, result=base.FetchResult(items=[fb]))
    assert QueryMatch.objects.filter(query=query).count() == 2
    assert not QueryMatch.objects.filter(query=linkedin_only).exists()


def test_invalid_queries_are_refused_with_the_position():
    with pytest.raises(QueryInvalid) as caught:
        query_create(actor=None, name="Bad", text='"card declined" OR')
    assert caught.value.syntax.position == 16
    long_query = " OR ".join(f'"phrase number {i}"' for i in range(40))
    with pytest.raises(QueryInvalid, match="over X's limit"):
        query_create(actor=None, name="Long", text=long_query)
    # Not on X: no X limit.
    assert query_create(actor=None, name="Long FB", text=long_query, networks=["facebook"]).pk


def test_preview_runs_on_stored_posts_without_saving(x_account):
    ingest(x_account, fetched_item("20", text="@northbridgebank card declined again"))
    preview = query_preview(text=DONE_WHEN, networks=["x"])
    assert preview.matched == 1 and preview.scanned == 1
    assert preview.x_query.endswith("-is:retweet")
    assert [m.external_id for m in preview.samples] == ["20"]
    assert not ListeningQuery.objects.exists()


def test_changing_the_text_rebuilds_matches_and_resets_the_x_cursor(x_account):
    ingest(x_account, fetched_item("30", text="@northbridgebank fees again"))
    query = query_create(actor=None, name="Q", text="mortgage")
    ListeningQuery.objects.filter(pk=query.pk).update(cursors={"x": {"search": "99"}})
    query_update(actor=None, query=query, text="fees")
    query.refresh_from_db()
    assert query.cursors == {}
    assert QueryMatch.objects.filter(query=query).count() == 1


# --- X search and the inbox policy ---------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "in_inbox"),
    [("all", {"q", "c", "p"}), ("questions", {"q", "c"}), ("none", set())],
)
def test_search_hits_reach_the_inbox_by_policy(sandbox, x_account, policy, in_inbox):
    texts = {
        "q": "Northbridge Bank how do I change my address?",
        "c": "Northbridge Bank charged me a fee again, this is unacceptable and I want it refunded",
        "p": "Northbridge Bank sponsors the marathon this year",
    }
    ids = {key: sandbox.post(network="x", kind="tweet", text=text)["id"] for key, text in texts.items()}
    query = query_create(
        actor=None, name="Brand", text='"northbridge bank"', networks=["x"], inbox_policy=policy
    )
    with django_capture_on_commit():
        outcome = query_run(query_id=query.pk)
    assert outcome.status == "ok" and outcome.new_mentions == 3
    stored = {m.external_id: m for m in Mention.objects.filter(kind="search")}
    assert set(stored) == set(ids.values())
    assert QueryMatch.objects.filter(query=query).count() == 3
    # Each conversation is one customer's in the network's thread of the post.
    conversations = set(Conversation.objects.values_list("thread_key", flat=True))
    assert {key.split("|")[0] for key in conversations} == {ids[key] for key in in_inbox}
    query.refresh_from_db()
    assert query.cursors["x"]["search"] and query.last_error == ""


def test_a_search_hit_kept_out_is_promoted_when_it_turns_out_to_mention_the_bank(x_account):
    query = ListeningQuery.objects.create(name="B", text="help", networks=["x"], inbox_policy="none")
    from listening.query.services import query_results_ingest

    item = fetched_item("40", text="@northbridgebank help please, my card is blocked")
    with django_capture_on_commit():
        query_results_ingest(query=query, account=x_account, result=base.FetchResult(items=[item]))
    assert not Mention.objects.get(external_id="40").for_inbox
    assert not Conversation.objects.exists()
    with django_capture_on_commit():
        assert ingest(x_account, item)  # the account's mentions stream reads it: now it is new for the inbox
    assert Mention.objects.get(external_id="40").for_inbox
    assert Conversation.objects.filter(thread_key="40|42").exists()


def test_a_search_hit_read_again_from_the_accounts_stream_counts_as_the_accounts_mention(x_account):
    import dataclasses

    from listening.query.services import query_results_ingest

    query = ListeningQuery.objects.create(name="B", text="help", networks=["x"], inbox_policy="all")
    item = fetched_item("41", text="@northbridgebank the app is down again")
    hit = dataclasses.replace(item, kind=base.KIND_SEARCH)
    with django_capture_on_commit():
        query_results_ingest(query=query, account=x_account, result=base.FetchResult(items=[hit]))
    assert Mention.objects.get(external_id="41").kind == "search"
    with django_capture_on_commit():
        assert ingest(x_account, item) == []  # already in the inbox: nothing new for it
    stored = Mention.objects.get(external_id="41")
    assert stored.kind == "mention" and stored.for_inbox
    assert Mention.objects.filter(external_id="41").count() == 1


def test_a_run_without_an_x_account_says_so():
    query = query_create(actor=None, name="Brand", text="northbridge", networks=["x"])
    assert query_run(query_id=query.pk).status == "no_account"
    query.refresh_from_db()
    assert "No connected X account" in query.last_error


class django_capture_on_commit:
    """Run on_commit callbacks (the mentions_received signal) inside a test transaction."""

    def __enter__(self):
        from django.db import connection

        self.start = len(connection.run_on_commit)

    def __exit__(self, *exc):
        from django.db import connection

        callbacks = connection.run_on_commit[self.start :]
        del connection.run_on_commit[self.start :]
        for _sids, callback, _robust in callbacks:
            callback()


# --- The pages ----------------------------------------------------------------------------------


def test_a_lead_previews_saves_and_sees_the_volume(client, lead, x_account):
    ingest(x_account, fetched_item("50", text="@northbridgebank card declined at the till", handle="jane"))
    client.force_login(lead)
    assert client.get(reverse("listening:query_create")).status_code == 200
    preview = client.post(
        reverse("listening:query_preview"), {"text": DONE_WHEN, "networks": ["x", "facebook"]}
    )
    html = preview.content.decode()
    assert 'class="preview-count">1<' in html and "card declined at the till" in html
    response = client.post(
        reverse("listening:query_create"),
        {
            "name": "Card problems",
            "text": DONE_WHEN,
            "kind": "topic",
            "networks": ["x"],
            "inbox_policy": "none",
            "is_active": "on",
        },
    )
    query = ListeningQuery.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("listening:query", args=[query.pk])
    page = client.get(reverse("listening:query", args=[query.pk]) + "?range=24h").content.decode()
    assert "Card problems" in page and "chart-data" in page
    assert '<span class="dash-figure-value">1</span>' in page
    index = client.get(reverse("listening:index")).content.decode()
    assert "Card problems" in index


def test_the_preview_shows_where_the_mistake_is(client, lead):
    client.force_login(lead)
    html = client.post(
        reverse("listening:query_preview"), {"text": 'card OR <b>"x', "networks": ["x"]}
    ).content.decode()
    assert "quote is never closed" in html
    assert "<mark>&quot;</mark>" in html and "&lt;b&gt;" in html
    form = client.post(
        reverse("listening:query_create"),
        {"name": "x", "text": "card AND", "kind": "topic", "networks": ["x"], "inbox_policy": "none"},
    )
    assert "&#x27;AND&#x27; needs something" in form.content.decode()
    assert not ListeningQuery.objects.exists()


def test_social_content_and_query_text_are_escaped(client, agent, x_account):
    ingest(
        x_account,
        fetched_item("60", text="@northbridgebank <script>alert(1)</script> card declined", handle="evil"),
    )
    query_create(actor=None, name="<img src=x>", text='card "declined"', kind="brand")
    client.force_login(agent)
    html = client.get(reverse("listening:index")).content.decode()
    assert "<script>alert(1)" not in html and "<img src=x>" not in html
    assert "&lt;img src=x&gt;" in html


@pytest.mark.parametrize("persona", ["agent", "manager", "compliance"])
def test_readers_see_insights_but_cannot_write_queries(client, request, persona):
    query = query_create(actor=None, name="Brand", text="northbridge")
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("listening:index")).status_code == 200
    assert client.get(reverse("listening:query", args=[query.pk])).status_code == 200
    assert client.get(reverse("listening:alerts")).status_code == 200
    assert client.get(reverse("listening:query_create")).status_code == 403
    assert client.get(reverse("listening:query_edit", args=[query.pk])).status_code == 403
    assert client.post(reverse("listening:query_preview"), {"text": "a"}).status_code == 403


@pytest.mark.parametrize("persona", ["specialist", "outsider"])
def test_others_see_nothing(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("listening:index")).status_code == 403


def test_the_listening_page_has_a_bounded_number_of_queries(
    client, lead, x_account, django_assert_max_num_queries
):
    for i in range(3):
        query_create(actor=None, name=f"Q{i}", text="card", kind="competitor" if i else "brand")
    ingest(
        x_account,
        *[fetched_item(str(70 + i), text=f"@northbridgebank card {i}", author_id=str(i)) for i in range(20)],
    )
    client.force_login(lead)
    with django_assert_max_num_queries(25):
        assert client.get(reverse("listening:index")).status_code == 200
