"""The X connector through the sandbox, with the real tweepy client on the wire."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest

from listening.connectors.base import (
    DIRECTION_IN,
    DIRECTION_OUT,
    KIND_MENTION,
    KIND_REPLY,
    AccountInfo,
    AuthFailed,
    ConnectorError,
    RateLimited,
    connector_for,
)
from listening.connectors.x import TWEEPY_HOST, XConnector
from listening.sandbox import world
from listening.sandbox.testing import SandboxControl

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
    import listening.connectors.x as x_module

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
    control.scenario("hanging", network="x", hang_seconds=5)

    started = time.monotonic()
    with pytest.raises(ConnectorError) as caught:
        mentions_only().fetch({})

    assert time.monotonic() - started < 3
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
