"""The web server's workers freeze what start-up built: a full garbage collection that falls in a
request walks only what requests have made since, not the ~145,000 objects of the modules, apps,
models and URLconf (docs/benchmarks.md, "Full garbage collections")."""

import gc
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

LOAD_THE_APPLICATION = """
import gc
import bankbuzz.wsgi
print(gc.get_freeze_count(), len(gc.get_objects()))
"""


def test_a_worker_that_loads_the_application_has_frozen_its_start_up_objects():
    done = subprocess.run(
        [sys.executable, "-c", LOAD_THE_APPLICATION],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "bankbuzz.settings"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    frozen, tracked = (int(n) for n in done.stdout.split())
    # Django, the apps, their models and the URLconf are well over a hundred thousand objects.
    assert frozen > 100_000
    # What a full collection still walks after start-up: next to nothing.
    assert tracked < frozen // 100


def test_the_bench_times_pages_in_a_process_frozen_as_a_worker_is_and_thaws_it_after():
    from bench.pages import as_a_web_worker

    assert gc.get_freeze_count() == 0
    with as_a_web_worker():
        assert gc.get_freeze_count() > 50_000
    assert gc.get_freeze_count() == 0
