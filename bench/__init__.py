"""`make bench`: seed a separate database at 10k / 100k / 1M mentions and measure BankBuzz on it.

    python -m bench --scale 10k,100k,1m      # what `make bench` runs (inside devstack exec)
    python -m bench --scale 10kconv,100kconv,1mconv   # a million conversations

The orchestrator (`bench.__main__`) imports nothing from Django: each scale runs in a
subprocess (`bench.scale`) whose DATABASE_URL points at its own database
(`<DATABASE_URL's name>_bench_<scale>`), so the settings module is configured once per
database. Every timed request is checked (`bench.checks`) and the bench's people log in through
the login and second-factor forms (`bench.login`). The worker and web memory measurements
(`bench.procs`) start real `celery worker` and `gunicorn` processes. Results:
`var/bench/results.json` and `var/bench/results.md`; `docs/benchmarks.md` explains them.
"""

# Mention scales: the number of mentions, a third of them in conversations (about 100k
# conversations at 1m), one year of history.
MENTION_SCALES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000}
# Conversation scales: the number of conversations (the unit an agent and a manager work with),
# the same mix of networks, statuses and thread lengths, two years of history, and a tenth as
# many listening hits as conversations: about 3.4M mentions at 1mconv.
CONVERSATION_SCALES = {"10kconv": 10_000, "100kconv": 100_000, "1mconv": 1_000_000}
SCALES = {**MENTION_SCALES, **CONVERSATION_SCALES}
# The growth the docs report: page times at 10k, 100k and 1M conversations.
GROWTH_SCALES = ("10kconv", "100kconv", "1mconv")
