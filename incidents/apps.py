from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = "Incidents and publishing"

    def ready(self) -> None:
        from inbox.events import conversations_touched
        from incidents import receivers, tasks  # noqa: F401 - registers the publishing tasks

        conversations_touched.connect(receivers.on_conversations_touched, dispatch_uid="incidents.touched")
