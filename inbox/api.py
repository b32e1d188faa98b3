"""The inbox over the REST API: serializers and viewsets only.

Every endpoint asks `inbox.permissions` first and writes through `inbox.services`, exactly as the
pages do; text is the masked text the pages show. An action may carry the `version` of the
conversation the caller read: when someone changed it since in a way that matters, the action
is refused with 409 before it applies (the services' version check). Every write needs that
`version` or an `Idempotency-Key` header (bankbuzz.api.common.ApiViewSet); without either it is
refused with 428.
"""

from __future__ import annotations

from django.db import transaction
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from bankbuzz.api.common import (
    CURSOR_PARAMETERS,
    ApiViewSet,
    Conflict,
    Refused,
    limit_param,
    page_of,
    page_response,
    path_id,
)
from inbox import forms, permissions, reply_services, selectors, services
from inbox.models import Conversation, Note, Reply, SavedReply, Tag
from listening.api import MaskedTextField
from listening.models import Mention

MAX_MESSAGES = 200


def safe_url(url: str) -> str:
    """Links only to http(s): social content is hostile input."""
    return url if url.startswith(("https://", "http://")) else ""


# --- Serializers ----------------------------------------------------------------------------


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(source="display_name")


class CustomerSerializer(serializers.Serializer):
    network = serializers.CharField()
    handle = serializers.CharField()
    name = serializers.CharField()
    profile_url = serializers.SerializerMethodField()
    followers = serializers.IntegerField(allow_null=True)

    def get_profile_url(self, author) -> str:
        return safe_url(author.profile_url)


class TagSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ("id", "name")
        read_only_fields = ("id",)


class ConversationSerializer(serializers.ModelSerializer):
    priority_label = serializers.CharField(source="get_priority_display", read_only=True)
    assignee = PersonSerializer(allow_null=True, read_only=True)
    customer = CustomerSerializer(read_only=True)
    account = serializers.IntegerField(source="account_id", allow_null=True, read_only=True)
    tags = serializers.SerializerMethodField()
    preview = serializers.CharField(read_only=True, help_text="The latest customer message, masked.")

    class Meta:
        model = Conversation
        fields = (
            "id",
            "network",
            "status",
            "priority",
            "priority_label",
            "assignee",
            "customer",
            "account",
            "tags",
            "preview",
            "has_pii",
            "sentiment_label",
            "lang",
            "kind",
            "message_count",
            "first_received_at",
            "first_response_at",
            "resolved_at",
            "last_inbound_at",
            "last_activity_at",
            "version",
        )
        read_only_fields = fields

    def get_tags(self, conversation) -> list[str]:
        return [tag.name for tag in conversation.tags.all()]


class MessageSerializer(serializers.ModelSerializer):
    author = CustomerSerializer(read_only=True)
    text = serializers.CharField(source="masked_text", help_text="Personal data masked.")
    url = serializers.SerializerMethodField()

    class Meta:
        model = Mention
        fields = ("id", "direction", "kind", "author", "text", "url", "created_at", "lang", "sentiment_label")
        read_only_fields = fields

    def get_url(self, mention) -> str:
        return safe_url(mention.url)


class NoteSerializer(serializers.ModelSerializer):
    author = PersonSerializer(read_only=True)
    text = MaskedTextField()

    class Meta:
        model = Note
        fields = ("id", "author", "text", "created_at")
        read_only_fields = fields


class ConversationDetailSerializer(ConversationSerializer):
    messages = serializers.SerializerMethodField(help_text=f"The newest {MAX_MESSAGES}, oldest first.")
    notes = serializers.SerializerMethodField()

    class Meta(ConversationSerializer.Meta):
        fields = (*ConversationSerializer.Meta.fields, "messages", "notes")
        read_only_fields = fields

    @extend_schema_field(MessageSerializer(many=True))
    def get_messages(self, conversation) -> list:
        newest = selectors.conversation_messages(conversation=conversation).reverse()[:MAX_MESSAGES]
        return MessageSerializer(list(newest)[::-1], many=True).data

    @extend_schema_field(NoteSerializer(many=True))
    def get_notes(self, conversation) -> list:
        notes = Note.objects.filter(conversation=conversation).select_related("author").order_by("created_at")
        return NoteSerializer(notes[:MAX_MESSAGES], many=True).data


