"""Long drills run in `make test-faults` (`pytest -m faults`) only, not in the default `make test`.

A drill marked `long_drill` takes a minute or more of real processes and servers; the
default run (CI, under 15 minutes on two cores) keeps the quick, robust ones.
"""

from __future__ import annotations


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
