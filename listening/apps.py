from django.apps import AppConfig


class ListeningConfig(AppConfig):
    name = "listening"
    verbose_name = "Listening"

    def ready(self) -> None:
        from listening import retention

        retention.register()  # its retention kinds (bankbuzz/audit/retention.py)
