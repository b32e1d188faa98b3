"""Property: no mutation of a page's items crashes the batch or loses the valid items of the page,
and the cursor never moves past an item that was neither stored nor quarantined.

Each network's real connector reads a page whose items Hypothesis damages (fields dropped,
values of any JSON type, whole items replaced, junk added); the page then goes through
`mentions_ingest` into PostgreSQL, as a poll would.
"""

from __future__ import annotations

import copy
import datetime as dt
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devtools.sandbox import world
from inbox.models import Conversation
from listening.connectors.base import AccountInfo, ConnectorError, connector_for
from listening.models import Author, Mention, QuarantinedItem, SocialAccount
from listening.services import mentions_ingest

pytestmark = pytest.mark.django_db

SIZE = 6
START = dt.datetime(2026, 1, 5, 10, 0, tzinfo=dt.UTC)

# --- valid pages, as each network sends them ---------------------------------------------


def x_page() -> dict[str, Any]:
    # Newest first, like X.
    tweets = [
        {
            "id": str(1_860_000_000_000_000_000 + n * 4096),
            "text": f"@northbridgebank my card was declined, message {n}",
            "author_id": str(3_000 + n),
            "created_at": (START + dt.timedelta(minutes=n)).isoformat().replace("+00:00", ".000Z"),
            "conversation_id": str(1_860_000_000_000_000_000 + n * 4096),
            "edit_history_tweet_ids": [str(1_860_000_000_000_000_000 + n * 4096)],
            "lang": "en",
        }
        for n in reversed(range(SIZE))
    ]
    users = [{"id": str(3_000 + n), "username": f"customer{n}", "name": f"Customer {n}"} for n in range(SIZE)]
    return {"data": tweets, "includes": {"users": users}, "meta": {"result_count": SIZE}}


FB_POST = f"{world.BANK_FACEBOOK_PAGE['page_id']}_1220000000000001"


def facebook_page() -> dict[str, Any]:
    comments = [
        {
            "id": f"1220000000000001_{1220000000000100 + n}",
            "message": f"My card was declined, message {n}",
            "created_time": (START + dt.timedelta(minutes=n)).strftime("%Y-%m-%dT%H:%M:%S+0000"),
            "from": {"id": str(5_000 + n), "name": f"Customer {n}"},
            "permalink_url": f"https://www.facebook.com/{n}",
        }
        for n in range(SIZE)
    ]
    return {"data": comments}


LI_POST = "urn:li:share:7240000000000000001"


def linkedin_page() -> dict[str, Any]:
    comments = []
    for n in range(SIZE):
        urn = f"urn:li:comment:(urn:li:activity:7240000000000000001,{7240000000000000100 + n})"
        comments.append(
            {
                "id": str(7240000000000000100 + n),
                "commentUrn": urn,
                "$URN": urn,
                "actor": f"urn:li:person:p{n}",
                "object": "urn:li:activity:7240000000000000001",
                "message": {"text": f"My card was declined, message {n}"},
                "created": {
                    "actor": f"urn:li:person:p{n}",
                    "time": int(START.timestamp() * 1000) + n * 60_000,
                },
            }
        )
    return {"elements": comments}


# --- serving a page to the real connector, without the network ---------------------------


class FakeTweepy:
    def __init__(self, body):
        self.body = body
        self.calls = 0

    def get_users_mentions(self, *args, **kwargs):
        self.calls += 1
        return self.body if self.calls == 1 else {"meta": {"result_count": 0}}


def x_connector(body):
    connector = connector_for(
        AccountInfo(network="x", external_id=world.BANK_X["user_id"], handle="northbridgebank",
                    credentials={"bearer_token": "t"}, options={"direct_messages": False})
    )  # fmt: skip
    fake = FakeTweepy(body)
    connector._reader = (fake, False)
    return connector


def facebook_connector(body):
    connector = connector_for(
        AccountInfo(network="facebook", external_id=world.BANK_FACEBOOK_PAGE["page_id"],
                    handle="northbridgebank", credentials={"page_access_token": "t"},
                    options={"messenger": False, "tagged": False})
    )  # fmt: skip

    def request(path, *, args=None, post=None, action, writing=False):
        if path.endswith("/posts"):
            return {"data": [{"id": FB_POST, "created_time": "2026-01-05T09:00:00+0000"}]}
        if path == f"{FB_POST}/comments":
            return body
        return {"data": []}

    connector._request = request
    return connector


def linkedin_connector(body):
    connector = connector_for(
        AccountInfo(network="linkedin", external_id=world.BANK_LINKEDIN_ORG["urn"],
                    handle="northbridge-bank", credentials={"access_token": "t"})
    )  # fmt: skip

    def call(method, path, *, action, writing=False, **kwargs):
        if path == "/rest/posts":
            return {"elements": [{"id": LI_POST, "commentary": "Hello", "createdAt": 1_700_000_000_000}]}
        if "socialActions" in path and "activity" not in path:
            return body
        if path.startswith("/rest/people"):
            return {}
        return {"elements": []}

    connector._call = call
    return connector


