"""The Instagram connector through the sandbox, with requests on the wire."""

from __future__ import annotations

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
    AccountInfo,
    AuthFailed,
    ConnectorError,
    RateLimited,
    connector_for,
)
from listening.connectors.instagram import InstagramConnector

IG_ID = world.BANK_INSTAGRAM["user_id"]


@pytest.fixture
def control(sandbox) -> SandboxControl:
    return SandboxControl(sandbox.url)


def make_connector(**options) -> InstagramConnector:
    credentials = options.pop("credentials", world.DEMO_CREDENTIALS["instagram"])
    account = AccountInfo(
        network="instagram",
        external_id=IG_ID,
        handle=world.BANK_INSTAGRAM["username"],
        credentials=credentials,
        options=options,
    )
    connector = connector_for(account)
    assert isinstance(connector, InstagramConnector)
    return connector


def by_id(result):
    return {item.external_id: item for item in result.items}


def sandbox_state(server) -> dict:
    return server.app.store.snapshot()["instagram"]


def test_comments_replies_tags_and_direct_messages_come_back(control):
    comment = control.post(network="instagram", text="My card was declined at the till", customer=1)
    reply = control.post(network="instagram", in_reply_to=comment["id"], text="Same here", customer=2)
    ours = control.post(network="instagram", in_reply_to=comment["id"], author="bank", text="Sorry! DM us.")
    tagged = control.post(network="instagram", kind="tagged", text="New card arrived, thanks!", customer=3)
    message = control.post(network="instagram", kind="message", text="Can you call me back?", customer=4)

    result = make_connector().fetch({})
    items = by_id(result)

    assert not result.quarantined
    assert items[comment["id"]].kind == KIND_COMMENT
    assert items[comment["id"]].thread_key == comment["thread"]  # the media
    assert items[comment["id"]].in_reply_to == comment["thread"]
    assert items[comment["id"]].author.handle
    assert items[comment["id"]].url.startswith("https://www.instagram.com/p/")
    assert items[reply["id"]].in_reply_to == comment["id"]
    assert items[reply["id"]].thread_key == comment["thread"]
    assert items[ours["id"]].direction == DIRECTION_OUT
    assert items[tagged["id"]].kind == KIND_MENTION
    assert items[tagged["id"]].text == "New card arrived, thanks!"
    assert items[message["id"]].kind == KIND_DIRECT
    assert items[message["id"]].thread_key == f"ig:{message['thread']}"
    assert items[message["id"]].direction == DIRECTION_IN

    # The cursors cover everything: nothing comes back twice, a new comment does.
    assert make_connector().fetch(result.cursors).items == []
    later = control.post(network="instagram", text="Still waiting", customer=1)
    assert [i.external_id for i in make_connector().fetch(result.cursors).items] == [later["id"]]


def test_a_public_reply_goes_under_the_comment_once_and_appears_in_the_next_read(control):
    comment = control.post(network="instagram", text="Is the app down?", customer=1)
    reply = control.post(network="instagram", in_reply_to=comment["id"], text="For me too", customer=2)
    connector = make_connector()

    sent = connector.send_public_reply(text="We are on it, sorry!", in_reply_to=reply["id"])

    posted = control.sent("instagram")
    assert len(posted) == 1
    # Instagram keeps replies one level deep: an answer to a reply goes under its parent.
    assert posted[0]["in_reply_to"] == comment["id"]
    item = by_id(make_connector().fetch({}))[sent.external_id]
    assert item.direction == DIRECTION_OUT and item.in_reply_to == comment["id"]
    assert (
        connector.find_sent(text="we are on it,  sorry!", in_reply_to=reply["id"]).external_id
        == sent.external_id
    )


def test_an_answer_to_a_tag_is_a_comment_on_the_media(control):
    tagged = control.post(network="instagram", kind="tagged", text="Queue at the branch again", customer=5)
    sent = make_connector().send_public_reply(text="Sorry about the wait", in_reply_to=tagged["id"])
    assert control.sent("instagram")[0]["id"] == sent.external_id
    assert control.sent("instagram")[0]["thread"] == tagged["id"]


def test_a_direct_message_within_24_hours_is_a_plain_response(control):
    message = control.post(network="instagram", kind="message", text="Help with my card", customer=4)
    make_connector().send_private_message(
        text="Hello, how can we help?", recipient_id="", thread_key=f"ig:{message['thread']}"
    )
    sent = control.sent("instagram")
    assert len(sent) == 1
    assert sent[0]["tag"] == ""
    assert sent[0]["thread"] == message["thread"]


