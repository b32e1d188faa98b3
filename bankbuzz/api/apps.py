from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "bankbuzz.api"
    label = "api"
    verbose_name = "API and webhooks"

    def ready(self) -> None:
        from bankbuzz.api import retention, schema, tasks  # noqa: F401 - the delivery task, schema extensions

        retention.register()  # its retention kind (bankbuzz/audit/retention.py)
        from bankbuzz import metrics
        from bankbuzz.api.metrics import collect

        metrics.register("webhooks", collect)  # webhook deliveries at /metrics
