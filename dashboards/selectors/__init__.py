"""Reads of the dashboards. Every figure is computed here, and so are the rows behind it.

A figure and its drill-down share one queryset builder (`conversations`, `escalations`,
`mentions`), so the number on the dashboard and the rows its link lists cannot drift apart.

Time: every period is whole days in the bank's time zone (`TIME_ZONE`). Durations are wall-clock
time, as the customer lived it; the escalation SLA percentages count the department's working
hours, because the SLA due times are computed in working time when the clock starts (see
`escalations/sla.py`).

Sources and cost at scale (1M mentions, 200k conversations):
- mention volume, sentiment, thanks: `MentionHourly` (a rollup, at most a few rows per hour);
- conversation and escalation times: the tables themselves, one pass per table or chart with
  `percentile_cont` (medians need the individual durations, which a count table cannot keep).

The package: `common` (durations, the filters' table, raw SQL reads, grouping sets) and one
module per source, `conversations`, `escalations`, `recognition` (kudos) and `mentions`. Callers
import from `dashboards.selectors`.
"""

from dashboards.selectors.common import (
    NARROWING,
    GroupingSets,
    Narrowing,
    Seconds,
    compiled_sql,
    day_range,
    grouped,
    local_tz,
    narrow,
)
from dashboards.selectors.conversations import (
    BACKLOG_VIEWS,
    BUCKET_KEYS,
    BUCKETS,
    CONVERSATION_SETS,
    FIRST_RESPONSE,
    RESOLUTION,
    Backlog,
    ConversationFigures,
    backlog,
    conversation_figures,
    conversation_summary,
    conversation_trend,
    conversations,
    conversations_by,
    top_tags,
)
from dashboards.selectors.escalations import (
    ESCALATION_SETS,
    EXPERT_RESOLUTION,
    EXPERT_RESPONSE,
    OUTCOMES,
    EscalationFigures,
    escalation_backlog,
    escalation_figures,
    escalation_summary,
    escalations,
    escalations_by,
    sla_percent,
)
from dashboards.selectors.mentions import (
    VOLUME_SETS,
    VolumeFigures,
    heatmap,
    mentions,
    rollup,
    thanks_by_agent,
    thanks_total,
    volume_by_day,
    volume_figures,
)
from dashboards.selectors.recognition import (
    kudos,
    kudos_by,
)

__all__ = [
    "BACKLOG_VIEWS",
    "BUCKETS",
    "BUCKET_KEYS",
    "CONVERSATION_SETS",
    "ESCALATION_SETS",
    "EXPERT_RESOLUTION",
    "EXPERT_RESPONSE",
    "FIRST_RESPONSE",
    "NARROWING",
    "OUTCOMES",
    "RESOLUTION",
    "VOLUME_SETS",
    "Backlog",
    "ConversationFigures",
    "EscalationFigures",
    "GroupingSets",
    "Narrowing",
    "Seconds",
    "VolumeFigures",
    "backlog",
    "compiled_sql",
    "conversation_figures",
    "conversation_summary",
    "conversation_trend",
    "conversations",
    "conversations_by",
    "day_range",
    "escalation_backlog",
    "escalation_figures",
    "escalation_summary",
    "escalations",
    "escalations_by",
    "grouped",
    "heatmap",
    "kudos",
    "kudos_by",
    "local_tz",
    "mentions",
    "narrow",
    "rollup",
    "sla_percent",
    "thanks_by_agent",
    "thanks_total",
    "top_tags",
    "volume_by_day",
    "volume_figures",
]
