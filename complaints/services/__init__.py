"""Every write on complaints: confirm, dismiss, letters, regime changes, vulnerability, the beat.

Each service checks, then does, inside one transaction, and records an audit event. The clocks
are computed here once (clocks.py) and stored on the complaint. By subject: `regimes` (the
calendar and the regimes), `suggestions`, `lifecycle` (confirm, categorise, change regime),
`letters`, `vulnerability`, `clock_notices` (the beat); `steps` holds what they all share.
"""

from complaints.services.clock_notices import complaints_check_clocks
from complaints.services.letters import CLOSING_KINDS, PENDING_REPLY_STATES, letter_send, letters_settle
from complaints.services.lifecycle import complaint_categorise, complaint_change_regime, complaint_confirm
from complaints.services.regimes import account_regime_set, calendar, default_regime, set_clocks
from complaints.services.steps import (
    ComplaintError,
    ComplaintStale,
    check_version,
    lock_complaint,
    post_to_thread,
    save_with_version,
    webhook_payload,
)
from complaints.services.suggestions import (
    SUGGESTING_INTENTS,
    customer_messages,
    suggested_messages,
    suggestion_dismiss,
)
from complaints.services.vulnerability import vulnerability_clear, vulnerability_set, vulnerability_view

__all__ = [
    "CLOSING_KINDS",
    "PENDING_REPLY_STATES",
    "SUGGESTING_INTENTS",
    "ComplaintError",
    "ComplaintStale",
    "account_regime_set",
    "calendar",
    "check_version",
    "complaint_categorise",
    "complaint_change_regime",
    "complaint_confirm",
    "complaints_check_clocks",
    "customer_messages",
    "default_regime",
    "letter_send",
    "letters_settle",
    "lock_complaint",
    "post_to_thread",
    "save_with_version",
    "set_clocks",
    "suggested_messages",
    "suggestion_dismiss",
    "vulnerability_clear",
    "vulnerability_set",
    "vulnerability_view",
    "webhook_payload",
]
