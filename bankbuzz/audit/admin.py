from django.contrib import admin

from bankbuzz.audit.models import AuditEvent


class ReadOnlyAdminMixin:
    """For records that change only through the app's audited services: the admin shows them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("at", "actor_label", "verb", "object_type", "object_id", "client_address")
    list_filter = ("verb", "object_type")
    search_fields = ("actor_label", "object_id", "object_repr")


class AuditedChangeViewMixin:
    """For admin pages that show personal data unmasked: opening one is an audit event.

    `audited_view_verb` names it ("quarantine.view_raw"); `audit_view_needed(obj)` may
    narrow it to the objects that actually hold such data.
    """

    audited_view_verb = ""

    def audit_view_needed(self, obj) -> bool:
        return True

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and getattr(response, "status_code", 0) == 200:
            obj = self.get_object(request, admin.utils.unquote(object_id))
            if obj is not None and self.audit_view_needed(obj):
                from bankbuzz.audit.services import audit_record

                audit_record(
                    actor=request.user, verb=self.audited_view_verb, obj=obj, after={"where": "admin"}
                )
        return response
