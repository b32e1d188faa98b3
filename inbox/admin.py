from django.contrib import admin

from inbox.models import Conversation


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ("id", "network", "customer", "status", "priority", "assignee", "last_activity_at")
    list_filter = ("network", "status", "priority")
    raw_id_fields = ("customer", "account", "assignee")
