"""Replying to customers: saved replies, the personal-data guard, approvals and the outbox.

Every write here is keyword-only, atomic where it can be, and audited. The outbox is a
state machine whose transitions are conditional UPDATEs on the state they leave:

    draft -> awaiting_approval -> approved -> queued -> sending -> sent | failed
                     \\-> rejected                         \\-> queued (rate limit, transient error)

The Reply row is the outbox: the source of truth for what must go out. Nothing hands a task
to the broker inside the transaction that queues a reply; after the commit the relay
(`replies_dispatch`, tried at once and then by beat every few seconds) takes queued rows that
no task carries yet (FOR UPDATE SKIP LOCKED), publishes `inbox.send_reply` and stamps
`dispatched_at`. A broker that is down leaves the stamp empty and the next relay run, seconds
later, hands the reply over when it is back. A withdrawn reply is no longer "queued", so a task
already in the broker for it claims nothing.

A reply is never posted twice. Only the worker whose UPDATE moved it from "queued" to
"sending" posts it. That worker holds a lease longer than the send task's hard time
limit, so a reply still "sending" after its lease can only belong to a worker that
died. Whoever takes it over then, and every attempt after the first, asks the network
(`Connector.find_sent`) whether the reply is already there before posting it.
"""

from inbox.replies.approvals import reply_approve, reply_reject
from inbox.replies.errors import ReplyBlocked, ReplyError, RetryLater, TransientSendError
from inbox.replies.outbox import (
    DISPATCH_BATCH,
    REDISPATCH_AFTER,
    SEND_LEASE,
    Channel,
    Kind,
    State,
    enqueue,
    replies_dispatch,
    replies_recover,
    reply_give_up,
    reply_send,
    transition,
)
from inbox.replies.permissions import approvers, can_approve, can_manage_saved_replies, can_override
from inbox.replies.relay import PUBLISH_ONCE
from inbox.replies.routes import (
    INSTAGRAM_HUMAN_AGENT_WINDOW,
    INSTAGRAM_WINDOW,
    MESSENGER_WINDOW,
    NETWORK_NAMES,
    Route,
    channel_words,
    customer_contacts,
    private_route,
    reply_routes,
    reply_url,
)
from inbox.replies.saved import (
    SHORTCUT_RE,
    VARIABLE_RE,
    VARIABLES,
    fill_variables,
    saved_replies_for,
    saved_reply_create,
    saved_reply_delete,
    saved_reply_update,
    unknown_variables,
)
from inbox.replies.submit import REPLY_CONFLICTS, WITHDRAWABLE, reply_retry, reply_submit, reply_withdraw

__all__ = [
    "DISPATCH_BATCH",
    "INSTAGRAM_HUMAN_AGENT_WINDOW",
    "INSTAGRAM_WINDOW",
    "MESSENGER_WINDOW",
    "NETWORK_NAMES",
    "PUBLISH_ONCE",
    "REDISPATCH_AFTER",
    "REPLY_CONFLICTS",
    "SEND_LEASE",
    "SHORTCUT_RE",
    "VARIABLES",
    "VARIABLE_RE",
    "WITHDRAWABLE",
    "Channel",
    "Kind",
    "ReplyBlocked",
    "ReplyError",
    "RetryLater",
    "Route",
    "State",
    "TransientSendError",
    "approvers",
    "can_approve",
    "can_manage_saved_replies",
    "can_override",
    "channel_words",
    "customer_contacts",
    "enqueue",
    "fill_variables",
    "private_route",
    "replies_dispatch",
    "replies_recover",
    "reply_approve",
    "reply_give_up",
    "reply_reject",
    "reply_retry",
    "reply_routes",
    "reply_send",
    "reply_submit",
    "reply_url",
    "reply_withdraw",
    "saved_replies_for",
    "saved_reply_create",
    "saved_reply_delete",
    "saved_reply_update",
    "transition",
    "unknown_variables",
]