class ReplySerializer(serializers.ModelSerializer):
    author = PersonSerializer(read_only=True)
    conversation = serializers.IntegerField(source="conversation_id", read_only=True)
    url = serializers.SerializerMethodField(help_text="The post on the network, once sent.")
    text = MaskedTextField()
    error = MaskedTextField(help_text="Why it failed or waits, personal data masked.")

    class Meta:
        model = Reply
        fields = (
            "id",
            "conversation",
            "author",
            "channel",
            "text",
            "state",
            "approval_reasons",
            "error",
            "created_at",
            "sent_at",
            "url",
        )
        read_only_fields = fields

    def get_url(self, reply) -> str:
        return safe_url(reply.url)


class SavedReplySerializer(serializers.ModelSerializer):
    body = MaskedTextField()

    class Meta:
        model = SavedReply
        fields = ("id", "title", "body", "shortcut", "tags", "networks", "is_active")
        read_only_fields = fields


class VersionSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**31 - 1,
        help_text="The conversation's `version` when you read it: refused with 409 if it changed since. "
        "Required unless an `Idempotency-Key` header is sent.",
    )


class AssignSerializer(VersionSerializer):
    assignee = serializers.IntegerField(
        allow_null=True, help_text="The id of an agent or lead; null unassigns."
    )


# Named for the schema's enums (settings.SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]).
CONVERSATION_STATUSES = Conversation.Status.choices
REPLY_STATES = Reply.State.choices
REPLY_CHANNELS = Reply.Channel.choices
# "New" belongs to conversations nobody has looked at; people move them on, not back.
SETTABLE_STATUSES = [c for c in Conversation.Status.choices if c[0] != Conversation.Status.NEW]


class StatusSerializer(VersionSerializer):
    status = serializers.ChoiceField(choices=SETTABLE_STATUSES)


class PrioritySerializer(VersionSerializer):
    priority = serializers.ChoiceField(choices=Conversation.Priority.choices)


class TagAddSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=40, help_text="An existing tag's name, or a new one.")


class TagRemoveSerializer(serializers.Serializer):
    tag = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="The tag's id.")


class NoteAddSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=5000, help_text="@username notifies that colleague.")


class ReplySubmitSerializer(VersionSerializer):
    text = serializers.CharField(max_length=10000)
    channel = serializers.ChoiceField(choices=Reply.Channel.choices, default=Reply.Channel.PUBLIC)
    saved_reply = serializers.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, help_text="The saved reply it was written from."
    )
    override_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text="Why it must go out although the personal-data guard refused it (roles that may override).",
    )


# --- Filters (documented from the inbox's own filter form) -----------------------------------------


ID = {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}
FILTERS = {
    "view": (
        {"type": "string", "enum": list(selectors.SAVED_VIEWS)},
        f"A saved view of the inbox (default {selectors.DEFAULT_VIEW}).",
    ),
    "sort": (
        {"type": "string", "enum": list(selectors.SORTS)},
        "newest, waiting (longest first) or priority.",
    ),
    "q": (
        {"type": "string", "maxLength": 200},
        "Full-text search; `@jan` matches handles starting with jan.",
    ),
    "network": (
        {"type": "string", "enum": [v for v, _ in Conversation._meta.get_field("network").choices]},
        "",
    ),
    "account": (ID, "A connected account's id."),
    "status": ({"type": "string", "enum": Conversation.Status.values}, ""),
    "assignee": ({"type": "string", "pattern": "^(me|none|[1-9][0-9]{0,17})$"}, "A user id, `me` or `none`."),
    "tag": (ID, "A tag's id."),
    "sentiment": ({"type": "string", "enum": ["negative", "neutral", "positive"]}, ""),
    "priority": (
        {"type": "integer", "enum": Conversation.Priority.values},
        "0 low, 1 normal, 2 high, 3 urgent.",
    ),
    "lang": ({"type": "string", "maxLength": 8}, "A language code (en, es, ...)."),
    "pii": ({"type": "boolean"}, "true: only conversations with personal data."),
    "active_from": ({"type": "string", "format": "date"}, "Last activity on or after this day."),
    "active_to": ({"type": "string", "format": "date"}, "Last activity on or before this day."),
}
# Filters naming an object by id: an id nobody has matches no conversation (an empty page).
ID_FILTERS = ("account", "tag", "assignee")


