from django.apps import AppConfig


class ListeningConfig(AppConfig):
    name = "listening"
    verbose_name = "Listening"

    def ready(self) -> None:
        from listening import retention

        retention.register()  # its retention kinds (bankbuzz/audit/retention.py)
        from bankbuzz import metrics
        from listening.metrics import collect

        metrics.register("listening", collect)  # accounts' polling at /metrics
