"""Every write of the listening part, by what it works on.

- `ingest`: the one ingest path. A fetched page, its quarantine and its cursor are written in
  ONE transaction (`page_ingest`), whoever read the page: an account's poll
  (`mentions_ingest`) or a listening query's X search (`listening.query.services`). A crash
  before the commit re-reads the same page next time; the unique constraint on
  (network, external_id) absorbs the overlap. Before the commit, `mentions_received` is sent
  in the same transaction, each receiver under a savepoint (`listening.signals`): one commit
  a page.
- `storing`: the rows a page writes (authors, mentions, edits, sealed card numbers), one
  statement a table whatever the page's size.
- `polling`: an account's poll under its lease, and what a network's refusal does to it.
- `accounts`: connected accounts, their schedule, credentials and connection checks.
- `quarantine`: re-processing what a page could not store.
- `sent`: the bank's own sent messages, stored as outbound mentions.
- `sandbox`: the development sandbox's scenarios (DEBUG only).

The public names are imported here, so `from listening.services import account_poll` works.
"""

from listening.services.accounts import (
    POLL_TASK_NAME,
    ConnectionCheck,
    account_credentials_set,
    account_retweets_set,
    account_schedule_sync,
    account_test_connection,
    social_account_create,
)
from listening.services.ingest import mentions_ingest, page_ingest
from listening.services.polling import PollDatabaseError, PollOutcome, TransientPollError, account_poll
from listening.services.quarantine import ReprocessOutcome, quarantined_item_reprocess
from listening.services.sandbox import (
    SANDBOX_SCENARIOS,
    SandboxUnavailable,
    sandbox_register,
    sandbox_scenario_set,
    sandbox_scenarios_active,
    sandbox_token,
)
from listening.services.sent import mention_record_sent

__all__ = [
    "POLL_TASK_NAME",
    "SANDBOX_SCENARIOS",
    "ConnectionCheck",
    "PollDatabaseError",
    "PollOutcome",
    "ReprocessOutcome",
    "SandboxUnavailable",
    "TransientPollError",
    "account_credentials_set",
    "account_poll",
    "account_retweets_set",
    "account_schedule_sync",
    "account_test_connection",
    "mention_record_sent",
    "mentions_ingest",
    "page_ingest",
    "quarantined_item_reprocess",
    "sandbox_register",
    "sandbox_scenario_set",
    "sandbox_scenarios_active",
    "sandbox_token",
    "social_account_create",
]
