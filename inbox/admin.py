from django.contrib import admin
from django.db import models

from bankbuzz.audit.admin import AuditedChangeViewMixin, ReadOnlyAdminMixin
from inbox.models import Conversation, ConversationEvent, Note, Reply, SavedReply, Tag


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ("id", "network", "customer", "status", "priority", "assignee", "last_activity_at")
    list_filter = ("network", "status", "priority")
    raw_id_fields = ("customer", "account", "assignee")
    filter_horizontal = ("tags",)
    # Changes made here would bypass the services, their version check and the audit log:
    # the admin is for looking.
    readonly_fields = ("version", "search_handle")

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name", "created_by", "created_at")
    search_fields = ("name",)


@admin.register(Note)
class NoteAdmin(admin.ModelAdmin):
    list_display = ("conversation", "author", "created_at")
    raw_id_fields = ("conversation", "author", "mentioned")

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ConversationEvent)
class ConversationEventAdmin(admin.ModelAdmin):
    list_display = ("conversation", "version", "kind", "actor", "text", "created_at")
    list_filter = ("kind",)
    raw_id_fields = ("conversation", "actor")

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Reply)
class ReplyAdmin(AuditedChangeViewMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """For looking only: a reply changes through inbox.reply_services (state-guarded, audited).

    A reply sent with a lead's personal-data override holds that data unmasked: opening it
    here is recorded (`reply.view_unmasked`), as revealing a message in the inbox is."""

    audited_view_verb = "reply.view_unmasked"
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def audit_view_needed(self, obj) -> bool:
        return bool(obj.override_findings)

    list_display = ("id", "conversation", "author", "channel", "state", "attempts", "created_at", "sent_at")
    list_filter = ("state", "channel")
    search_fields = ("external_id", "author__username")
    raw_id_fields = ("conversation", "author", "saved_reply", "decided_by", "mention")
    date_hierarchy = "created_at"


@admin.register(SavedReply)
class SavedReplyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Leads manage the library on the Saved replies page (audited); the admin shows it."""

    list_display = ("title", "shortcut", "is_active", "usage_count", "last_used_at", "updated_by")
    list_filter = ("is_active",)
    search_fields = ("title", "shortcut", "body")
    raw_id_fields = ("created_by", "updated_by")
