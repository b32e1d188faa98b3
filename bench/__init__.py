"""`make bench`: seed a separate database at 10k / 100k / 1M mentions and measure BankBuzz on it.

    python -m bench --scale 10k,100k,1m      # what `make bench` runs (inside devstack exec)

The orchestrator (`bench.__main__`) imports nothing from Django: each scale runs in a
subprocess (`bench.scale`) whose DATABASE_URL points at its own database
(`<DATABASE_URL's name>_bench_<scale>`), so the settings module is configured once per
database. Every timed request is checked (`bench.checks`) and the bench's people log in through
the login and second-factor forms (`bench.login`). The worker and web memory measurements
(`bench.procs`) start real `celery worker` and `gunicorn` processes. Results:
`var/bench/results.json` and `var/bench/results.md`; `docs/benchmarks.md` explains them.
"""

SCALES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000}
