"""Incidents: open one, let matching conversations join, answer them all personally, close the loop.

Every write is keyword-only, atomic where it can be and audited. Replies go through the inbox's
own outbox (`inbox.reply_services.reply_submit`), so each is an ordinary reply in its
conversation: guarded, approved where the rules say so, visible, withdrawable while queued,
sent exactly once. This package only chooses who gets one, when (batches within each network's
rate limits and the private-message windows), and who is held back for a person.

The package, by what each module holds: `access` (who may do what, IncidentError), `matching`
(terms and the conversations they bring in), `membership` (opening, adding, taking out),
`holding` (whose words say more than the incident), `pacing` (batches within each network's
limits), `answering` (the template and the personal replies), `closing` (resolving, the follow-up).
"""

from incidents.services.access import IncidentError, can_lead, can_read, can_work
from incidents.services.answering import (
    RUN_SIZE,
    VARIABLES,
    SendOutcome,
    fill,
    incident_follow_ups_send,
    incident_replies_prepare,
    incident_replies_send,
    status_links,
    status_post,
)
from incidents.services.closing import incident_resolve
from incidents.services.holding import BEYOND_MIN_WORDS, DEFAULT_HOLD_INTENTS, MONEY_AT_RISK, hold_intents
from incidents.services.matching import (
    MAX_TERMS,
    clean_terms,
    incident_backfill,
    incidents_match_mentions,
    match_q,
    models_account_ids,
    terms_from_spike,
)
from incidents.services.membership import (
    incident_conversation_add,
    incident_conversation_remove,
    incident_open,
)
from incidents.services.pacing import reply_pace

__all__ = [
    "BEYOND_MIN_WORDS",
    "DEFAULT_HOLD_INTENTS",
    "MAX_TERMS",
    "MONEY_AT_RISK",
    "RUN_SIZE",
    "VARIABLES",
    "IncidentError",
    "SendOutcome",
    "can_lead",
    "can_read",
    "can_work",
    "clean_terms",
    "fill",
    "hold_intents",
    "incident_backfill",
    "incident_conversation_add",
    "incident_conversation_remove",
    "incident_follow_ups_send",
    "incident_open",
    "incident_replies_prepare",
    "incident_replies_send",
    "incident_resolve",
    "incidents_match_mentions",
    "match_q",
    "models_account_ids",
    "reply_pace",
    "status_links",
    "status_post",
    "terms_from_spike",
]
