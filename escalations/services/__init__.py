"""Every write of escalations: keyword-only, atomic, audited, each step an `EscalationEvent`.

The conversation side (its status, its thread) is changed only through `inbox.services`:
`conversation_follow_escalation` records the status change in the name of whoever took the
step (the specialist who answered, or the system for an automatic rule).
"""

from escalations.services.clocks import (
    CLOCK_FIELDS,
    CLOCK_LABEL,
    CLOCKS,
    WARN_AT,
    escalations_check_slas,
    pause_clocks,
    refresh_due,
    resume_clocks,
    start_clocks,
)
from escalations.services.departments import (
    DEPARTMENT_FIELDS,
    department_save,
    holiday_add,
    holiday_remove,
    require_department_manager,
    sla_policy_set,
)
from escalations.services.kudos import THANKS_INTENTS, kudos_from_mentions
from escalations.services.lifecycle import (
    Kind,
    State,
    Status,
    escalation_answer,
    escalation_claim,
    escalation_close,
    escalation_give_info,
    escalation_open,
    escalation_request_info,
    escalation_transfer,
)
from escalations.services.opening import RuleEscalation, escalations_open_by_rules
from escalations.services.routing import (
    RULE_FIELDS,
    escalations_auto_open,
    routing_rule_delete,
    routing_rule_save,
    threads_q,
)
from escalations.services.steps import (
    MAX_TEXT,
    EscalationError,
    EscalationStale,
    check_version,
    clean_text,
    conversation_url,
    escalation_url,
    lock_escalation,
    post_to_thread,
    record_event,
    require_active,
    require_expert,
    set_conversation_status,
    who,
)

__all__ = [
    "CLOCKS",
    "CLOCK_FIELDS",
    "CLOCK_LABEL",
    "DEPARTMENT_FIELDS",
    "MAX_TEXT",
    "RULE_FIELDS",
    "THANKS_INTENTS",
    "WARN_AT",
    "EscalationError",
    "EscalationStale",
    "Kind",
    "RuleEscalation",
    "State",
    "Status",
    "check_version",
    "clean_text",
    "conversation_url",
    "department_save",
    "escalation_answer",
    "escalation_claim",
    "escalation_close",
    "escalation_give_info",
    "escalation_open",
    "escalation_request_info",
    "escalation_transfer",
    "escalation_url",
    "escalations_auto_open",
    "escalations_check_slas",
    "escalations_open_by_rules",
    "holiday_add",
    "holiday_remove",
    "kudos_from_mentions",
    "lock_escalation",
    "pause_clocks",
    "post_to_thread",
    "record_event",
    "refresh_due",
    "require_active",
    "require_department_manager",
    "require_expert",
    "resume_clocks",
    "routing_rule_delete",
    "routing_rule_save",
    "set_conversation_status",
    "sla_policy_set",
    "start_clocks",
    "threads_q",
    "who",
]
