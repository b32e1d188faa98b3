from django.contrib import admin

from inbox.models import Conversation, ConversationEvent, Note, Tag


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
