from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = "Incidents and publishing"

    def ready(self) -> None:
        from incidents import receivers, tasks  # noqa: F401 - registers the publishing tasks
        from listening.signals import mentions_received

        # After inbox's receiver (inbox is listed first in INSTALLED_APPS): the conversations exist.
        mentions_received.connect(receivers.on_mentions_received, dispatch_uid="incidents.mentions")
