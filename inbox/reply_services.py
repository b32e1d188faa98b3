"""Replying to customers: the services live in `inbox.replies`; this module keeps their old import path."""

from inbox.replies import *  # noqa: F403 - the same public names, listed once in inbox/replies/__init__.py
from inbox.replies import __all__  # noqa: F401