NETWORKS = {
    "x": (x_page, x_connector, "data", world.BANK_X["user_id"]),
    "facebook": (facebook_page, facebook_connector, "data", world.BANK_FACEBOOK_PAGE["page_id"]),
    "linkedin": (linkedin_page, linkedin_connector, "elements", world.BANK_LINKEDIN_ORG["urn"]),
}

# --- mutations ----------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=6,
)
# Longer strings that look like ids: the kind of damage that gets past a type check.
id_like = st.from_regex(r"\A[0-9]{1,40}\Z") | st.from_regex(r"\Aurn:li:[a-z]{1,8}:.{1,220}\Z")
mutation = st.one_of(
    st.tuples(st.just("drop"), st.integers(0, 20)),
    st.tuples(st.just("set"), st.integers(0, 20), json_values | id_like),
    st.tuples(st.just("set_nested"), st.integers(0, 20), json_values | id_like),
    st.tuples(st.just("replace"), json_values),
    st.tuples(st.just("add"), st.text(max_size=8), json_values),
)
mutations = st.dictionaries(
    st.integers(0, SIZE - 1), st.lists(mutation, min_size=1, max_size=3), max_size=SIZE
)


def mutate(item: Any, ops) -> Any:
    for op in ops:
        if op[0] == "replace":
            item = copy.deepcopy(op[1])
            continue
        if not isinstance(item, dict):
            continue
        keys = sorted(item)
        if op[0] == "drop" and keys:
            item.pop(keys[op[1] % len(keys)])
        elif op[0] == "set" and keys:
            item[keys[op[1] % len(keys)]] = copy.deepcopy(op[2])
        elif op[0] == "set_nested":
            nested = [k for k in keys if isinstance(item[k], dict) and item[k]]
            if nested:
                inner = item[nested[op[1] % len(nested)]]
                inner[sorted(inner)[op[1] % len(inner)]] = copy.deepcopy(op[2])
        elif op[0] == "add":
            item[op[1]] = copy.deepcopy(op[2])
    return item


def id_of(network: str, raw: dict[str, Any]) -> str:
    return raw["commentUrn"] if network == "linkedin" else raw["id"]


@pytest.fixture
def accounts():
    made = {}
    for network, (_, _, _, external_id) in NETWORKS.items():
        made[network] = SocialAccount.objects.create(network=network, external_id=external_id, handle="bank")
    return made


@pytest.mark.parametrize("network", sorted(NETWORKS))
@settings(
    max_examples=int(os.environ.get("HYPOTHESIS_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(damage=mutations)
def test_no_item_damage_crashes_the_batch_or_loses_a_valid_item(accounts, network, damage):
    make_page, make_connector, list_key, _ = NETWORKS[network]
    account = accounts[network]
    # The inbox attaches each page in its transaction: its conversations hold the authors.
    Conversation.objects.all().delete()
    Mention.objects.all().delete()
    Author.objects.all().delete()
    QuarantinedItem.objects.all().delete()
    SocialAccount.objects.filter(pk=account.pk).update(cursors={})
    account.refresh_from_db()

    page = make_page()
    valid_ids = [id_of(network, raw) for n, raw in enumerate(page[list_key]) if n not in damage]
    page[list_key] = [
        mutate(copy.deepcopy(raw), damage[n]) if n in damage else raw for n, raw in enumerate(page[list_key])
    ]

    result = make_connector(page).fetch({})  # never raises for damaged items
    retweets = sum(
        1
        for raw in page[list_key]
        if isinstance(raw, dict)
        and isinstance(raw.get("referenced_tweets"), list)
        and any(isinstance(r, dict) and r.get("type") == "retweeted" for r in raw["referenced_tweets"])
    )
    # Every item of the page comes out as an item, a quarantined item, or a retweet left out on purpose.
    assert len(result.items) + len(result.quarantined) + retweets >= len(page[list_key])

    mentions_ingest(account=account, result=result)  # never raises either

    stored = set(Mention.objects.filter(account=account).values_list("external_id", flat=True))
    quarantined = set(QuarantinedItem.objects.filter(account=account).values_list("external_id", flat=True))
    assert set(valid_ids) <= stored
    # Nothing the connector read vanishes on the way into the database.
    assert {item.external_id[:128] for item in result.items} <= stored | quarantined

    account.refresh_from_db()
    if network == "x":
        cursor = account.cursors.get("mentions", "")
        assert cursor == "" or cursor in stored | quarantined
    else:
        # Time cursors: never past the newest item read, and every item read is stored or quarantined.
        cursor = account.cursors.get("comments", "")
        if cursor:
            newest = max(item.created_at for item in result.items if item.kind == "comment")
            unit = 1000 if network == "linkedin" else 1
            assert int(cursor) <= round(newest.timestamp() * unit)


def test_a_damaged_next_token_refuses_the_page_rather_than_skip_the_pages_after_it(accounts):
    page = x_page()
    page["meta"]["next_token"] = 12345
    with pytest.raises(ConnectorError, match="next_token"):
        x_connector(page).fetch({})


def test_a_lying_newest_id_does_not_move_the_cursor_past_posts_not_in_the_page(accounts):
    page = x_page()
    page["meta"]["newest_id"] = "9999999999999999999"
    result = x_connector(page).fetch({})
    assert result.cursors["mentions"] == page["data"][0]["id"]
