from django.contrib import admin
from django.db import models

from bankbuzz.audit.admin import AuditedAdminMixin, AuditedChangeViewMixin, ReadOnlyAdminMixin
from listening.models import Author, ListeningQuery, Mention, QuarantinedItem, SocialAccount, SpikeAlert


@admin.register(SocialAccount)
class SocialAccountAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Edits are audited. An account is switched off (is_active), never deleted: its messages
    and their audit trail point at it."""

    list_display = ("handle", "network", "health", "last_success_at", "last_error_at", "is_active")
    list_filter = ("network", "health", "is_active")
    # Credentials are never rendered back: they are set through the account page.
    exclude = ("credentials_encrypted", "cursors", "poll_lease_until")
    readonly_fields = (
        "health",
        "rate_limited_until",
        "rate_limit_remaining",
        "last_poll_at",
        "last_success_at",
        "last_error",
        "last_error_at",
    )

    def save_model(self, request, obj, form, change):
        from listening.services import account_schedule_sync

        super().save_model(request, obj, form, change)
        account_schedule_sync(account=obj)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Author)
class AuthorAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Profiles come from the networks; erasure and retention (audited) are how one goes."""

    list_display = ("handle", "name", "network", "followers", "verified")
    list_filter = ("network",)
    search_fields = ("handle", "name")
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Mention)
class MentionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """For looking only, and masked: the text is shown as lists show it; the raw payload and
    earlier edits (unmasked copies) are left out. Revealing is the inbox's audited *Reveal*."""

    list_display = ("external_id", "network", "direction", "kind", "created_at", "sentiment_label", "has_pii")
    list_filter = ("network", "direction", "kind", "has_pii")
    raw_id_fields = ("author", "account")
    search_fields = ("external_id", "thread_key")
    fields = (
        "network",
        "external_id",
        "account",
        "author",
        "kind",
        "direction",
        "masked_text",
        "url",
        "thread_key",
        "in_reply_to",
        "created_at",
        "received_at",
        "lang",
        "sentiment_label",
        "has_pii",
        "pii_findings",
        "priority_hint",
        "intent",
        "is_spam",
        "for_inbox",
    )
    readonly_fields = fields

    @admin.display(description="Text (personal data masked)")
    def masked_text(self, obj):
        return obj.masked_text


@admin.register(QuarantinedItem)
class QuarantinedItemAdmin(AuditedChangeViewMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """The raw item, unmasked, is what an administrator needs to see why it did not parse:
    opening one is recorded (`quarantine.view_raw`)."""

    audited_view_verb = "quarantine.view_raw"
    list_display = ("created_at", "account", "stream", "external_id", "reason", "reprocessed_at")
    list_filter = ("stream",)


@admin.register(ListeningQuery)
class ListeningQueryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: queries are written on the listening pages, through the services (audited)."""

    list_display = ("name", "kind", "inbox_policy", "is_active", "last_run_at")
    readonly_fields = [f.name for f in ListeningQuery._meta.fields]


@admin.register(SpikeAlert)
class SpikeAlertAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("started_at", "ended_at", "is_open", "peak_count", "terms")
    readonly_fields = [f.name for f in SpikeAlert._meta.fields]
