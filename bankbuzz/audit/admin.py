from django.contrib import admin
from django.db import models

from bankbuzz.audit.models import AuditEvent


class ReadOnlyAdminMixin:
    """For records that change only through the app's audited services: the admin shows them.

    Nothing is added, changed or deleted here, whatever the request: the admin's add, change
    and delete views (and the bulk delete action) answer 403.
    """

    def has_add_permission(self, request, obj=None):
        # obj: inlines are asked about the parent object too.
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


def _field_value(obj: models.Model, name: str):
    field = obj._meta.get_field(name)
    if field.many_to_many:
        if obj.pk is None:
            return []
        return sorted(str(related) for related in getattr(obj, name).all())
    if field.is_relation:
        return getattr(obj, field.attname)
    return field.value_from_object(obj)


class AuditedAdminMixin:
    """For the few records an administrator still edits in the admin: each add, change and
    delete is an audit event (`admin.add`, `admin.change`, `admin.delete`) with the fields it
    changed, before and after, written in the same transaction as the change."""

    def get_form(self, request, obj=None, **kwargs):
        # Called with the object as stored, before the posted form touches it.
        request._audit_before = (
            {name: _field_value(obj, name) for name in self._audited_names(obj)} if obj else {}
        )
        return super().get_form(request, obj, **kwargs)

    @staticmethod
    def _audited_names(obj) -> list[str]:
        return [
            f.name
            for f in obj._meta.get_fields()
            if getattr(f, "concrete", False) and not f.auto_created and not f.primary_key
        ]

    def save_related(self, request, form, formsets, change):
        from bankbuzz.audit.services import admin_change_record

        super().save_related(request, form, formsets, change)
        obj = form.instance
        before = getattr(request, "_audit_before", {}) if change else {}
        changed = {}
        for name in self._audited_names(obj):
            old, new = before.get(name), _field_value(obj, name)
            if old != new and (change or new not in (None, "", [])):
                changed[name] = (old, new)
        admin_change_record(
            actor=request.user, obj=obj, action="change" if change else "add", changed=changed
        )

    def delete_model(self, request, obj):
        from bankbuzz.audit.services import admin_change_record

        admin_change_record(actor=request.user, obj=obj, action="delete", changed={})
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)
