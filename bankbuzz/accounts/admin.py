from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from bankbuzz.accounts.models import Notification, User


@admin.register(User)
class BankBuzzUserAdmin(UserAdmin):
    fieldsets = (*UserAdmin.fieldsets, ("BankBuzz", {"fields": ("is_trainee",)}))
    list_display = ("username", "email", "first_name", "last_name", "is_trainee", "is_active")


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "recipient", "verb", "text", "read_at", "emailed_at")
    list_filter = ("verb",)
    raw_id_fields = ("recipient",)
