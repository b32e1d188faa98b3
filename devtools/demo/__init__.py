"""The demo organisation, seeded by `manage.py demo_seed` (DEBUG only): a module per app.

Each module writes through its app's services where one exists, and is idempotent. The story
(the bank, its customers, their words) comes from the sandbox's world (`devtools/sandbox/`), so
the history and the live traffic of `make run` are the same people.
"""
