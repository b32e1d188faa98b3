"""Drill 8: twenty agents work the inbox over HTTP while ingest runs at 50 mentions/s.

A real gunicorn (the Procfile's settings: 2 workers x 4 threads) on a free port, a
real worker and beat polling the bank's X account every 2 s, and the sandbox fed 50
posts a second on X. Twenty simulated agents (threads, one session each, logged in
with both factors) each loop: the inbox list, the list's htmx poll, open a
conversation, sometimes claim it, with `THINK` seconds between requests.

- Page p95 under 300 ms (every request counted; a claim that loses a race to a
  colleague answers 409 with the message, which is a correct answer, not an error).
  Enforced on the issue's ten-minute run (FAULTS_LOAD_SECONDS=600) and with
  FAULTS_LOAD_STRICT=1; a shorter run reports a miss as an expected failure, with the
  numbers: see docs/reliability.md for why.
- No errors: no connection failure, and every answer is the page it names (bench.checks: 200,
  or 409 for a lost claim, no redirect, the page's marker in the body); the first miss stops
  the run.
- No lost mentions: every mention and direct message posted during the run is stored.

`FAULTS_LOAD_SECONDS` sets the duration (30 in the suite; 600 is the issue's ten minutes),
`FAULTS_LOAD_THINK` the seconds between an agent's requests (2).
"""

from __future__ import annotations

import os
import random
import re
import statistics
import sys
import threading
import time
import uuid

import pytest
import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from bankbuzz.accounts import roles
from bankbuzz.accounts.services import user_set_role
from bench.checks import PageCheckFailed, check_requests
from listening.models import Mention, SocialAccount
from listening.services import account_schedule_sync
from tests.factories import UserFactory
from tests.faults.drills import Proc, base_env, celery_beat, celery_worker, free_port, wait_for
from tests.security.auth import VerifiedClient

pytestmark = [pytest.mark.faults, pytest.mark.long_drill, pytest.mark.django_db(transaction=True)]

DURATION = float(os.environ.get("FAULTS_LOAD_SECONDS", "30"))
AGENTS = 20
RATE = 50  # posts per second on X
THINK = float(os.environ.get("FAULTS_LOAD_THINK", "2"))  # seconds between an agent's requests
P95_LIMIT = 0.300
SETTLE = 10.0  # seconds after the start whose requests are also reported on their own
# The latency target is a failure on the ten-minute run and with FAULTS_LOAD_STRICT=1.
# A shorter run (the suite's 30 s) reports a miss as an expected failure, with the numbers,
# after the hard checks (no errors, no lost mentions) have passed: a quarter of its list pages are
# the twenty agents' simultaneous first ones on freshly started web processes, and a p95 of some
# 300 requests on a shared two-core box swings with whatever else runs (docs/reliability.md).
STRICT = os.environ.get("FAULTS_LOAD_STRICT") == "1" or DURATION >= 600

CONVERSATION = re.compile(r"/inbox/c/(\d+)/")
CSRF = re.compile(r'"X-CSRFToken": "([^"]+)"')


class Agent(threading.Thread):
    def __init__(self, base: str, cookie: str, stop: threading.Event, seed: int):
        super().__init__(daemon=True)
        self.base = base
        self.session = requests.Session()
        # As a browser does (Chromium resends any request whose reused keep-alive connection
        # was closed before an answer; gunicorn closes idle ones after 2 s): resend once. A
        # resent claim is harmless: the same person's claim again changes nothing.
        retry = Retry(total=1, connect=1, read=1, status=0, allowed_methods={"GET", "POST"})
        self.session.mount("http://", HTTPAdapter(max_retries=retry))
        self.session.cookies.set(settings.SESSION_COOKIE_NAME, cookie)
        self.stop = stop
        self.rng = random.Random(seed)
        # (page, seconds since the agents started, seconds the request took)
        self.timings: list[tuple[str, float, float]] = []
        self.t0 = time.monotonic()
        self.statuses: dict[int, int] = {}
        self.errors: list[str] = []
        self.csrf = ""

    def call(
        self, name: str, method: str, path: str, allowed: tuple[int, ...] = (200,), **kwargs
    ) -> requests.Response | None:
        started = time.monotonic()
        try:
            response = self.session.request(
                method, self.base + path, timeout=30, allow_redirects=False, **kwargs
            )
        except requests.RequestException as exc:
            self.errors.append(f"{name}: {exc!r}")
            return None
        self.timings.append((name, started - self.t0, time.monotonic() - started))
        self.statuses[response.status_code] = self.statuses.get(response.status_code, 0) + 1
        try:
            # The page it names, not a login redirect or an error page (bench.checks): a miss
            # stops every agent, and the drill fails with the URL, the status and the body's start.
            check_requests(name, response, allowed=allowed)
        except PageCheckFailed as exc:
            self.errors.append(str(exc))
            self.stop.set()
            return None
        return response

    def think(self) -> None:
        self.stop.wait(self.rng.uniform(0.5, 1.5) * THINK)

    def run(self) -> None:
        htmx = {"HX-Request": "true"}
        while not self.stop.is_set():
            page = self.call("list", "GET", "/inbox/")
            if page is not None and (token := CSRF.search(page.text)):
                self.csrf = token.group(1)
            ids = CONVERSATION.findall(page.text) if page is not None else []
            self.think()
            self.call("poll", "GET", "/inbox/poll/", headers=htmx)
            self.think()
            if ids:
                pk = self.rng.choice(ids[:25])
                self.call("detail", "GET", f"/inbox/c/{pk}/", headers=htmx)
                self.think()
                if self.rng.random() < 0.3 and self.csrf:
                    self.call(
                        "claim", "POST", f"/inbox/c/{pk}/claim/", allowed=(200, 409),
                        headers={**htmx, "X-CSRFToken": self.csrf, "Referer": self.base + "/inbox/"},
                    )  # fmt: skip
                    self.think()


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else max(values)


