"""Inbox pages. Thin: check access, validate, call a service, render a partial or redirect.

Every view calls a helper of `inbox.permissions`. htmx requests get partials; the same
URLs work without JavaScript (full pages and redirects). By page: `listing` (the list and its
poll), `bulk`, `pane` (one conversation), `actions` (on a conversation), `message_actions` (on one
message), `replying`, `approvals`, `saved_replies`, `tags`.
"""

from inbox.views.actions import (
    conversation_assign,
    conversation_claim,
    conversation_priority,
    conversation_status,
    conversation_tag_add,
    conversation_tag_remove,
    customer_link,
    note_add,
)
from inbox.views.approvals import approvals, reply_approve, reply_reject
from inbox.views.bulk import bulk_apply
from inbox.views.listing import conversation_list, list_poll
from inbox.views.message_actions import (
    comment_hide,
    comment_unhide,
    message_label,
    message_unmask,
    reply_delete,
)
from inbox.views.pane import conversation_detail, conversation_live, conversation_side
from inbox.views.replying import reply_retry, reply_submit, reply_withdraw
from inbox.views.saved_replies import saved_reply_delete, saved_reply_edit, saved_reply_list, saved_reply_new
from inbox.views.tags import tag_delete, tag_list, tag_rename

__all__ = [
    "approvals",
    "bulk_apply",
    "comment_hide",
    "comment_unhide",
    "conversation_assign",
    "conversation_claim",
    "conversation_detail",
    "conversation_list",
    "conversation_live",
    "conversation_priority",
    "conversation_side",
    "conversation_status",
    "conversation_tag_add",
    "conversation_tag_remove",
    "customer_link",
    "list_poll",
    "message_label",
    "message_unmask",
    "note_add",
    "reply_approve",
    "reply_delete",
    "reply_reject",
    "reply_retry",
    "reply_submit",
    "reply_withdraw",
    "saved_reply_delete",
    "saved_reply_edit",
    "saved_reply_list",
    "saved_reply_new",
    "tag_delete",
    "tag_list",
    "tag_rename",
]
