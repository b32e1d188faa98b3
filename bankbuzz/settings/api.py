"""The REST API and its schema, replies' duplicate window, incidents' pacing and /metrics."""

from __future__ import annotations

from bankbuzz.env import env_bool, env_int, env_list, env_str
from bankbuzz.settings.base import CELERY_TASK_DEFAULT_QUEUE

# --- The REST API (bankbuzz/api, README "API") -----------------------------------------------

# Personal tokens first: an unauthenticated call gets 401 with `WWW-Authenticate: Bearer`. A
# session counts only after its second factor, like the pages. Throttled per token (the rates are
# read from the two settings below by bankbuzz.api.throttling, e.g. "600/min").
API_THROTTLE_RATE = env_str("API_THROTTLE_RATE", "600/min")
API_WRITE_THROTTLE_RATE = env_str("API_WRITE_THROTTLE_RATE", "120/min")
# How long an `Idempotency-Key` is answered with its first response (seconds).
API_IDEMPOTENCY_TTL = env_int("API_IDEMPOTENCY_TTL", 24 * 60 * 60, minimum=60)
# The same text by the same person to the same conversation within this many seconds is the
# same reply (a double click, a resubmitted form, a client's retry), not a second one.
REPLY_DUPLICATE_WINDOW = env_int("REPLY_DUPLICATE_WINDOW", 120, minimum=0)

# Incidents (incidents/services/holding.py). A conversation whose customer's message has one of these
# intents is held back from the incident's bulk reply for a person to answer.
INCIDENT_HOLD_INTENTS = env_list("INCIDENT_HOLD_INTENTS", ["fraud"])
# ... and one whose intent the understanding layer could not read with confidence.
INCIDENT_HOLD_UNSURE = env_bool("INCIDENT_HOLD_UNSURE", True)
# The bulk reply's pace per network: at most N replies per window (seconds), under each network's
# write limits with room left for the replies agents write by hand (X allows 200 posts per 15 min).
INCIDENT_REPLY_PACE = {
    "x": (env_int("INCIDENT_REPLY_PACE_X", 150, minimum=1), 900),
    "facebook": (env_int("INCIDENT_REPLY_PACE_FACEBOOK", 200, minimum=1), 3600),
    "instagram": (env_int("INCIDENT_REPLY_PACE_INSTAGRAM", 150, minimum=1), 3600),
    "linkedin": (env_int("INCIDENT_REPLY_PACE_LINKEDIN", 100, minimum=1), 86400),
}
# /metrics: the bearer token Prometheus sends. Unset: /metrics does not exist (404), except
# under DEBUG, where it is open so a developer can look at it on their own machine.
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
# The Celery queues whose length /metrics reports (every task goes to CELERY_QUEUE).
METRICS_QUEUES = [CELERY_TASK_DEFAULT_QUEUE]
# A JSON body over this many bytes is a 413; nesting deeper than this a 400 (bankbuzz/api/parsers.py).
API_MAX_BODY_BYTES = env_int("API_MAX_BODY_BYTES", 64 * 1024, minimum=1024)
API_MAX_JSON_DEPTH = env_int("API_MAX_JSON_DEPTH", 20, minimum=2)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "bankbuzz.api.authentication.ApiTokenAuthentication",
        "bankbuzz.api.authentication.VerifiedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "bankbuzz.api.permissions.TokenScope",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "bankbuzz.api.throttling.TokenRateThrottle",
        "bankbuzz.api.throttling.TokenWriteRateThrottle",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["bankbuzz.api.parsers.BoundedJSONParser"],
    "EXCEPTION_HANDLER": "bankbuzz.api.parsers.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "BankBuzz API",
    "DESCRIPTION": "The shared inbox, escalations, mentions and dashboards of BankBuzz. "
    "Authenticate with a personal token from your profile page: `Authorization: Bearer <token>`.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema is for people and systems already let in (a token or a verified session).
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ConversationStatusEnum": "inbox.api.CONVERSATION_STATUSES",
        "SettableStatusEnum": "inbox.api.SETTABLE_STATUSES",
        "ReplyStateEnum": "inbox.api.REPLY_STATES",
        "ReplyChannelEnum": "inbox.api.REPLY_CHANNELS",
        "MentionKindEnum": "listening.api.MENTION_KINDS",
        "EscalationEventKindEnum": "escalations.api.EVENT_KINDS",
        "EscalationStateEnum": "escalations.api.ESCALATION_STATES",
        "ComplaintStatusEnum": "complaints.api.COMPLAINT_STATUSES",
        "IncidentStateEnum": "incidents.api.INCIDENT_STATES",
        "ComplaintOutcomeEnum": "complaints.api.COMPLAINT_OUTCOMES",
        "LetterKindEnum": "complaints.api.LETTER_KINDS",
        "LetterChannelEnum": "complaints.api.LETTER_CHANNELS",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "bankbuzz.api.common.add_error_responses",
    ],
    "APPEND_COMPONENTS": {
        "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "bbz_..."}}
    },
    "SECURITY": [{"bearerAuth": []}],
}
