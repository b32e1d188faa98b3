"""Long drills run in `make test-faults` (`pytest -m faults`) only, not in the default `make test`.

A drill marked `long_drill` takes a minute or more of real processes and servers; the
default run (CI, under 15 minutes on two cores) keeps the quick, robust ones.
"""

from __future__ import annotations

import pytest


def pytest_configure(config):
    config.addinivalue_line("markers", "long_drill: a drill of a minute or more; only with `-m faults`")


def pytest_collection_modifyitems(config, items):
    # Deselected, not skipped: the default run does not pretend to have tried them.
    if "faults" in (config.option.markexpr or ""):
        return
    long_drills = [item for item in items if item.get_closest_marker("long_drill")]
    if long_drills:
        config.hook.pytest_deselected(items=long_drills)
        items[:] = [item for item in items if not item.get_closest_marker("long_drill")]


@pytest.fixture(autouse=True)
def project_celery_app_current():
    """Each drill starts and ends with the project's Celery app current and on its own broker.

    `shared_task`s publish through the current app: a drill that leaves its own app current
    (pointing at a private Redis it has since removed), or the project's app on another broker
    or with a closed connection pool, breaks every drill after it.
    """
    from celery import current_app

    from bankbuzz.celery import app

    app.set_current()
    broker = app.conf.broker_url
    yield
    leaked = current_app._get_current_object()
    app.set_current()
    assert leaked is app, f"the drill left the Celery app {leaked.main!r} current"
    assert app.conf.broker_url == broker, "the drill left the project's app on another broker"
    # A pool closed by a drill stays closed for the whole process: every later drill would fail.
    app.pool.acquire(block=True, timeout=5).release()