def _filter_parameters() -> list[OpenApiParameter]:
    assert set(FILTERS) == set(forms.ListFilterForm.base_fields), "document every filter of the inbox"
    return [
        OpenApiParameter(name, schema, OpenApiParameter.QUERY, required=False, description=text)
        for name, (schema, text) in FILTERS.items()
    ]


def _list_query(request) -> selectors.ListQuery | None:
    """The inbox's filters from the query string, through the inbox's own form; None: nothing can match."""
    params = request.query_params
    for name in ("account", "tag"):
        value = params.get(name, "")
        if value and not (value.isdigit() and 0 < int(value) < 2**63):
            raise ValidationError({name: ["An id: a whole number from 1."]})
    form = forms.ListFilterForm(params, workers=list(selectors.inbox_workers()))
    if form.is_valid():
        return form.list_query()
    unknown_ids = {name for name in form.errors if name in ID_FILTERS and params.get(name, "").isdigit()}
    other = {name: errors for name, errors in form.errors.items() if name not in unknown_ids}
    if other:
        raise ValidationError(other)
    return None


def _run(view: ApiViewSet, call):
    """Call a service, once the write's precondition is there (version or Idempotency-Key, else
    428); its refusals become 409 (stale) or 400 (refused) with its message."""
    view.check_precondition()
    try:
        with transaction.atomic():
            return call()
    except services.StaleAction as exc:
        raise Conflict(str(exc)) from None
    except services.InboxError as exc:
        raise Refused(str(exc)) from None


def _fresh(pk: int, user) -> Conversation:
    conversation = permissions.conversation_for_user(user, pk)
    return selectors.conversation_rows(user=user, ids=[conversation.pk])[0]


# --- Viewsets ---------------------------------------------------------------------------------------


