"""The inbox's API serializers: what a conversation, message, note, reply, tag and saved reply
look like, and what each action takes."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from inbox import selectors
from inbox.models import Conversation, Note, Reply, SavedReply, Tag
from listening.api import MaskedTextField
from listening.models import Mention

MAX_MESSAGES = 200


def safe_url(url: str) -> str:
    """Links only to http(s): social content is hostile input."""
    return url if url.startswith(("https://", "http://")) else ""


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
