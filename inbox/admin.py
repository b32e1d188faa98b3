from django.contrib import admin
from django.db import models

from bankbuzz.audit.admin import ReadOnlyAdminMixin
from inbox.models import Conversation, ConversationEvent, Note, Reply, SavedReply, Tag
from listening.enrichment.stored import mask_pii

# Everything of the inbox changes through inbox.services and inbox.reply_services: their version
# checks, holds and audit events are the record. The admin is for looking; staff-written text
# is shown masked, as everywhere, since staff quote customers.


@admin.register(Conversation)
class ConversationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("id", "network", "customer", "status", "priority", "assignee", "last_activity_at")
    list_filter = ("network", "status", "priority")
    raw_id_fields = ("customer", "account", "assignee")


@admin.register(Tag)
class TagAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Leads rename and delete tags under *Manage tags* (audited)."""

    list_display = ("name", "created_by", "created_at")
    search_fields = ("name",)


@admin.register(Note)
class NoteAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("conversation", "author", "created_at", "masked_text")
    raw_id_fields = ("conversation", "author", "mentioned")
    fields = ("conversation", "author", "masked_text", "created_at")
    readonly_fields = fields

    @admin.display(description="Text (personal data masked)")
    def masked_text(self, obj):
        return mask_pii(obj.text)


@admin.register(ConversationEvent)
class ConversationEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("conversation", "version", "kind", "actor", "masked_text", "created_at")
    list_filter = ("kind",)
    raw_id_fields = ("conversation", "actor")
    fields = ("conversation", "version", "kind", "actor", "masked_text", "created_at")
    readonly_fields = fields

    @admin.display(description="Text (personal data masked)")
    def masked_text(self, obj):
        return mask_pii(obj.text)


@admin.register(Reply)
class ReplyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """A reply's text, reasons and errors are shown masked; revealing is the inbox's recorded
    *Reveal*, for the roles that may."""

    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ("id", "conversation", "author", "channel", "state", "attempts", "created_at", "sent_at")
    list_filter = ("state", "channel")
    search_fields = ("external_id", "author__username")
    raw_id_fields = ("conversation", "author", "saved_reply", "decided_by", "mention")
    date_hierarchy = "created_at"
    fields = (
        "conversation",
        "author",
        "channel",
        "state",
        "masked_text",
        "override_findings",
        "masked_override_reason",
        "approval_reasons",
        "decided_by",
        "decided_at",
        "masked_decision_comment",
        "attempts",
        "queued_at",
        "sent_at",
        "external_id",
        "url",
        "masked_error",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    @admin.display(description="Text (personal data masked)")
    def masked_text(self, obj):
        return mask_pii(obj.text)

    @admin.display(description="Override reason")
    def masked_override_reason(self, obj):
        return mask_pii(obj.override_reason)

    @admin.display(description="Decision comment")
    def masked_decision_comment(self, obj):
        return mask_pii(obj.decision_comment)

    @admin.display(description="Error")
    def masked_error(self, obj):
        return mask_pii(obj.error)


@admin.register(SavedReply)
class SavedReplyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Leads manage the library on the Saved replies page (audited); the admin shows it."""

    list_display = ("title", "shortcut", "is_active", "usage_count", "last_used_at", "updated_by")
    list_filter = ("is_active",)
    search_fields = ("title", "shortcut", "body")
    raw_id_fields = ("created_by", "updated_by")
