from django.contrib import admin

from bankbuzz.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("at", "actor_label", "verb", "object_type", "object_id", "client_address")
    list_filter = ("verb", "object_type")
    search_fields = ("actor_label", "object_id", "object_repr")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
