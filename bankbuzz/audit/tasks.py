"""The nightly retention run (beat: `audit-retention` in bankbuzz/celery.py)."""

from __future__ import annotations

from celery import shared_task

# A night's backlog (a million hits on the first run) takes far longer than the default two
# minutes; the run is in batches, so a worker killed at the limit loses one batch, and the
# next run carries on. A redelivered copy finds the run lock taken and returns.
RUN_SOFT_LIMIT = 4 * 60 * 60
RUN_HARD_LIMIT = RUN_SOFT_LIMIT + 300


@shared_task(name="audit.retention_run", soft_time_limit=RUN_SOFT_LIMIT, time_limit=RUN_HARD_LIMIT)
def retention_run() -> dict:
    from bankbuzz.audit.retention import retention_run as run

    result = run()
    return {"busy": result.busy, **result.as_json()["totals"]}


@shared_task(name="audit.checkpoint")
def checkpoint() -> dict:
    from bankbuzz.audit.checkpoints import checkpoint_write

    written = checkpoint_write()
    return {"seq": written.seq, "head": written.head}
