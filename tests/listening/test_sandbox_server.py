"""The sandbox server itself: control API, state, determinism, wire details."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time

import pytest
import requests

from devtools.sandbox import world
from devtools.sandbox.server import Sandbox, SandboxServer
from devtools.sandbox.testing import SandboxControl, running_sandbox

AUTH = {"Authorization": f"Bearer {world.DEMO_TOKEN}"}
MENTIONS = f"/x/2/users/{world.BANK_X['user_id']}/mentions"


@pytest.fixture
def sandbox_url():
    with running_sandbox() as (server, _):
        yield server.url


@pytest.fixture
def control(sandbox_url) -> SandboxControl:
    return SandboxControl(sandbox_url)


def test_health_names_the_bank(control):
    health = control.health()
    assert health["ok"] is True
    assert health["bank"]["x"]["handle"] == "northbridgebank"
    assert health["bank"]["linkedin"]["urn"] == world.BANK_LINKEDIN_ORG["urn"]
    assert health["scenarios"] == []


def test_x_answers_with_rate_headers_and_problem_json(sandbox_url):
    ok = requests.get(sandbox_url + MENTIONS, headers=AUTH, timeout=5)
    denied = requests.get(sandbox_url + MENTIONS, headers={"Authorization": "Bearer nope"}, timeout=5)

    assert ok.status_code == 200
    assert denied.status_code == 401
    assert denied.headers["Content-Type"] == "application/problem+json"
    assert denied.json() == {
        "title": "Unauthorized",
        "detail": "Unauthorized",
        "type": "about:blank",
        "status": 401,
    }
    for response in (ok, denied):
        assert {"x-rate-limit-limit", "x-rate-limit-remaining", "x-rate-limit-reset"} <= set(response.headers)


def test_x_wire_format(control, sandbox_url):
    root = control.post(network="x", kind="mention", text="@northbridgebank fees & <charges>")
    control.post(network="x", kind="reply", text="@northbridgebank again", in_reply_to=root["id"])
    params = {
        "max_results": 5,
        "tweet.fields": "created_at,author_id,conversation_id,lang,referenced_tweets",
        "expansions": "author_id",
        "user.fields": "profile_image_url,verified,public_metrics",
    }
    body = requests.get(sandbox_url + MENTIONS, headers=AUTH, params=params, timeout=5).json()

    newest, oldest = body["data"]
    assert isinstance(newest["id"], str)
    assert newest["referenced_tweets"] == [{"type": "replied_to", "id": root["id"]}]
    assert newest["conversation_id"] == root["id"]
    assert oldest["text"] == "@northbridgebank fees &amp; &lt;charges&gt;"  # X escapes these three
    assert oldest["edit_history_tweet_ids"] == [root["id"]]
    assert oldest["created_at"].endswith("Z") and len(oldest["created_at"]) == 24
    user = body["includes"]["users"][0]
    assert set(user) == {"id", "name", "username", "profile_image_url", "verified", "public_metrics"}
    assert body["meta"] == {"result_count": 2, "newest_id": newest["id"], "oldest_id": oldest["id"]}

    # Only the default fields when none are asked for.
    bare = requests.get(sandbox_url + MENTIONS, headers=AUTH, timeout=5).json()
    assert set(bare["data"][0]) == {"id", "text", "edit_history_tweet_ids"}
    assert "includes" not in bare


def test_pages_go_older_with_next_token(control, sandbox_url):
    ids = [control.post(network="x", kind="mention")["id"] for _ in range(12)]
    first = requests.get(sandbox_url + MENTIONS, headers=AUTH, params={"max_results": 5}, timeout=5).json()
    second = requests.get(
        sandbox_url + MENTIONS,
        headers=AUTH,
        params={"max_results": 5, "pagination_token": first["meta"]["next_token"]},
        timeout=5,
    ).json()
    got = [t["id"] for t in first["data"] + second["data"]]
    assert got == list(reversed(ids))[:10]


def test_an_exhausted_budget_is_a_429_with_reset(control, sandbox_url):
    control.rate_limit("x", "GET /2/users/:id/mentions", limit=2, window=60)
    statuses = [requests.get(sandbox_url + MENTIONS, headers=AUTH, timeout=5) for _ in range(3)]
    assert [r.status_code for r in statuses] == [200, 200, 429]
    assert statuses[2].headers["x-rate-limit-remaining"] == "0"
    assert int(statuses[2].headers["x-rate-limit-reset"]) > time.time()


def test_sent_lists_what_the_bank_posted_and_requests_are_counted(control, sandbox_url):
    mention = control.post(network="x", kind="mention")
    response = requests.post(
        sandbox_url + "/x/2/tweets",
        headers=AUTH,
        json={"text": "Sorry to hear that", "reply": {"in_reply_to_tweet_id": mention["id"]}},
        timeout=5,
    )
    assert response.status_code == 201
    sent = control.sent("x")
    assert len(sent) == 1
    assert sent[0]["in_reply_to"] == mention["id"]
    assert sent[0]["id"] == response.json()["data"]["id"]
    assert control.requests()["x"] == {"POST /2/tweets": 1}


def test_scenarios_are_validated_listed_and_cleared(control):
    with pytest.raises(requests.HTTPError):
        control.scenario("no_such_thing")
    with pytest.raises(requests.HTTPError):
        control.scenario("malformed", variant="exotic")
    control.scenario("server_errors", network="x", seconds=60)
    assert [s["name"] for s in control.health()["scenarios"]] == ["server_errors"]
    assert control.clear_scenarios() == 1


def test_scenarios_expire(control, sandbox_url):
    control.scenario("server_errors", network="x", seconds=0.3)
    assert requests.get(sandbox_url + MENTIONS, headers=AUTH, timeout=5).status_code >= 500
    time.sleep(0.4)
    assert requests.get(sandbox_url + MENTIONS, headers=AUTH, timeout=5).status_code == 200


def test_outage_is_a_burst_mostly_about_logging_in(control, sandbox_url):
    scenario = control.scenario("outage", network="x")
    assert scenario["burst"] == 30
    body = requests.get(sandbox_url + MENTIONS, headers=AUTH, params={"max_results": 100}, timeout=5).json()
    texts = [t["text"].lower() for t in body["data"]]
    about_access = [
        t for t in texts if any(w in t for w in ("log", "app", "down", "password", "locked", "code"))
    ]
    assert len(about_access) >= len(texts) * 0.6


def test_the_same_seed_says_the_same_things():
    def texts(seed: int) -> list[str]:
        app = Sandbox(rate=0, seed=seed)
        made = [app.traffic.emit(network="x") for _ in range(15)]
        tweets = app.store.data["x"]["tweets"]
        events = app.store.data["x"]["dm_events"]
        return [(tweets.get(m["id"]) or events[m["id"]])["text"] for m in made]

    assert texts(5) == texts(5)
    assert texts(5) != texts(6)


def test_traffic_flows_at_the_configured_rate():
    with running_sandbox(rate=40) as (server, control):
        time.sleep(0.6)
        counts = control.health()["counts"]
        # A quarter as much talk about the other banks, which recent search finds.
        search = requests.get(
            server.url + "/x/2/tweets/search/recent",
            headers=AUTH,
            params={"query": "harbourline OR crestmoor", "max_results": 100},
            timeout=5,
        ).json()
    assert 10 <= counts["generated"] <= 40
    assert 1 <= counts["competitor_generated"] <= 0.25 * counts["generated"] + 2
    assert len(search["data"]) >= counts["competitor_generated"] - 1
    assert all(
        "harbourline" in tweet["text"].lower() or "crestmoor" in tweet["text"].lower()
        for tweet in search["data"]
    )


def test_state_survives_a_restart(tmp_path):
    state = tmp_path / "state.json"
    with running_sandbox(state_path=state) as (_, control):
        made = control.post(network="x", kind="mention", text="@northbridgebank remember me")
        control.scenario("hostile", network="x", seconds=600)
    assert json.loads(state.read_text())["x"]["tweets"][made["id"]]["text"] == "@northbridgebank remember me"
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]  # no temp files left behind

    with running_sandbox(state_path=state) as (server, control):
        body = requests.get(
            server.url + MENTIONS, headers=AUTH, params={"max_results": 100}, timeout=5
        ).json()
        assert made["id"] in {t["id"] for t in body["data"]}
        assert [s["name"] for s in control.health()["scenarios"]] == ["hostile"]


def test_reset_forgets_everything(control):
    control.post(network="x", kind="mention")
    control.reset()
    assert control.health()["counts"]["x_tweets"] == 3  # the bank's own announcements
    assert control.sent() == []


def test_the_access_log_never_shows_a_graph_token(sandbox_url, caplog):
    secret = "EAAG-sandbox-secret-token-123"
    with caplog.at_level("DEBUG", logger="devtools.sandbox"):
        requests.get(f"{sandbox_url}/graph/v21.0/me?fields=id&access_token={secret}", timeout=5)
        time.sleep(0.2)  # the server thread logs after answering
    lines = [r.getMessage() for r in caplog.records if r.name == "devtools.sandbox"]
    assert any("/graph/v21.0/me" in line and "access_token=[redacted]" in line for line in lines)
    assert not any(secret in line for line in lines)


def test_avatars_are_served_as_png(sandbox_url):
    response = requests.get(sandbox_url + "/_sandbox/avatars/someone.png", timeout=5)
    assert response.headers["Content-Type"] == "image/png"
    assert response.content.startswith(b"\x89PNG\r\n\x1a\n")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_command_line_serves_until_terminated(tmp_path):
    port = _free_port()
    state = tmp_path / "sandbox" / "state.json"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "devtools.sandbox",
            "--port",
            str(port),
            "--state",
            str(state),
            "--rate",
            "0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                health = requests.get(f"http://127.0.0.1:{port}/_sandbox/health", timeout=1).json()
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, (
                    process.stdout.read() if process.poll() is not None else ""
                )
                time.sleep(0.1)
        assert health["ok"] is True
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(10) == 0
    assert state.exists()


def test_in_process_server_can_be_used_as_a_context_manager():
    with SandboxServer(port=0) as server:
        assert requests.get(server.url + "/_sandbox/health", timeout=5).ok
