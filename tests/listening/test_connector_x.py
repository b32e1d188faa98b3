"""The X connector through the sandbox, with the real tweepy client on the wire."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest

from devtools.sandbox import world
from devtools.sandbox.testing import SandboxControl
from listening.connectors.base import (
    DIRECTION_IN,
    DIRECTION_OUT,
    KIND_DIRECT,
    KIND_MENTION,
    KIND_REPLY,
    KIND_SEARCH,
    AccountInfo,
    AuthFailed,
    ConnectorError,
    RateLimited,
    connector_for,
)
from listening.connectors.x import TWEEPY_HOST, XConnector

BANK_ID = world.BANK_X["user_id"]


@pytest.fixture
def control(sandbox) -> SandboxControl:
    return SandboxControl(sandbox.url)


def make_connector(**options) -> XConnector:
    credentials = options.pop("credentials", world.DEMO_CREDENTIALS["x"])
    account = AccountInfo(
        network="x",
        external_id=BANK_ID,
        handle=world.BANK_X["handle"],
        credentials=credentials,
        options=options,
    )
    connector = connector_for(account)
    assert isinstance(connector, XConnector)
    return connector


def mentions_only(**options) -> XConnector:
    # Most tests are about the mentions stream; DMs have their own tests.
    return make_connector(direct_messages=False, **options)


def test_tweepy_still_hard_codes_the_host_the_adapter_rewrites():
    import inspect

    import tweepy

    assert TWEEPY_HOST in inspect.getsource(tweepy.client.BaseClient.request)


def test_new_mentions_come_back_normalised(control):
    first = control.post(
        network="x", kind="mention", text="@northbridgebank my card was declined", customer=1
    )
    second = control.post(network="x", kind="mention", text="@NorthbridgeBank app down?", customer=2)

    result = mentions_only().fetch({})

    assert [item.external_id for item in result.items] == [second["id"], first["id"]]
    item = result.items[1]
    assert item.kind == KIND_MENTION
    assert item.direction == DIRECTION_IN
    assert item.text == "@northbridgebank my card was declined"
    assert item.thread_key == first["id"]
    assert item.lang == "en"
    assert item.created_at.tzinfo is not None
    assert abs(item.created_at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)
    assert item.author.handle
    assert item.author.name
    assert item.author.avatar_url.startswith("http://127.0.0.1:")
    assert item.author.profile_url == f"https://x.com/{item.author.handle}"
    assert isinstance(item.author.followers, int)
    assert item.url == f"https://x.com/{item.author.handle}/status/{first['id']}"
    json.dumps(item.raw)  # stored as JSONB
    assert item.raw["tweet"]["id"] == first["id"]
    assert result.cursors["mentions"] == second["id"]
    assert result.quarantined == []


def test_the_cursor_returns_only_newer_mentions_and_stays_put_when_nothing_is_new(control):
    control.post(network="x", kind="mention", text="@northbridgebank one")
    connector = mentions_only()
    first = connector.fetch({})
    newer = control.post(network="x", kind="mention", text="@northbridgebank two")

    second = connector.fetch(first.cursors)
    assert [item.external_id for item in second.items] == [newer["id"]]

    third = connector.fetch(second.cursors)
    assert third.items == []
    assert third.cursors["mentions"] == second.cursors["mentions"] == newer["id"]


def test_pagination_follows_next_token_across_pages(control):
    made = control.generate(230, network="x", topic="fees")
    mentions = {m["id"] for m in made if m["kind"] in ("mention", "reply")}
    assert len(mentions) > 100  # more than one page

    result = mentions_only().fetch({})

    ids = [item.external_id for item in result.items]
    assert len(ids) == len(set(ids))
    assert mentions <= set(ids)
    assert result.cursors["mentions"] == max(ids, key=int)
    calls = control.requests()["x"]["GET /2/users/:id/mentions"]
    assert calls == -(-len(ids) // 100)


def test_a_backlog_longer_than_max_pages_is_resumed_not_skipped(control):
    for n in range(25):
        control.post(network="x", kind="mention", text=f"@northbridgebank backlog {n}")
    connector = mentions_only(max_pages=1)
    # The sandbox pages at our PAGE_SIZE; shrink it so 25 items make several pages.
    import listening.connectors.x.reading as x_module

    seen: list[str] = []
    cursors: dict[str, str] = {}
    original = x_module.PAGE_SIZE
    x_module.PAGE_SIZE = 10
    try:
        for _ in range(5):
            result = connector.fetch(cursors)
            seen += [item.external_id for item in result.items]
            cursors = {**cursors, **result.cursors}
            if not cursors["mentions_page"]:
                break
        late = control.post(network="x", kind="mention", text="@northbridgebank arrived later")
        result = connector.fetch(cursors)
        seen += [item.external_id for item in result.items]
    finally:
        x_module.PAGE_SIZE = original

    assert len(seen) == len(set(seen)) == 26
    assert seen[-1] == late["id"]
    assert result.cursors["mentions"] == late["id"]
    assert result.cursors["mentions_page"] == result.cursors["mentions_head"] == ""


def test_replies_in_a_conversation_keep_its_thread(control):
    root = control.post(network="x", kind="mention", text="@northbridgebank card declined", customer=4)
    reply = control.post(
        network="x", kind="reply", text="@northbridgebank still declined", customer=4, in_reply_to=root["id"]
    )

    items = {item.external_id: item for item in mentions_only().fetch({}).items}

    assert items[reply["id"]].kind == KIND_REPLY
    assert items[reply["id"]].in_reply_to == root["id"]
    assert items[reply["id"]].thread_key == root["id"]


def test_the_banks_own_posts_are_outgoing(control):
    own = control.post(network="x", kind="mention", author="bank", text="Thanks all! @northbridgebank team")
    control.post(network="x", kind="mention", text="@northbridgebank hello")

    items = {item.external_id: item for item in mentions_only().fetch({}).items}

    assert items[own["id"]].direction == DIRECTION_OUT
    assert items[own["id"]].author.handle == world.BANK_X["handle"]
    assert {i.direction for k, i in items.items() if k != own["id"]} == {DIRECTION_IN}


def test_rate_budget_is_reported_from_the_headers(control):
    control.post(network="x", kind="mention")
    result = mentions_only().fetch({})

    assert result.rate is not None
    assert result.rate.limit == 450
    assert result.rate.remaining == 449
    assert result.rate.reset_at is not None
    assert result.rate.reset_at > dt.datetime.now(dt.UTC)


def test_rate_limit_storm_raises_rate_limited_with_the_reset_time(control):
    control.post(network="x", kind="mention")
    scenario = control.scenario("rate_limit_storm", network="x", seconds=120)

    with pytest.raises(RateLimited) as caught:
        mentions_only().fetch({})

    assert abs(caught.value.reset_at.timestamp() - scenario["until"]) < 1.5
    assert caught.value.permanent is False


def test_an_exhausted_budget_answers_429_with_the_window_reset(control):
    control.rate_limit("x", "GET /2/users/:id/mentions", limit=1, window=600)
    connector = mentions_only()
    connector.fetch({})

    with pytest.raises(RateLimited) as caught:
        connector.fetch({})

    wait = caught.value.reset_at - dt.datetime.now(dt.UTC)
    assert dt.timedelta(minutes=9) < wait <= dt.timedelta(minutes=10)


def test_expired_token_raises_auth_failed(control):
    control.scenario("expired_token", network="x")
    with pytest.raises(AuthFailed) as caught:
        mentions_only().fetch({})
    assert caught.value.permanent is True


def test_an_unknown_token_raises_auth_failed(control):
    connector = mentions_only(credentials={"bearer_token": "revoked-long-ago"})
    with pytest.raises(AuthFailed):
        connector.fetch({})


def test_no_credentials_at_all_is_an_auth_failure():
    with pytest.raises(AuthFailed):
        mentions_only(credentials={}).fetch({})


@pytest.mark.parametrize("variant", ["missing_fields", "wrong_types"])
def test_a_malformed_item_is_quarantined_and_the_rest_of_the_page_kept(control, variant):
    made = [control.post(network="x", kind="mention", text=f"@northbridgebank n{n}") for n in range(5)]
    control.scenario("malformed", network="x", variant=variant)

    result = mentions_only().fetch({})

    assert len(result.items) == 4
    assert len(result.quarantined) == 1
    bad = result.quarantined[0]
    assert bad.stream == "mentions"
    assert bad.reason
    json.dumps(bad.raw)
    # The cursor covers the quarantined item too: it is stored, as quarantined.
    assert result.cursors["mentions"] == made[-1]["id"]


@pytest.mark.parametrize("variant", ["non_json", "truncated"])
def test_a_body_that_is_not_json_raises_and_does_not_move_the_cursor(control, variant):
    control.post(network="x", kind="mention")
    control.scenario("malformed", network="x", variant=variant)

    with pytest.raises(ConnectorError) as caught:
        mentions_only().fetch({"mentions": "1"})

    assert caught.value.permanent is False
    assert not isinstance(caught.value, RateLimited | AuthFailed)


def test_server_errors_are_transient(control):
    control.scenario("server_errors", network="x")
    connector = mentions_only()
    for _ in range(2):  # the sandbox alternates X's 503 and a proxy's HTML 502
        with pytest.raises(ConnectorError) as caught:
            connector.fetch({})
        assert caught.value.permanent is False


def test_a_hanging_network_times_out_instead_of_hanging_the_worker(control, settings):
    settings.NETWORK_HTTP_TIMEOUT = 0.5
    control.scenario("hanging", network="x", hang_seconds=60)

    started = time.monotonic()
    with pytest.raises(ConnectorError) as caught:
        mentions_only().fetch({})

    # Without the timeout the fetch would wait the minute out; the margin absorbs a busy machine.
    assert time.monotonic() - started < 30
    assert caught.value.permanent is False
    assert "timed out" in caught.value.message


def test_a_scenario_on_another_network_does_not_touch_x(control):
    control.post(network="x", kind="mention")
    control.scenario("server_errors", network="facebook")
    assert len(mentions_only().fetch({}).items) == 1


def test_connection_refused_is_transient(settings):
    settings.X_API_BASE_URL = "http://127.0.0.1:9"  # discard port: nothing listens
    with pytest.raises(ConnectorError) as caught:
        mentions_only().fetch({})
    assert caught.value.permanent is False


# --- Part 2: direct messages, search, retweets, quotes, edits, posting -----------------


def test_direct_messages_come_back_in_their_conversation(control):
    customer = control.post(network="x", kind="dm", text="Hi, my card ending 4321 was declined", customer=3)
    connector = make_connector()

    result = connector.fetch({})

    dms = [item for item in result.items if item.kind == KIND_DIRECT]
    assert [item.external_id for item in dms] == [customer["id"]]
    assert dms[0].thread_key == f"dm:{customer['thread']}"
    assert dms[0].direction == DIRECTION_IN
    assert dms[0].author.handle
    assert result.cursors["dm_events"] == customer["id"]

    reply = connector.send_private_message(
        text="Thanks, we've had a look", recipient_id=dms[0].author.external_id, thread_key=dms[0].thread_key
    )
    later = connector.fetch(result.cursors)
    assert [(i.external_id, i.direction) for i in later.items] == [(reply.external_id, DIRECTION_OUT)]
    assert later.items[0].thread_key == dms[0].thread_key
    assert connector.fetch(later.cursors).items == []


def test_a_private_message_can_go_by_conversation_id(control):
    customer = control.post(network="x", kind="dm", text="hello", customer=5)
    sent = make_connector().send_private_message(
        text="Hello!", recipient_id="", thread_key=f"dm:{customer['thread']}"
    )
    assert control.sent("x")[0]["id"] == sent.external_id
    assert control.sent("x")[0]["thread"] == customer["thread"]


def test_a_rate_limit_on_direct_messages_keeps_the_mentions(control):
    control.post(network="x", kind="mention")
    control.post(network="x", kind="dm", text="hi")
    control.rate_limit("x", "GET /2/dm_events", limit=0)

    result = make_connector().fetch({"dm_events": "5"})

    assert len(result.items) == 1
    assert result.cursors["dm_events"] == "5"
    assert result.rate is not None and result.rate.remaining == 0


def test_recent_search_finds_brand_talk_and_keeps_its_own_cursor(control):
    hit = control.post(network="x", kind="tweet", text="Northbridge Bank app down again, can't log in")
    control.post(network="x", kind="tweet", text="Lovely weather for a walk")
    connector = make_connector()

    first = connector.search(query='"northbridge bank" (app OR login) -is:retweet', cursors={})

    assert [(i.external_id, i.kind) for i in first.items] == [(hit["id"], KIND_SEARCH)]
    assert first.cursors["search"] == hit["id"]
    newer = control.post(network="x", kind="tweet", text="northbridge bank app works now")
    second = connector.search(query='"northbridge bank" app', cursors=first.cursors)
    assert [i.external_id for i in second.items] == [newer["id"]]


def test_retweets_are_skipped_unless_asked_for_and_quotes_are_kept(control):
    original = control.post(network="x", kind="mention", text="@northbridgebank great service today")
    retweet = control.post(network="x", kind="retweet", retweet_of=original["id"], customer=9)
    quote = control.post(
        network="x",
        kind="quote",
        quote_of=original["id"],
        text="@northbridgebank not my experience",
        customer=10,
    )

    default = {i.external_id for i in mentions_only().fetch({}).items}
    with_retweets = {i.external_id for i in mentions_only(include_retweets=True).fetch({}).items}

    assert default == {original["id"], quote["id"]}
    assert with_retweets == {original["id"], quote["id"], retweet["id"]}


def test_an_edit_replaces_the_original(control):
    original = control.post(network="x", kind="mention", text="@northbridgebank my card was declned")
    connector = mentions_only()
    first = connector.fetch({})
    edit = control.post(
        network="x", kind="edit", edit_of=original["id"], text="@northbridgebank my card was declined"
    )

    second = connector.fetch(first.cursors)

    assert [i.external_id for i in second.items] == [edit["id"]]
    assert second.items[0].replaces == original["id"]
    assert second.items[0].thread_key == original["thread"]
    assert first.items[0].replaces == ""


def test_a_public_reply_is_posted_once_and_the_conversation_goes_on(control):
    mention = control.post(network="x", kind="mention", text="@northbridgebank app down?", customer=2)
    connector = make_connector()
    cursors = connector.fetch({}).cursors

    sent = connector.send_public_reply(
        text="Sorry! We're on it. https://status.example/1", in_reply_to=mention["id"]
    )

    assert [s["id"] for s in control.sent("x")] == [sent.external_id]
    assert sent.url == f"https://x.com/northbridgebank/status/{sent.external_id}"
    follow_up = control.post(
        network="x", kind="reply", in_reply_to=sent.external_id, text="@northbridgebank thanks", customer=2
    )
    later = connector.fetch(cursors)
    assert [(i.external_id, i.thread_key) for i in later.items] == [(follow_up["id"], mention["thread"])]


def test_find_sent_looks_on_the_network_for_an_earlier_reply(control):
    mention = control.post(network="x", kind="mention")
    connector = make_connector()
    text = "We're sorry & we'll fix it: https://northbridge.example/help"

    assert connector.find_sent(text=text, in_reply_to=mention["id"]) is None
    sent = connector.send_public_reply(text=text, in_reply_to=mention["id"])
    found = connector.find_sent(text=text, in_reply_to=mention["id"])

    assert found is not None and found.external_id == sent.external_id
    assert connector.find_sent(text="something else", in_reply_to=mention["id"]) is None
    assert connector.find_sent(text=text, in_reply_to="1") is None


def test_find_sent_also_checks_direct_messages(control):
    dm = control.post(network="x", kind="dm", text="help", customer=6)
    connector = make_connector()
    thread = f"dm:{dm['thread']}"
    assert connector.find_sent(text="On it", in_reply_to=thread) is None
    sent = connector.send_private_message(text="On it", recipient_id="", thread_key=thread)
    assert connector.find_sent(text="On it", in_reply_to=thread).external_id == sent.external_id


def test_posting_errors_are_mapped(control):
    connector = make_connector()
    with pytest.raises(ConnectorError) as caught:
        connector.send_public_reply(text="hi", in_reply_to="1")  # no such tweet: 400
    assert caught.value.permanent is True
    control.scenario("server_errors", network="x")
    with pytest.raises(ConnectorError) as caught:
        connector.send_public_reply(text="hi", in_reply_to="1")
    assert caught.value.permanent is False
    assert control.sent() == []


def test_posting_without_user_credentials_is_an_auth_failure():
    with pytest.raises(AuthFailed):
        make_connector(credentials={"bearer_token": world.DEMO_TOKEN}).send_public_reply(
            text="x", in_reply_to="1"
        )


def test_oauth1_requests_are_signed_for_the_host_they_are_sent_to(control):
    mention = control.post(network="x", kind="mention")
    connector = make_connector(credentials=dict(world.DEMO_OAUTH1))

    assert [i.external_id for i in connector.fetch({}).items] == [mention["id"]]
    sent = connector.send_public_reply(text="Signed reply", in_reply_to=mention["id"])
    assert control.sent("x")[0]["id"] == sent.external_id


def test_without_re_signing_the_sandbox_rejects_oauth1(sandbox):
    import tweepy

    from listening.connectors.http import mount_base_url

    keys = world.DEMO_OAUTH1
    client = tweepy.Client(
        consumer_key=keys["consumer_key"],
        consumer_secret=keys["consumer_secret"],
        access_token=keys["access_token"],
        access_token_secret=keys["access_token_secret"],
    )
    mount_base_url(client.session, source=TWEEPY_HOST, target=f"{sandbox.url}/x", timeout=3)
    with pytest.raises(tweepy.Unauthorized):
        client.get_users_mentions(BANK_ID, user_auth=True)


# --- One test per sandbox scenario -----------------------------------------------------


def test_scenario_steady_is_a_varied_stream(control):
    control.scenario("server_errors", network="x")
    control.scenario("steady")  # clears the fault
    control.generate(60, network="x")

    result = make_connector().fetch({})

    kinds = {i.kind for i in result.items}
    assert {KIND_MENTION, KIND_DIRECT} <= kinds
    assert len({i.author.external_id for i in result.items}) > 10
    assert len({i.text for i in result.items}) > 20


def test_scenario_outage_floods_mentions_about_logging_in(control):
    control.scenario("outage", network="x")
    result = mentions_only().fetch({})
    assert len(result.items) >= 20
    words = ("log", "app", "down", "password", "locked", "code", "get into", "online banking")
    assert sum(any(w in i.text.lower() for w in words) for i in result.items) >= len(result.items) * 0.6


def test_scenario_large_pages_is_read_over_several_polls_without_loss(control):
    scenario = control.scenario("large_pages", network="x", count=600)
    assert scenario["burst"] == 600
    connector = make_connector(max_pages=2)
    seen: list[str] = []
    cursors: dict[str, str] = {}
    for _ in range(6):
        result = connector.fetch(cursors)
        seen += [i.external_id for i in result.items]
        cursors = {**cursors, **result.cursors}
        if not cursors["mentions_page"] and not cursors["dm_events_page"]:
            break
    assert len(seen) == len(set(seen))
    assert cursors["mentions_page"] == cursors["dm_events_page"] == ""
    # Exactly what one unbounded read of everything returns: nothing skipped, nothing twice.
    everything = make_connector(max_pages=50).fetch({})
    assert set(seen) == {i.external_id for i in everything.items}
    assert len(seen) >= 450


def test_scenario_hostile_content_is_kept_verbatim_but_made_storable(control):
    control.scenario("hostile", network="x", count=40)

    result = make_connector().fetch({})

    assert len(result.items) >= 30
    for item in result.items:
        assert "\x00" not in item.text
        assert "\x00" not in json.dumps(item.raw, ensure_ascii=False)
        assert item.author.avatar_url == "" or item.author.avatar_url.startswith("http")
        assert not item.author.profile_url or item.author.profile_url.startswith("https://x.com/")
    texts = " ".join(i.text for i in result.items)
    names = " ".join(i.author.name for i in result.items)
    assert "<" in texts or "\u202e" in texts or "\u200b" in texts
    assert "<script>" in names or "\u202e" in names or "DROP TABLE" in names
    assert any(i.author.avatar_url == "" for i in result.items)  # javascript:/data: URLs dropped


def test_clean_text_replaces_what_postgres_refuses():
    from listening.connectors.http import clean_json, clean_text, safe_http_url

    assert clean_text("a\x00b\ud800c") == "a\ufffdb\ufffdc"
    assert clean_json({"k\x00": ["\x00", 1, 2.5, float("nan"), None, True]}) == {
        "k\ufffd": ["\ufffd", 1, 2.5, None, None, True]
    }
    assert safe_http_url("javascript:alert(1)") == ""
    assert safe_http_url(" JaVaScRiPt:alert(1)") == ""
    assert safe_http_url("data:text/html;base64,xx") == ""
    assert safe_http_url("//evil.example/a.png") == ""
    assert safe_http_url("https://pbs.twimg.com/a.jpg") == "https://pbs.twimg.com/a.jpg"
