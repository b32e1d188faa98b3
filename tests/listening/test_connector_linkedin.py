"""The LinkedIn connector through the sandbox."""

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
    KIND_POST,
    AccountInfo,
    AuthFailed,
    ConnectorError,
    NotSupported,
    RateLimited,
    connector_for,
)
from listening.connectors.linkedin import LinkedInConnector

ORG = world.BANK_LINKEDIN_ORG


@pytest.fixture
def control(sandbox) -> SandboxControl:
    return SandboxControl(sandbox.url)


def make_connector(external_id: str = ORG["urn"], **options) -> LinkedInConnector:
    credentials = options.pop("credentials", world.DEMO_CREDENTIALS["linkedin"])
    account = AccountInfo(
        network="linkedin",
        external_id=external_id,
        handle=ORG["vanity_name"],
        credentials=credentials,
        options=options,
    )
    connector = connector_for(account)
    assert isinstance(connector, LinkedInConnector)
    return connector


def by_id(result):
    return {item.external_id: item for item in result.items}


def test_posts_comments_and_replies_come_back_with_names(control):
    comment = control.post(network="linkedin", text="Is the mortgage rate fixed?", customer=3)
    reply = control.post(network="linkedin", in_reply_to=comment["id"], text="Asking too", customer=4)

    connector = make_connector()
    result = connector.fetch({})
    items = by_id(result)

    assert items[comment["id"]].kind == KIND_COMMENT
    assert items[comment["id"]].direction == DIRECTION_IN
    assert items[comment["id"]].thread_key == comment["thread"]
    assert items[comment["id"]].in_reply_to == comment["thread"]
    assert items[comment["id"]].author.name
    assert items[comment["id"]].author.profile_url.startswith("https://www.linkedin.com/in/")
    assert items[reply["id"]].in_reply_to == comment["id"]
    assert items[reply["id"]].thread_key == comment["thread"]
    posts = [i for i in result.items if i.kind == KIND_POST]
    assert len(posts) == 3 and {p.direction for p in posts} == {DIRECTION_OUT}
    for item in result.items:
        json.dumps(item.raw)

    assert connector.fetch(result.cursors).items == []
    newer = control.post(network="linkedin", text="Thanks!", customer=5)
    assert [i.external_id for i in connector.fetch(result.cursors).items] == [newer["id"]]


def test_a_numeric_organisation_id_works_too(control):
    control.post(network="linkedin", text="hello")
    assert len(make_connector(external_id=ORG["id"]).fetch({}).items) == 4


def test_the_sandbox_insists_on_the_versioning_headers(sandbox):
    response = requests.get(
        f"{sandbox.url}/linkedin/rest/posts",
        params={"q": "author", "author": ORG["urn"]},
        headers={"Authorization": f"Bearer {world.DEMO_TOKEN}"},
        timeout=5,
    )
    assert response.status_code == 400


def test_replies_as_the_organisation_to_a_post_and_to_a_comment(control):
    comment = control.post(network="linkedin", text="App down?", customer=6)
    connector = make_connector()
    cursors = connector.fetch({}).cursors

    under_comment = connector.send_public_reply(text="Fixed now, sorry!", in_reply_to=comment["id"])
    under_post = connector.send_public_reply(text="Thanks everyone", in_reply_to=comment["thread"])

    assert [s["id"] for s in control.sent("linkedin")] == [under_comment.external_id, under_post.external_id]
    later = by_id(connector.fetch(cursors))
    assert later[under_comment.external_id].direction == DIRECTION_OUT
    assert later[under_comment.external_id].in_reply_to == comment["id"]
    assert later[under_post.external_id].in_reply_to == comment["thread"]
    found = connector.find_sent(text="Fixed now,  sorry!", in_reply_to=comment["id"])
    assert found is not None and found.external_id == under_comment.external_id
    assert connector.find_sent(text="Nope", in_reply_to=comment["id"]) is None


def test_private_messages_and_hiding_are_not_supported():
    connector = make_connector()
    with pytest.raises(NotSupported):
        connector.send_private_message(text="x", recipient_id="y", thread_key="z")
    with pytest.raises(NotSupported):
        connector.hide(external_id="x")


def test_an_expired_token_is_an_auth_failure(control):
    control.scenario("expired_token", network="linkedin")
    with pytest.raises(AuthFailed):
        make_connector().fetch({})


def test_a_daily_throttle_waits_until_midnight_utc(control):
    control.scenario("rate_limit_storm", network="linkedin")
    with pytest.raises(RateLimited) as caught:
        make_connector().fetch({})
    reset = caught.value.reset_at
    assert (reset.hour, reset.minute) == (0, 0)
    assert dt.timedelta(0) < reset - dt.datetime.now(dt.UTC) <= dt.timedelta(days=1)


def test_server_errors_are_transient(control):
    control.scenario("server_errors", network="linkedin")
    connector = make_connector()
    for _ in range(2):
        with pytest.raises(ConnectorError) as caught:
            connector.fetch({})
        assert caught.value.permanent is False


@pytest.mark.parametrize("variant", ["non_json", "truncated"])
def test_a_body_that_is_not_json_is_a_transient_error(control, variant):
    control.scenario("malformed", network="linkedin", variant=variant)
    with pytest.raises(ConnectorError) as caught:
        make_connector().fetch({})
    assert caught.value.permanent is False


@pytest.mark.parametrize("variant", ["missing_fields", "wrong_types"])
def test_malformed_comments_are_quarantined_and_the_rest_kept(control, variant):
    made = [control.post(network="linkedin", text=f"c{n}")["id"] for n in range(5)]
    control.scenario("malformed", network="linkedin", variant=variant)
    result = make_connector().fetch({})
    assert result.quarantined
    assert len(set(made) & set(by_id(result))) == 4


def test_a_hanging_linkedin_times_out(control, settings):
    settings.NETWORK_HTTP_TIMEOUT = 0.5
    control.scenario("hanging", network="linkedin", hang_seconds=60)
    started = time.monotonic()
    with pytest.raises(ConnectorError) as caught:
        make_connector().fetch({})
    # Without the timeout the fetch would wait the minute out; the margin absorbs a busy machine.
    assert time.monotonic() - started < 30
    assert "timed out" in caught.value.message and caught.value.permanent is False


def test_hostile_and_large_backlogs(control):
    control.scenario("hostile", network="linkedin", count=20)
    control.scenario("large_pages", network="linkedin", count=250)
    result = make_connector(max_pages=10).fetch({})
    comments = [i for i in result.items if i.kind == KIND_COMMENT]
    assert len(comments) == control.health()["counts"]["linkedin_comments"]
    assert all("\x00" not in i.text for i in comments)
    assert any("<" in i.author.name or "\u202e" in i.author.name for i in comments)
