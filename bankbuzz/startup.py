"""What a long-lived web process does once it has started (the server's workers, `bankbuzz/wsgi.py`)."""

from __future__ import annotations

import contextlib
import gc

from django.urls import Resolver404, resolve


def freeze_startup() -> None:
    """Keep what start-up built out of Python's full garbage collections, for the process's life.

    Modules, settings, the apps and their models, the URLconf and every view module it imports:
    about 145,000 objects that live as long as the worker. A full collection walks them all, and
    one falls every few dozen requests, inside the request that triggers it: 40-90 ms on this
    2-core host. Frozen, they are not walked (docs/benchmarks.md, "Full garbage collections").
    The URLconf is loaded first (a request would load it), and garbage is collected before the
    freeze, so none of it is frozen with them.
    """
    with contextlib.suppress(Resolver404):
        resolve("/")
    gc.collect()
    gc.freeze()
