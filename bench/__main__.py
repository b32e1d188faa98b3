"""`python -m bench --scale 10k,100k,1m`: the whole benchmark (what `make bench` runs).

Needs DATABASE_URL and REDIS_URL (`make bench` runs it under `bankbuzz.devstack exec`, which
starts the embedded servers when they are not set). The database in DATABASE_URL is only
used to create `<its name>_bench_<scale>` (`bankbuzz_bench_10k` on the embedded server);
nothing is written to it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench import SCALES

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "var" / "bench"


def say(message: str) -> None:
    print(f"[bench] {message}", flush=True)


def database_url(base: str, name: str) -> str:
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"/{name}"))


def bench_database_name(base: str, scale: str) -> str:
    """Named after DATABASE_URL's database, so people sharing a server each get their own."""
    name = urlsplit(base).path.lstrip("/") or "bankbuzz"
    return f"{name}_bench_{scale}"


def recreate_database(base: str, name: str) -> str:
    """Drop and create `name` next to the database of `base`; returns its URL."""
    import dj_database_url
    import psycopg2

    params = dj_database_url.parse(base)
    conn = psycopg2.connect(
        dbname=params["NAME"] or "postgres",
        user=params.get("USER") or None,
        password=params.get("PASSWORD") or None,
        host=params.get("HOST") or None,
        port=params.get("PORT") or None,
    )
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    return database_url(base, name)


def bench_env(db_url: str) -> dict[str, str]:
    """Production-like settings (DEBUG off: no query log, cached templates, manifest static files)."""
    from cryptography.fernet import Fernet

    return {
        **os.environ,
        "DATABASE_URL": db_url,
        "DEBUG": "0",
        "SECRET_KEY": os.environ.get("BENCH_SECRET_KEY", "bench-" + "k" * 60),
        "CREDENTIALS_KEYS": os.environ.get("BENCH_CREDENTIALS_KEYS") or Fernet.generate_key().decode(),
        "PAN_VAULT_KEYS": os.environ.get("BENCH_PAN_VAULT_KEYS") or Fernet.generate_key().decode(),
        "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
        "ALLOW_SANDBOX_NETWORKS": "1",
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "STATIC_ROOT": str(OUT / "static"),
        "LOG_LEVEL": "WARNING",
        "CELERY_QUEUE": f"bankbuzz-bench-{os.getpid()}",
        "PYTHONUNBUFFERED": "1",
    }


def machine() -> dict[str, str]:
    import psutil

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "memory_gb": f"{psutil.virtual_memory().total / 2**30:.0f}",
        "python": platform.python_version(),
        "os": platform.platform(),
    }


def postgres_version(env: dict[str, str]) -> str:
    import dj_database_url
    import psycopg2

    params = dj_database_url.parse(env["DATABASE_URL"])
    conn = psycopg2.connect(
        dbname=params["NAME"],
        user=params.get("USER") or None,
        password=params.get("PASSWORD") or None,
        host=params.get("HOST") or None,
        port=params.get("PORT") or None,
    )
    with conn.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    conn.close()
    return version


def run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, cwd=ROOT, env=env, check=False)
    if result.returncode != 0:
        raise SystemExit(f"[bench] `{' '.join(command)}` failed (exit {result.returncode})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument(
        "--scale", default="10k,100k,1m", help="comma-separated: 10k, 100k, 1m, 10kconv, 100kconv, 1mconv"
    )
    parser.add_argument("--rounds", type=int, default=30, help="timed requests per page")
    parser.add_argument("--mentions", type=int, help="override the mention count (smoke tests only)")
    parser.add_argument("--no-procs", action="store_true", help="skip the worker and web memory runs")
    parser.add_argument("--out", default=str(OUT / "results.json"))
    args = parser.parse_args(argv)

    scales = [s.strip().lower() for s in args.scale.split(",") if s.strip()]
    unknown = [s for s in scales if s not in SCALES]
    if unknown:
        parser.error(f"unknown scale {', '.join(unknown)}; choose from {', '.join(SCALES)}")
    base = os.environ.get("DATABASE_URL")
    if not base or not os.environ.get("REDIS_URL"):
        parser.error("DATABASE_URL and REDIS_URL must be set (`make bench` sets them)")

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    (OUT / "static").mkdir(parents=True, exist_ok=True)
    details_path = out.parent / "details.json"
    results = json.loads(out.read_text()) if out.exists() else {}
    # Details (dates, query counts, the machine) live beside the results, not in them.
    meta = json.loads(details_path.read_text()) if details_path.exists() else {}
    started = time.monotonic()

    first_env = None
    for scale in scales:
        name = bench_database_name(base, scale)
        say(f"scale {scale}: creating database {name}")
        env = bench_env(recreate_database(base, name))
        first_env = first_env or env
        part = OUT / f"{scale}.json"
        command = [sys.executable, "-m", "bench.scale", "--scale", scale, "--rounds", str(args.rounds)]
        command += ["--out", str(part)] + (["--mentions", str(args.mentions)] if args.mentions else [])
        run(command, env)
        data = json.loads(part.read_text())
        results[scale] = data["numbers"]
        meta.setdefault("details", {})[scale] = data["details"]
        meta.setdefault("dates", {})[scale] = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")

    if not args.no_procs and first_env is not None:
        part = OUT / "procs.json"
        run([sys.executable, "-m", "bench.procs", "--out", str(part)], first_env)
        procs = json.loads(part.read_text())
        results["worker_rss_mb"] = procs["worker_rss_mb"]
        results["web_rss_mb"] = procs["web_rss_mb"]
        meta["procs"] = procs
        meta["procs_date"] = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")

    # Enrichment of one message, in batch, on one core (budget 1 ms; docs/understanding.md).
    part = OUT / "enrichment.json"
    run([sys.executable, "-m", "bench.enrichment", "--out", str(part)], dict(os.environ))
    enrichment = json.loads(part.read_text())
    results["enrichment_ms_per_message"] = enrichment["median_ms_per_message"]
    meta["enrichment"] = enrichment
    say(f"enrichment: {enrichment['median_ms_per_message']:.3f} ms a message (median, one core)")

    if first_env is not None:
        meta["postgres"] = postgres_version(first_env)
    meta["machine"] = machine()
    out.write_text(json.dumps(results, indent=2))
    details_path.write_text(json.dumps(meta, indent=2))
    from bench.report import render

    (out.parent / "results.md").write_text(render(results, meta))
    say(f"done in {time.monotonic() - started:.0f} s: {out} and {out.parent / 'results.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