@pytest.mark.timeout(DURATION + 420)
def test_twenty_agents_while_ingest_runs_at_fifty_a_second(sandbox, sandbox_server, x_account, tmp_path):
    SocialAccount.objects.filter(pk=x_account.pk).update(poll_interval=2)
    account_schedule_sync(account=SocialAccount.objects.get(pk=x_account.pk))
    # 50/s is X's own ceiling for one account (450 mention reads per 15 min x 100 per page):
    # lift the sandbox's limits so the drill measures us, not the rate limit (docs/reliability.md).
    sandbox.rate_limit("x", "GET /2/users/:id/mentions", limit=100_000)
    sandbox.rate_limit("x", "GET /2/dm_events", limit=100_000)
    queue = f"bankbuzz-load-{uuid.uuid4().hex[:8]}"
    env = base_env(sandbox_server.url, BEAT_LOCK_WAIT="0", CELERY_QUEUE=queue)
    port = free_port()
    web = Proc(
        [sys.executable, "-m", "gunicorn", "bankbuzz.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", "2", "--threads", "4", "--timeout", "60", "--log-level", "warning"],
        env, tmp_path / "web.log",
    )  # fmt: skip
    worker = celery_worker(env, queue, tmp_path / "worker.log")
    beat = celery_beat(env, queue, tmp_path / "beat.log")
    base = f"http://127.0.0.1:{port}"

    cookies = []
    for n in range(AGENTS):
        user = UserFactory(username=f"load-agent-{n}")
        user_set_role(actor=None, user=user, role=roles.AGENT)
        client = VerifiedClient()
        client.force_login(user)
        cookies.append(client.cookies[settings.SESSION_COOKIE_NAME].value)

    stop = threading.Event()
    posted: list[str] = []
    feed_errors: list[str] = []

    def feed() -> None:
        next_at = time.monotonic()
        while not stop.is_set():
            try:
                items = sandbox.generate(RATE, network="x")
                posted.extend(i["id"] for i in items if i["kind"] in ("mention", "reply", "dm"))
            except requests.RequestException as exc:
                feed_errors.append(repr(exc))
            next_at += 1
            stop.wait(max(0.0, next_at - time.monotonic()))

    try:
        wait_for(lambda: _answers(base), seconds=60, what=lambda: f"gunicorn to answer\n{web.log()[-2000:]}")
        feeder = threading.Thread(target=feed, daemon=True)
        feeder.start()
        time.sleep(5)  # the inbox has conversations before the agents arrive
        agents = [Agent(base, cookie, stop, seed) for seed, cookie in enumerate(cookies)]
        started = time.monotonic()
        for agent in agents:
            agent.start()
        stop.wait(DURATION)
        stop.set()
        for agent in agents:
            agent.join(35)
        feeder.join(10)
        elapsed = time.monotonic() - started
        # Ingest catches up: every mention and direct message posted is stored.
        wanted = set(posted)
        caught_up = time.monotonic()
        wait_for(
            lambda: (
                len(wanted - set(Mention.objects.filter(network="x").values_list("external_id", flat=True)))
                == 0
            ),
            seconds=180,
            what=lambda: f"ingest to catch up\n{worker.log()[-2000:]}",
            interval=1,
        )
        lag = time.monotonic() - caught_up
    finally:
        stop.set()
        for process in (beat, worker, web):
            process.stop()

    timings = [t for agent in agents for _, _at, t in agent.timings]
    # All twenty agents start at the same instant: their first list pages arrive as one burst on
    # freshly started web processes. Reported apart (the target is judged on every request).
    settled = [t for agent in agents for _, at, t in agent.timings if at >= SETTLE]
    errors = [e for agent in agents for e in agent.errors] + feed_errors
    statuses: dict[int, int] = {}
    for agent in agents:
        for code, count in agent.statuses.items():
            statuses[code] = statuses.get(code, 0) + count
    by_page = {
        name: p95([t for agent in agents for n, _at, t in agent.timings if n == name])
        for name in ("list", "poll", "detail", "claim")
        if any(n == name for agent in agents for n, _at, _t in agent.timings)
    }
    summary = (
        f"{len(timings)} requests in {elapsed:.0f} s ({len(timings) / elapsed:.1f}/s), statuses {statuses}, "
        f"p50 {statistics.median(timings) * 1000:.0f} ms, p95 {p95(timings) * 1000:.0f} ms, "
        f"max {max(timings) * 1000:.0f} ms; p95 by page "
        + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in by_page.items())
        + (f"; after the first {SETTLE:.0f} s p95 {p95(settled) * 1000:.0f} ms" if settled else "")
        + f"; {len(posted)} mentions/DMs posted ({len(posted) / elapsed:.0f}/s), all stored, "
        f"{lag:.0f} s after the run ended; errors {len(errors)}"
    )
    print(f"\nDRILL load: {summary}")
    assert not errors, errors[:10]
    if p95(timings) >= P95_LIMIT:
        if STRICT:
            pytest.fail(f"p95 over {P95_LIMIT * 1000:.0f} ms: {summary}")
        pytest.xfail(
            f"p95 over {P95_LIMIT * 1000:.0f} ms in a {DURATION:.0f} s run (the ten-minute run and "
            f"FAULTS_LOAD_STRICT=1 fail): {summary}"
        )


def _answers(base: str) -> bool:
    try:
        requests.get(base + "/healthz", timeout=2)
    except requests.RequestException:
        return False
    return True
