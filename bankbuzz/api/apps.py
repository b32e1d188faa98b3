from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "bankbuzz.api"
    label = "api"
    verbose_name = "API and webhooks"

    def ready(self) -> None:
        from bankbuzz.api import receivers, schema, tasks  # noqa: F401 - the delivery task, schema extensions
        from inbox.events import conversations_touched

        # Sent by the inbox once new mentions are attached: the conversations exist, whatever the
        # order of INSTALLED_APPS.
        conversations_touched.connect(
            receivers.on_conversations_touched, dispatch_uid="api.webhooks.conversations"
        )
        from bankbuzz.api import retention

        retention.register()  # its retention kind (bankbuzz/audit/retention.py)
        from bankbuzz import metrics
        from bankbuzz.api.metrics import collect

        metrics.register("webhooks", collect)  # webhook deliveries at /metrics
