"""The Facebook connector through the sandbox, with the real facebook-sdk on the wire."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
import requests

from devtools.sandbox import world
from devtools.sandbox.testing import SandboxControl
from listening.connectors.base import (
    DIRECTION_IN,
    DIRECTION_OUT,
    KIND_COMMENT,
    KIND_DIRECT,
    KIND_MENTION,
    KIND_POST,
    AccountInfo,
    AuthFailed,
    ConnectorError,
    RateLimited,
    connector_for,
)
from listening.connectors.facebook import GRAPH_VERSION, FacebookConnector

PAGE_ID = world.BANK_FACEBOOK_PAGE["page_id"]


@pytest.fixture
def control(sandbox) -> SandboxControl:
    return SandboxControl(sandbox.url)


def make_connector(**options) -> FacebookConnector:
    credentials = options.pop("credentials", world.DEMO_CREDENTIALS["facebook"])
    account = AccountInfo(
        network="facebook",
        external_id=PAGE_ID,
        handle=world.BANK_FACEBOOK_PAGE["username"],
        credentials=credentials,
        options=options,
    )
    connector = connector_for(account)
    assert isinstance(connector, FacebookConnector)
    return connector


def by_id(result):
    return {item.external_id: item for item in result.items}


def test_the_page_feed_comments_replies_tags_and_messenger_come_back(control):
    comment = control.post(network="facebook", kind="comment", text="My card was declined", customer=1)
    reply = control.post(
        network="facebook", kind="comment", in_reply_to=comment["id"], text="Same here", customer=2
    )
    visitor = control.post(
        network="facebook", kind="visitor_post", text="Branch closed early again", customer=3
    )
    tagged = control.post(network="facebook", kind="tagged", text="Thanks Northbridge!", customer=4)
    message = control.post(network="facebook", kind="message", text="Can you call me back?", customer=5)

    connector = make_connector()
    result = connector.fetch({})
    items = by_id(result)

    assert connector._client().version == GRAPH_VERSION
    assert items[comment["id"]].kind == KIND_COMMENT
    assert items[comment["id"]].thread_key == comment["thread"]
    assert items[comment["id"]].in_reply_to == comment["thread"]
    assert items[comment["id"]].author.name
    assert items[comment["id"]].author.avatar_url.startswith("http://127.0.0.1:")
    assert items[reply["id"]].in_reply_to == comment["id"]
    assert items[reply["id"]].thread_key == comment["thread"]
    assert items[visitor["id"]].kind == KIND_POST
    assert items[visitor["id"]].direction == DIRECTION_IN
    assert items[tagged["id"]].kind == KIND_MENTION
    assert items[message["id"]].kind == KIND_DIRECT
    assert items[message["id"]].thread_key == f"m:{message['thread']}"
    own = [i for i in result.items if i.direction == DIRECTION_OUT]
    assert {i.kind for i in own} == {KIND_POST}  # the Page's own announcements
    assert result.quarantined == []
    for item in result.items:
        json.dumps(item.raw)
        assert item.created_at.tzinfo is not None
    assert result.rate is not None and result.rate.limit == 100

    again = connector.fetch(result.cursors)
    assert again.items == []
    newer = control.post(
        network="facebook", kind="comment", in_reply_to=visitor["id"], text="Me too", customer=6
    )
    later = connector.fetch({**result.cursors, **again.cursors})
    assert [i.external_id for i in later.items] == [newer["id"]]


def test_paging_next_is_followed_with_the_token(control):
    ids = [control.post(network="facebook", kind="comment", text=f"comment {n}")["id"] for n in range(130)]
    result = make_connector(messenger=False, tagged=False).fetch({})
    assert set(ids) <= set(by_id(result))
    assert control.requests()["facebook"]["GET /{object-id}/comments"] >= 2


def test_a_public_reply_is_a_comment_posted_once(control):
    comment = control.post(network="facebook", kind="comment", text="Fees again?", customer=7)
    connector = make_connector()
    cursors = connector.fetch({}).cursors

    sent = connector.send_public_reply(text="Hi, we've sent you a message", in_reply_to=comment["id"])

    assert [s["id"] for s in control.sent("facebook")] == [sent.external_id]
    later = by_id(connector.fetch(cursors))
    assert later[sent.external_id].direction == DIRECTION_OUT
    assert later[sent.external_id].in_reply_to == comment["id"]
    assert connector.find_sent(
        text="Hi,  we've sent you a message", in_reply_to=comment["id"]
    ).external_id == (sent.external_id)
    assert connector.find_sent(text="other", in_reply_to=comment["id"]) is None


def test_a_messenger_reply_goes_to_the_customer_of_the_thread(control):
    message = control.post(network="facebook", kind="message", text="Card blocked", customer=8)
    connector = make_connector()
    cursors = connector.fetch({}).cursors
    thread = f"m:{message['thread']}"

    assert connector.find_sent(text="Unblocked now", in_reply_to=thread) is None
    sent = connector.send_private_message(text="Unblocked now", recipient_id="", thread_key=thread)

    assert control.sent("facebook")[0]["thread"] == message["thread"]
    later = connector.fetch(cursors)
    assert [(i.external_id, i.direction, i.thread_key) for i in later.items] == [
        (sent.external_id, DIRECTION_OUT, thread)
    ]
    assert connector.find_sent(text="Unblocked now", in_reply_to=thread).external_id == sent.external_id


def test_hide_sets_is_hidden(control, sandbox):
    comment = control.post(network="facebook", kind="comment", text="spam spam", customer=9)
    make_connector().hide(external_id=comment["id"])
    body = requests.get(
        f"{sandbox.url}/graph/{GRAPH_VERSION}/{comment['id']}",
        params={"fields": "is_hidden", "access_token": world.DEMO_TOKEN},
        timeout=5,
    ).json()
    assert body == {"id": comment["id"], "is_hidden": True}


def test_an_expired_token_is_an_auth_failure(control):
    control.scenario("expired_token", network="facebook")
    with pytest.raises(AuthFailed):
        make_connector().fetch({})


def test_an_unknown_token_is_an_auth_failure(sandbox):
    with pytest.raises(AuthFailed):
        make_connector(credentials={"page_access_token": "nope"}).fetch({})


def test_a_rate_limit_storm_waits_as_long_as_the_usage_header_says(control):
    control.scenario("rate_limit_storm", network="facebook", seconds=600)
    with pytest.raises(RateLimited) as caught:
        make_connector().fetch({})
    wait = caught.value.reset_at - dt.datetime.now(dt.UTC)
    assert dt.timedelta(minutes=9) < wait <= dt.timedelta(minutes=10, seconds=5)


def test_server_errors_json_or_html_are_transient(control):
    control.scenario("server_errors", network="facebook")
    connector = make_connector()
    for _ in range(2):
        with pytest.raises(ConnectorError) as caught:
            connector.fetch({})
        assert caught.value.permanent is False
        assert not isinstance(caught.value, AuthFailed | RateLimited)


@pytest.mark.parametrize("variant", ["non_json", "truncated"])
def test_a_body_that_is_not_json_is_a_transient_error(control, variant):
    control.scenario("malformed", network="facebook", variant=variant)
    with pytest.raises(ConnectorError) as caught:
        make_connector().fetch({})
    assert caught.value.permanent is False


def test_malformed_items_are_quarantined_and_the_rest_kept(control):
    made = [control.post(network="facebook", kind="comment", text=f"c{n}")["id"] for n in range(5)]
    control.scenario("malformed", network="facebook", variant="missing_fields")

    result = make_connector(messenger=False, tagged=False).fetch({})

    assert result.quarantined
    assert {q.stream for q in result.quarantined} <= {"feed", "comments"}
    assert len(set(made) & set(by_id(result))) == 4


def test_a_hanging_graph_times_out(control, settings):
    settings.NETWORK_HTTP_TIMEOUT = 0.5
    control.scenario("hanging", network="facebook", hang_seconds=60)
    started = time.monotonic()
    with pytest.raises(ConnectorError) as caught:
        make_connector().fetch({})
    # Without the timeout the fetch would wait the minute out; the margin absorbs a busy machine.
    assert time.monotonic() - started < 30
    assert "timed out" in caught.value.message and caught.value.permanent is False


def test_hostile_content_is_kept_and_dangerous_urls_dropped(control):
    control.scenario("hostile", network="facebook", count=30)
    result = make_connector().fetch({})
    incoming = [i for i in result.items if i.direction == DIRECTION_IN]
    assert len(incoming) >= 20
    assert all("\x00" not in i.text for i in incoming)
    assert all(i.author.avatar_url == "" or i.author.avatar_url.startswith("http") for i in incoming)
    assert any("<" in i.author.name or "\u202e" in i.author.name for i in incoming)


def test_an_outage_and_a_large_backlog_are_read_in_full(control):
    control.scenario("outage", network="facebook")
    control.scenario("large_pages", network="facebook", count=300)
    connector = make_connector(max_pages=20)
    result = connector.fetch({})
    health = control.health()["counts"]
    fb_total = health["facebook_comments"] + health["facebook_messages"] + health["facebook_posts"]
    assert len(result.items) == fb_total
