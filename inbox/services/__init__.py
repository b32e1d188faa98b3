"""Every write of the shared inbox.

Services are keyword-only, atomic and audited. The ones that change what the
team relies on (assignment, status, priority) take the version of the
conversation the user saw and refuse, before applying, when a colleague or the
customer changed something that matters since (see `StaleAction`).
"""

from inbox.services.attach import (
    ATTACH_CHUNK,
    ATTACH_FIELDS,
    ATTACH_READS,
    PRIORITY_FROM_HINT,
    conversations_attach_mentions,
    conversations_attach_orphans,
    masked_preview,
)
from inbox.services.bulk import BULK_ACTIONS, BulkResult, conversations_bulk_apply
from inbox.services.changes import (
    CONFLICTS,
    Change,
    InboxError,
    StaleAction,
    apply_change,
    bump,
    conversation_event_record,
    conversation_url,
    describe_changes,
    require_writer,
)
from inbox.services.conversations import (
    ESCALATION_STATUSES,
    STATUS_TEXT,
    Kind,
    Status,
    conversation_assign,
    conversation_claim,
    conversation_follow_escalation,
    conversation_mark_spam,
    conversation_resolve,
    conversation_set_priority,
    conversation_set_status,
)
from inbox.services.escalated import EscalationStep, conversations_follow_escalations
from inbox.services.notes import MENTION_RE, mentioned_users, note_add
from inbox.services.recount import RECOUNT_FIELDS, conversation_sentiment_follow, conversations_recount
from inbox.services.search import (
    SEARCH_CHARS_PER_MESSAGE,
    SEARCH_MESSAGES,
    SEARCH_VECTOR_SQL,
    STATEMENT_TEXT,
    conversation_reindex,
    insert_conversations,
    insert_rows,
    thread_texts,
    update_conversations,
)
from inbox.services.tags import (
    TAG_NAME,
    conversation_tag_add,
    conversation_tag_remove,
    tag_delete,
    tag_get_or_create,
    tag_rename,
)
from inbox.services.unmask import mention_unmask

__all__ = [
    "ATTACH_CHUNK",
    "ATTACH_FIELDS",
    "ATTACH_READS",
    "BULK_ACTIONS",
    "CONFLICTS",
    "ESCALATION_STATUSES",
    "MENTION_RE",
    "PRIORITY_FROM_HINT",
    "RECOUNT_FIELDS",
    "SEARCH_CHARS_PER_MESSAGE",
    "SEARCH_MESSAGES",
    "SEARCH_VECTOR_SQL",
    "STATEMENT_TEXT",
    "STATUS_TEXT",
    "TAG_NAME",
    "BulkResult",
    "Change",
    "EscalationStep",
    "InboxError",
    "Kind",
    "StaleAction",
    "Status",
    "apply_change",
    "bump",
    "conversation_assign",
    "conversation_claim",
    "conversation_event_record",
    "conversation_follow_escalation",
    "conversation_mark_spam",
    "conversation_reindex",
    "conversation_resolve",
    "conversation_sentiment_follow",
    "conversation_set_priority",
    "conversation_set_status",
    "conversation_tag_add",
    "conversation_tag_remove",
    "conversation_url",
    "conversations_attach_mentions",
    "conversations_attach_orphans",
    "conversations_bulk_apply",
    "conversations_follow_escalations",
    "conversations_recount",
    "describe_changes",
    "insert_conversations",
    "insert_rows",
    "masked_preview",
    "mention_unmask",
    "mentioned_users",
    "note_add",
    "require_writer",
    "tag_delete",
    "tag_get_or_create",
    "tag_rename",
    "thread_texts",
    "update_conversations",
]
