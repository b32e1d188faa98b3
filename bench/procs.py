"""Peak memory of a real worker and a real web process, on a seeded bench database.

Worker: the sandbox serves a backlog of X mentions; a `celery -A bankbuzz worker` started as the
Procfile starts it (prefork, concurrency 2) consumes `listening.poll_account` tasks until the
backlog is stored and attached to conversations. Web: `gunicorn bankbuzz.wsgi` as in the Procfile
(2 workers, 4 threads) answers the inbox pages for an agent who logged in through the login and
second-factor forms; every answer is checked (bench.checks: 200, no redirect, the page's marker)
and its bytes and marker are recorded. The figure is the largest peak resident set (VmHWM) of
any one process of each; the sum over the process tree is kept in the details.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil

from bench.checks import check_requests, stopped
from bench.login import PEOPLE, log_in

ROOT = Path(__file__).resolve().parent.parent


def log(message: str) -> None:
    print(f"[procs] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def peak_mb(pid: int) -> dict[str, float]:
    """Peak RSS (VmHWM) of a process and of each of its children, in MB."""
    out = {}
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return out
    for proc in procs:
        try:
            for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    out[f"{proc.pid}:{proc.name()}"] = int(line.split()[1]) / 1024
        except (OSError, psutil.NoSuchProcess):
            continue
    return out


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until(predicate, *, seconds: float, what: str, process: subprocess.Popen | None = None):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise SystemExit(f"[procs] {what}: the process exited ({process.returncode})")
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    raise SystemExit(f"[procs] timed out after {seconds} s waiting for {what}")


def worker_run(*, backlog: int, log_dir: Path) -> dict:
    from django.conf import settings

    from bankbuzz.celery import app
    from devtools.sandbox import world
    from devtools.sandbox.testing import running_sandbox
    from listening.models import Mention, SocialAccount
    from listening.services import social_account_create

    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    with running_sandbox(rate=0.0, seed=11) as (server, control):
        made = 0
        while made < backlog:
            batch = min(5000, backlog - made)
            control.generate(batch, network="x")
            made += batch
        account = SocialAccount.objects.filter(network="x", external_id=world.BANK_X["user_id"]).first()
        if account is None:
            account = social_account_create(
                actor=None,
                network="x",
                external_id=world.BANK_X["user_id"],
                handle=world.BANK_X["handle"],
                credentials=world.DEMO_CREDENTIALS["x"],
            )
        account.set_credentials(world.DEMO_CREDENTIALS["x"])
        account.is_active = True
        account.cursors = {}
        account.save()
        before = Mention.objects.count()
        env = {
            **os.environ,
            "X_API_BASE_URL": f"{server.url}/x",
            "GRAPH_API_BASE_URL": f"{server.url}/graph",
            "LINKEDIN_API_BASE_URL": f"{server.url}/linkedin",
        }
        log_path = log_dir / "worker.log"
        with open(log_path, "w") as log_file:
            worker = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "bankbuzz",
                    "worker",
                    "-Q",
                    queue,
                    "--concurrency",
                    "2",
                    "--loglevel",
                    "INFO",
                    "--without-gossip",
                    "--without-mingle",
                ],
                cwd=ROOT,
                env=env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
            try:
                wait_until(
                    lambda: "ready" in log_path.read_text(errors="replace"),
                    seconds=90,
                    what="the worker to start",
                    process=worker,
                )
                started = time.monotonic()
                stored = 0
                polls = 0
                idle_polls = 0
                while idle_polls < 2 and time.monotonic() - started < 600:
                    last = SocialAccount.objects.get(pk=account.pk).last_poll_at
                    app.send_task("listening.poll_account", args=[account.pk], queue=queue)
                    polls += 1

                    def finished(last=last):
                        # The poll claimed the account (last_poll_at moved) and released it again.
                        now = SocialAccount.objects.get(pk=account.pk)
                        return now.last_poll_at != last and now.poll_lease_until is None

                    wait_until(finished, seconds=300, what="a poll to finish", process=worker)
                    now_stored = Mention.objects.count() - before
                    idle_polls = idle_polls + 1 if now_stored == stored else 0
                    stored = now_stored
                seconds = time.monotonic() - started
                peaks = peak_mb(worker.pid)
            finally:
                stop(worker)
    log(f"worker: {stored:,} mentions stored by {polls} polls in {seconds:.0f} s; peaks {peaks}")
    return {
        "worker_rss_mb": round(max(peaks.values()), 1),
        "worker_tree_mb": round(sum(peaks.values()), 1),
        "worker_processes": peaks,
        "worker_stored": stored,
        "worker_polls": polls,
        "worker_seconds": round(seconds, 1),
    }


def web_pages() -> dict[str, str]:
    """The pages the web drill asks for, by the names of bench.pages (and their markers)."""
    from inbox import selectors
    from inbox.models import Conversation

    longest = Conversation.objects.order_by("-message_count").first()
    pages = {f"inbox_{key}": f"/inbox/?view={key}" for key in selectors.SAVED_VIEWS}
    pages["search"] = "/inbox/?view=open&q=declined"
    pages["conversation_full"] = f"/inbox/c/{longest.pk}/"
    return pages


def web_run(*, requests_count: int, log_dir: Path, username: str = PEOPLE[0]) -> dict:
    """Gunicorn answers `requests_count` checked page requests of an agent logged in with both factors."""
    import requests

    pages = list(web_pages().items())
    port = free_port()
    log_path = log_dir / "web.log"
    with open(log_path, "w") as log_file:
        web = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "bankbuzz.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--threads",
                "4",
                "--timeout",
                "60",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=os.environ.copy(),
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        try:
            client = requests.Session()
            base = f"http://127.0.0.1:{port}"

            def up():
                try:
                    return requests.get(f"{base}/healthz", timeout=2).status_code in (200, 503)
                except requests.RequestException:
                    return False

            wait_until(up, seconds=60, what="gunicorn to answer", process=web)
            log_in(client, username, base=base)
            from concurrent.futures import ThreadPoolExecutor

            def hit(index: int) -> dict:
                name, path = pages[index % len(pages)]
                response = client.get(base + path, timeout=60, allow_redirects=False)
                marker = check_requests(name, response)
                return {
                    "url": path,
                    "status": response.status_code,
                    "bytes": len(response.content),
                    "marker": marker.key,
                }

            with ThreadPoolExecutor(max_workers=4) as pool:
                answers = list(pool.map(hit, range(requests_count)))
            peaks = peak_mb(web.pid)
        finally:
            stop(web)
    workers = {k: v for k, v in peaks.items() if not k.startswith(f"{web.pid}:")} or peaks
    log(f"web: {len(answers)} checked requests, {sum(a['bytes'] for a in answers):,} bytes; peaks {peaks}")
    return {
        "web_rss_mb": round(max(workers.values()), 1),
        "web_tree_mb": round(sum(peaks.values()), 1),
        "web_processes": peaks,
        "web_requests": len(answers),
        "web_user": username,
        "web_responses": answers,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.procs")
    parser.add_argument("--out", required=True)
    parser.add_argument("--backlog", type=int, default=1000, help="X mentions waiting in the sandbox")
    parser.add_argument("--requests", type=int, default=120, help="web requests")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bankbuzz.settings")
    import django

    django.setup()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    result = {**worker_run(backlog=args.backlog, log_dir=out.parent)}
    result.update(web_run(requests_count=args.requests, log_dir=out.parent))
    out.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(stopped(main))
