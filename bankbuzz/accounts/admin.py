from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from bankbuzz.accounts.models import Notification, User
from bankbuzz.accounts.twofactor import second_factor_reset

# Nobody, not even an administrator, reads a person's TOTP key or recovery codes: the admin
# resets a second factor (the action below) and the person enrols again.
for _model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


@admin.register(User)
class BankBuzzUserAdmin(UserAdmin):
    fieldsets = (*UserAdmin.fieldsets, ("BankBuzz", {"fields": ("is_trainee",)}))
    list_display = ("username", "email", "first_name", "last_name", "is_trainee", "is_active")
    actions = ["reset_second_factor"]

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
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "recipient", "verb", "text", "read_at", "emailed_at")
    list_filter = ("verb",)
    raw_id_fields = ("recipient",)
