"""The complaints configuration an administrator edits in the admin (audited): regimes, the
taxonomy, bank holidays and each account's default regime. Complaints, letters and
vulnerability flags are worked on the complaint pages (services, audited); the admin shows
complaints read-only and never shows vulnerability flags (special-category data)."""

from django.contrib import admin

from bankbuzz.audit.admin import AuditedAdminMixin, ReadOnlyAdminMixin
from complaints.models import AccountRegime, BankHoliday, Category, Complaint, ComplaintRegime, Letter


@admin.register(ComplaintRegime)
class ComplaintRegimeAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = (
        "name",
        "code",
        "summary_amount",
        "acknowledge_amount",
        "final_amount",
        "final_unit",
        "is_active",
    )


@admin.register(AccountRegime)
class AccountRegimeAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("account", "regime")


@admin.register(Category)
class CategoryAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "kind", "group", "position", "is_active")
    list_filter = ("kind", "is_active")


@admin.register(BankHoliday)
class BankHolidayAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("date", "name")


class LetterInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Letter
    extra = 0
    fields = ("kind", "channel", "sent_on", "created_by")


@admin.register(Complaint)
class ComplaintAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("__str__", "regime", "status", "received_at", "final_due_at", "outcome")
    list_filter = ("status", "regime")
    exclude = ("messages",)
    inlines = (LetterInline,)
