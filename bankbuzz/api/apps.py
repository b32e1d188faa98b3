from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "bankbuzz.api"
    label = "api"
    verbose_name = "API and webhooks"

    def ready(self) -> None:
        from bankbuzz.api import receivers, schema, tasks  # noqa: F401 - the delivery task, schema extensions
        from listening.signals import mentions_received

        # After inbox's receiver (bankbuzz.api is listed after inbox), so the conversations exist.
        mentions_received.connect(receivers.on_mentions_received, dispatch_uid="api.webhooks.conversations")
        from bankbuzz.api import retention

        retention.register()  # its retention kind (bankbuzz/audit/retention.py)
        from bankbuzz import metrics
        from bankbuzz.api.metrics import collect

        metrics.register("webhooks", collect)  # webhook deliveries at /metrics
