"""Webhook endpoints (administrators configure them here) and the delivery log; tokens read-only."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db import transaction

from bankbuzz.api import webhooks
from bankbuzz.api.models import ApiToken, WebhookDelivery, WebhookEndpoint
from bankbuzz.audit.admin import ReadOnlyAdminMixin
from bankbuzz.audit.services import audit_record


class EndpointForm(forms.ModelForm):
    # A bare "hooks.example.com" means https, as browsers read it.
    url = forms.URLField(
        max_length=500, assume_scheme="https", help_text="Where the events are POSTed (https)."
    )
    events = forms.MultipleChoiceField(
        choices=[(key, f"{key}: {text}") for key, text in webhooks.EVENTS.items()],
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = WebhookEndpoint
        fields = ("name", "url", "events", "is_active")

    def clean_url(self):
        from django.conf import settings

        url = self.cleaned_data["url"]
        if not url.startswith("https://") and not settings.DEBUG:
            raise forms.ValidationError("Use https: the bodies describe the bank's customers' cases.")
        return url


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = EndpointForm
    list_display = ("name", "url", "is_active", "created_at")
    actions = ("rotate_secret",)

    def has_delete_permission(self, request, obj=None):
        # Switched off (Active), not deleted: its delivery log stays.
        return False

    @transaction.atomic
    def save_model(self, request, obj, form, change):
        secret = None
        if not change:
            secret = webhooks.new_secret()
            obj.secret_encrypted = webhooks.encrypt_secret(secret)
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        audit_record(
            actor=request.user,
            verb="webhook.update" if change else "webhook.create",
            obj=obj,
            after={"url": obj.url, "events": obj.events, "is_active": obj.is_active},
        )
        if secret:
            self.message_user(
                request,
                f"Signing secret of \u201c{obj.name}\u201d: {secret} \u2014 give it to the receiving "
                "system now; it is not shown again (Rotate signing secret makes a new one).",
                messages.WARNING,
            )

    @admin.action(description="Rotate signing secret (shown once)")
    def rotate_secret(self, request, queryset):
        for endpoint in queryset:
            secret = webhooks.new_secret()
            with transaction.atomic():
                WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
                    secret_encrypted=webhooks.encrypt_secret(secret)
                )
                audit_record(actor=request.user, verb="webhook.rotate_secret", obj=endpoint)
            self.message_user(
                request, f"New signing secret of \u201c{endpoint.name}\u201d: {secret}", messages.WARNING
            )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "event", "endpoint", "state", "attempts", "last_status", "delivered_at")
    list_filter = ("state", "event", "endpoint")
    list_select_related = ("endpoint",)
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
    actions = ("redeliver",)
    show_full_result_count = False

    @admin.action(description="Send again (failed deliveries)")
    def redeliver(self, request, queryset):
        for delivery in queryset.filter(state=WebhookDelivery.State.FAILED)[:500]:
            webhooks.webhook_redeliver(delivery=delivery)
        self.message_user(request, "Queued again.")


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Administrators see who has tokens and may revoke them; the token itself exists nowhere."""

    list_display = (
        "name",
        "user",
        "prefix",
        "scope",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    )
    list_filter = ("scope",)
    list_select_related = ("user",)
    readonly_fields = (
        "user",
        "name",
        "prefix",
        "scope",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    )
    actions = ("revoke",)

    @admin.action(description="Revoke")
    def revoke(self, request, queryset):
        from django.utils import timezone

        with transaction.atomic():
            for token in queryset.filter(revoked_at__isnull=True):
                ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
                audit_record(actor=request.user, verb="api_token.revoke", obj=token, after={"by_admin": True})
        self.message_user(request, "Revoked.")