def test_after_24_hours_a_person_answers_with_the_human_agent_tag_and_after_7_days_not_at_all(control):
    two_days = control.post(
        network="instagram", kind="message", text="Any news?", customer=6, ago_seconds=2 * 86400
    )
    make_connector().send_private_message(
        text="Yes: refund sent", recipient_id="", thread_key=f"ig:{two_days['thread']}"
    )
    assert control.sent("instagram")[0]["tag"] == "HUMAN_AGENT"

    old = control.post(network="instagram", kind="message", text="Hello?", customer=7, ago_seconds=8 * 86400)
    with pytest.raises(ConnectorError) as caught:
        make_connector().send_private_message(text="Sorry", recipient_id="", thread_key=f"ig:{old['thread']}")
    assert caught.value.permanent and "7-day" in caught.value.message
    assert len(control.sent("instagram")) == 1


def test_the_sandbox_refuses_a_message_outside_the_window_like_instagram(control, sandbox, sandbox_server):
    old = control.post(network="instagram", kind="message", text="Hello?", customer=7, ago_seconds=30 * 3600)
    customer = sandbox_state(sandbox_server)["conversations"][old["thread"]]["user_id"]
    answer = requests.post(
        f"{sandbox.url}/instagram/v25.0/me/messages",
        json={"recipient": {"id": customer}, "message": {"text": "late"}},
        headers={"Authorization": f"Bearer {world.DEMO_TOKEN}"},
        timeout=5,
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == 10
    assert answer.json()["error"]["error_subcode"] == 2534022


def test_hide_unhide_and_delete_are_reflected_in_the_sandbox(control, sandbox_server):
    comment = control.post(network="instagram", text="Call me on 07700 900123", customer=1)
    ours = control.post(network="instagram", in_reply_to=comment["id"], author="bank", text="Please DM us")
    connector = make_connector()

    connector.hide(external_id=comment["id"])
    assert sandbox_state(sandbox_server)["comments"][comment["id"]]["hidden"] is True
    assert by_id(make_connector().fetch({}))[comment["id"]].raw["hidden"] is True
    connector.unhide(external_id=comment["id"])
    assert sandbox_state(sandbox_server)["comments"][comment["id"]]["hidden"] is False

    connector.delete(external_id=ours["id"])
    assert ours["id"] not in sandbox_state(sandbox_server)["comments"]
    assert ours["id"] not in by_id(make_connector().fetch({}))


def test_an_expired_or_unknown_token_is_an_auth_failure(control):
    control.scenario("expired_token", network="instagram")
    with pytest.raises(AuthFailed):
        make_connector().fetch({})
    control.clear_scenarios()
    with pytest.raises(AuthFailed):
        make_connector(credentials={"access_token": "wrong"}).fetch({})


def test_a_rate_limit_storm_is_rate_limited_and_5xx_transient(control):
    control.scenario("rate_limit_storm", network="instagram", reset_seconds=300)
    with pytest.raises(RateLimited):
        make_connector().fetch({})
    control.clear_scenarios()
    control.scenario("server_errors", network="instagram")
    for _ in range(2):  # JSON 500 and an HTML 502
        with pytest.raises(ConnectorError) as caught:
            make_connector().fetch({})
        assert not caught.value.permanent


def test_malformed_items_are_quarantined_and_the_rest_kept(control):
    for number in range(5):
        control.post(network="instagram", text=f"comment {number}", customer=number)
    control.scenario("malformed", network="instagram", variant="missing_fields")
    result = make_connector().fetch({})
    assert len(result.quarantined) >= 1
    assert result.quarantined[0].context.get("media_id")
    assert len(result.items) >= 4


@pytest.mark.parametrize("variant", ["truncated", "non_json"])
def test_a_body_that_is_not_json_is_a_transient_error(control, variant):
    control.post(network="instagram", text="hello", customer=1)
    control.scenario("malformed", network="instagram", variant=variant)
    with pytest.raises(ConnectorError) as caught:
        make_connector().fetch({})
    assert not caught.value.permanent


def test_an_api_version_instagram_no_longer_serves_is_refused(control, settings):
    settings.GRAPH_API_VERSION = "v19.0"
    with pytest.raises(ConnectorError) as caught:
        make_connector().fetch({})
    assert caught.value.permanent
    assert "2635" in caught.value.message and "GRAPH_API_VERSION" in caught.value.message


def test_the_sandbox_crowd_fills_the_account_with_comments_replies_tags_and_messages(control):
    made = control.generate(40, network="instagram")
    assert {m["kind"] for m in made} == {"comment", "tagged", "message"}
    result = make_connector(recent_posts=25).fetch({})
    assert not result.quarantined
    assert {m["id"] for m in made} <= set(by_id(result))
    assert control.health()["counts"]["instagram_comments"] >= 1