class ConversationViewSet(ApiViewSet):
    """Conversations of the shared inbox: the list with the inbox's filters, one with its thread, the
    actions on it."""

    serializer_class = ConversationSerializer
    version_actions = frozenset({"claim", "assign", "status", "priority", "reply"})

    @extend_schema(
        parameters=[*_filter_parameters(), *CURSOR_PARAMETERS],
        responses=page_of(ConversationSerializer),
    )
    def list(self, request):
        permissions.inbox_access(request.user)
        query = _list_query(request)
        if query is None:
            return Response(page_response(request, [], None))
        try:
            page = selectors.conversation_list(
                user=request.user,
                query=query,
                cursor=request.query_params.get("cursor") or None,
                page_size=limit_param(request),
            )
        except selectors.BadCursor as exc:
            raise ValidationError({"cursor": [str(exc)]}) from None
        rows = ConversationSerializer(page.conversations, many=True).data
        return Response(page_response(request, rows, page.next_cursor))

    @extend_schema(responses=ConversationDetailSerializer)
    def retrieve(self, request, pk=None):
        conversation = permissions.conversation_for_user(request.user, path_id(pk))
        conversation = _fresh(conversation.pk, request.user)
        return Response(ConversationDetailSerializer(conversation).data)

    def _act(self, request, pk, serializer_class, call):
        conversation = permissions.conversation_for_user(request.user, path_id(pk), write=True)
        data = {}
        if serializer_class is not None:
            serializer = serializer_class(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
        _run(self, lambda: call(conversation, data))
        return Response(ConversationSerializer(_fresh(conversation.pk, request.user)).data)

    @extend_schema(request=VersionSerializer, responses=ConversationSerializer)
    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None):
        """Assign it to yourself."""
        return self._act(
            request,
            pk,
            VersionSerializer,
            lambda c, d: services.conversation_claim(
                actor=request.user, conversation=c, seen_version=d.get("version")
            ),
        )

    @extend_schema(request=AssignSerializer, responses=ConversationSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        """Assign it to an agent or lead, or unassign it (`assignee: null`)."""

        def call(conversation, data):
            assignee = None
            if data["assignee"] is not None:
                assignee = selectors.inbox_workers().filter(pk=data["assignee"]).first()
                if assignee is None:
                    raise services.InboxError("Nobody who works the inbox has that id.")
            return services.conversation_assign(
                actor=request.user,
                conversation=conversation,
                assignee=assignee,
                seen_version=data.get("version"),
            )

        return self._act(request, pk, AssignSerializer, call)

    @extend_schema(request=StatusSerializer, responses=ConversationSerializer)
    @action(detail=True, methods=["post"])
    def status(self, request, pk=None):
        """Set the status (resolve, spam, waiting on the customer, ...)."""
        return self._act(
            request,
            pk,
            StatusSerializer,
            lambda c, d: services.conversation_set_status(
                actor=request.user, conversation=c, status=d["status"], seen_version=d.get("version")
            ),
        )

    @extend_schema(request=PrioritySerializer, responses=ConversationSerializer)
    @action(detail=True, methods=["post"])
    def priority(self, request, pk=None):
        return self._act(
            request,
            pk,
            PrioritySerializer,
            lambda c, d: services.conversation_set_priority(
                actor=request.user, conversation=c, priority=d["priority"], seen_version=d.get("version")
            ),
        )

    @extend_schema(request=TagAddSerializer, responses=ConversationSerializer)
    @action(detail=True, methods=["post"], url_path="tags")
    def tag_add(self, request, pk=None):
        """Tag it (a new name creates the tag)."""
        return self._act(
            request,
            pk,
            TagAddSerializer,
            lambda c, d: services.conversation_tag_add(actor=request.user, conversation=c, name=d["name"]),
        )

    @extend_schema(request=TagRemoveSerializer, responses=ConversationSerializer)
    @action(detail=True, methods=["post"])
    def untag(self, request, pk=None):
        """Remove a tag from it."""

        def call(conversation, data):
            tag = Tag.objects.filter(pk=data["tag"]).first()
            if tag is None:
                raise services.InboxError("No tag has that id.")
            return services.conversation_tag_remove(actor=request.user, conversation=conversation, tag=tag)

        return self._act(request, pk, TagRemoveSerializer, call)

    @extend_schema(request=ReplySubmitSerializer, responses={201: ReplySerializer, 200: ReplySerializer})
    @action(detail=True, methods=["post"])
    def reply(self, request, pk=None):
        """Answer the customer (public reply or private message): checked by the personal-data guard
        and the approval rules, then sent by the outbox; `state` says where it is. The same text to
        the same conversation again within `REPLY_DUPLICATE_WINDOW` is that reply (200), not a second."""
        conversation = permissions.conversation_for_user(request.user, path_id(pk), write=True)
        serializer = ReplySubmitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        saved = None
        if data.get("saved_reply"):
            saved = SavedReply.objects.filter(pk=data["saved_reply"], is_active=True).first()
            if saved is None:
                raise ValidationError({"saved_reply": ["No active saved reply has that id."]})
        reply = _run(
            self,
            lambda: reply_services.reply_submit(
                actor=request.user,
                conversation=conversation,
                channel=data["channel"],
                text=data["text"],
                seen_version=data.get("version"),
                saved_reply=saved,
                override_reason=data.get("override_reason", ""),
            ),
        )
        code = status.HTTP_200_OK if reply.resubmitted else status.HTTP_201_CREATED
        return Response(ReplySerializer(reply).data, status=code)

    @extend_schema(request=NoteAddSerializer, responses={201: NoteSerializer})
    @action(detail=True, methods=["post"])
    def notes(self, request, pk=None):
        """An internal note (never leaves BankBuzz)."""
        conversation = permissions.conversation_for_user(request.user, path_id(pk), write=True)
        serializer = NoteAddSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        note = _run(
            self,
            lambda: services.note_add(
                actor=request.user, conversation=conversation, text=serializer.validated_data["text"]
            ),
        )
        return Response(NoteSerializer(note).data, status=status.HTTP_201_CREATED)


class ReplyViewSet(ApiViewSet):
    """Our replies through the outbox (draft, waiting for approval, queued, sent, failed)."""

    serializer_class = ReplySerializer

    @extend_schema(responses=ReplySerializer)
    def retrieve(self, request, pk=None):
        permissions.inbox_access(request.user)
        return Response(ReplySerializer(permissions.reply_for_user(request.user, path_id(pk))).data)

    @extend_schema(request=None, responses=ReplySerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        """Withdraw a reply before it leaves (waiting for approval, queued or failed): it is never
        sent, even by a task already on its way. Its author or a lead; 400 once it is sending."""
        permissions.inbox_access(request.user, write=True)
        reply = permissions.reply_for_user(request.user, path_id(pk))
        reply = _run(self, lambda: reply_services.reply_withdraw(actor=request.user, reply=reply))
        return Response(ReplySerializer(reply).data)


class SavedReplyViewSet(ApiViewSet):
    """The saved replies agents answer with (the composer's list); leads manage them on the page."""

    serializer_class = SavedReplySerializer
    MAX = 500

    @extend_schema(responses=SavedReplySerializer(many=True))
    def list(self, request):
        permissions.inbox_access(request.user, write=True)
        rows = SavedReply.objects.filter(is_active=True).order_by("title", "id")[: self.MAX]
        return Response(SavedReplySerializer(rows, many=True).data)


class TagViewSet(ApiViewSet):
    """Tags: everyone who reads the inbox lists them; agents create them; leads rename and delete."""

    serializer_class = TagSerializer
    MAX_TAGS = 1000

    @extend_schema(responses=TagSerializer(many=True))
    def list(self, request):
        permissions.inbox_access(request.user)
        return Response(TagSerializer(Tag.objects.order_by("name")[: self.MAX_TAGS], many=True).data)

    @extend_schema(responses=TagSerializer)
    def retrieve(self, request, pk=None):
        permissions.inbox_access(request.user)
        tag = Tag.objects.filter(pk=path_id(pk)).first()
        if tag is None:
            raise Http404("No such tag")
        return Response(TagSerializer(tag).data)

    @extend_schema(request=TagAddSerializer, responses={201: TagSerializer})
    def create(self, request):
        permissions.inbox_access(request.user, write=True)
        serializer = TagAddSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        tag = _run(
            self,
            lambda: services.tag_get_or_create(actor=request.user, name=serializer.validated_data["name"]),
        )
        return Response(TagSerializer(tag).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=TagAddSerializer, responses=TagSerializer)
    def partial_update(self, request, pk=None):
        tag = permissions.tag_for_manager(request.user, path_id(pk))
        serializer = TagAddSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        tag = _run(
            self,
            lambda: services.tag_rename(actor=request.user, tag=tag, name=serializer.validated_data["name"]),
        )
        return Response(TagSerializer(tag).data)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request, pk=None):
        tag = permissions.tag_for_manager(request.user, path_id(pk))
        _run(self, lambda: services.tag_delete(actor=request.user, tag=tag))
        return Response(status=status.HTTP_204_NO_CONTENT)


ROUTES = [
    ("conversations", ConversationViewSet, "conversation"),
    ("tags", TagViewSet, "tag"),
    ("replies", ReplyViewSet, "reply"),
    ("saved-replies", SavedReplyViewSet, "saved-reply"),
]
