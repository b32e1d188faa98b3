from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from bankbuzz.accounts.models import Notification, User
from bankbuzz.accounts.twofactor import second_factor_reset
from bankbuzz.audit.admin import AuditedAdminMixin, ReadOnlyAdminMixin

# Nobody, not even an administrator, reads a person's TOTP key or recovery codes: the admin
# resets a second factor (the action below) and the person enrols again.
for _model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


@admin.register(User)
class BankBuzzUserAdmin(AuditedAdminMixin, UserAdmin):
    """Every change is audited. People are deactivated (Active off), never deleted: their
    notes, replies and audit events name them."""

    fieldsets = (*UserAdmin.fieldsets, ("BankBuzz", {"fields": ("is_trainee",)}))
    list_display = ("username", "email", "first_name", "last_name", "is_trainee", "is_active")
    actions = ["reset_second_factor"]

    def has_delete_permission(self, request, obj=None):
        return False

    def user_change_password(self, request, id, form_url=""):
        from bankbuzz.audit.services import admin_change_record

        with transaction.atomic():
            response = super().user_change_password(request, id, form_url)
            if request.method == "POST" and response.status_code == 302:
                user = self.get_object(request, admin.utils.unquote(id))
                admin_change_record(
                    actor=request.user, obj=user, action="change", changed={"password": (None, None)}
                )
        return response

    @admin.action(description="Reset two-factor login (they enrol again at their next login)")
    def reset_second_factor(self, request, queryset):
        for user in queryset:
            second_factor_reset(actor=request.user, user=user)
        self.message_user(
            request,
            f"Two-factor login reset for {queryset.count()} user(s): "
            "each sets it up again at the next login.",
            messages.SUCCESS,
        )


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "recipient", "verb", "text", "read_at", "emailed_at")
    list_filter = ("verb",)
    raw_id_fields = ("recipient",)


def _reregister(model, mixin) -> None:
    """Wrap a library's admin for `model` in `mixin`, keeping everything else it does."""
    current = admin.site._registry.get(model)
    if current is None:
        return
    admin.site.unregister(model)
    admin.site.register(model, type(type(current).__name__, (mixin, type(current)), {}))


def _audit_library_admins() -> None:
    # Roles (groups) and beat's schedules stay editable here, audited. Login records are the
    # bank's evidence: the failure logs are read-only; an access attempt may still be deleted,
    # which is how an administrator unlocks a login early, and that is audited too.
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django.contrib.auth.models import Group
    from django_celery_beat import models as beat

    for model in (
        Group,
        AccessAttempt,
        beat.PeriodicTask,
        beat.ClockedSchedule,
        beat.CrontabSchedule,
        beat.SolarSchedule,
        beat.IntervalSchedule,
    ):
        _reregister(model, AuditedAdminMixin)
    for model in (AccessLog, AccessFailureLog):
        _reregister(model, ReadOnlyAdminMixin)


_audit_library_admins()
