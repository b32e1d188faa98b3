from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from bankbuzz.accounts.models import User


@admin.register(User)
class BankBuzzUserAdmin(UserAdmin):
    fieldsets = (*UserAdmin.fieldsets, ("BankBuzz", {"fields": ("is_trainee",)}))
    list_display = ("username", "email", "first_name", "last_name", "is_trainee", "is_active")
