"""The inbox over the REST API: `serializers`, `filters` (the list's query string) and `viewsets`.

Every endpoint asks `inbox.permissions` first and writes through `inbox.services`, exactly as the
pages do; text is the masked text the pages show. An action may carry the `version` of the
conversation the caller read: when someone changed it since in a way that matters, the action
is refused with 409 before it applies (the services' version check). Every write needs that
`version` or an `Idempotency-Key` header (bankbuzz.api.common.ApiViewSet); without either it is
refused with 428.

The schema's enums are named from here (settings.SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]), and
the API's router reads `ROUTES`.
"""

from inbox.api.filters import FILTERS, ID_FILTERS, filter_parameters, list_query
from inbox.api.serializers import (
    CONVERSATION_STATUSES,
    MAX_MESSAGES,
    REPLY_CHANNELS,
    REPLY_STATES,
    SETTABLE_STATUSES,
    AssignSerializer,
    ConversationDetailSerializer,
    ConversationSerializer,
    CustomerSerializer,
    MessageSerializer,
    NoteAddSerializer,
    NoteSerializer,
    PersonSerializer,
    PrioritySerializer,
    ReplySerializer,
    ReplySubmitSerializer,
    SavedReplySerializer,
    StatusSerializer,
    TagAddSerializer,
    TagRemoveSerializer,
    TagSerializer,
    VersionSerializer,
    safe_url,
)
from inbox.api.viewsets import ROUTES, ConversationViewSet, ReplyViewSet, SavedReplyViewSet, TagViewSet

__all__ = [
    "CONVERSATION_STATUSES",
    "FILTERS",
    "ID_FILTERS",
    "MAX_MESSAGES",
    "REPLY_CHANNELS",
    "REPLY_STATES",
    "ROUTES",
    "SETTABLE_STATUSES",
    "AssignSerializer",
    "ConversationDetailSerializer",
    "ConversationSerializer",
    "ConversationViewSet",
    "CustomerSerializer",
    "MessageSerializer",
    "NoteAddSerializer",
    "NoteSerializer",
    "PersonSerializer",
    "PrioritySerializer",
    "ReplySerializer",
    "ReplySubmitSerializer",
    "ReplyViewSet",
    "SavedReplySerializer",
    "SavedReplyViewSet",
    "StatusSerializer",
    "TagAddSerializer",
    "TagRemoveSerializer",
    "TagSerializer",
    "TagViewSet",
    "VersionSerializer",
    "filter_parameters",
    "list_query",
    "safe_url",
]
