from django.apps import AppConfig


class ComplaintsConfig(AppConfig):
    name = "complaints"
    verbose_name = "Complaints"

    def ready(self) -> None:
        from complaints import panels, retention, tasks  # noqa: F401 - registers the beat task
        from inbox.panels import register_panel

        retention.register()
        # The conversation pane shows the complaint panel without naming this app.
        register_panel("conversation_side", "complaints/_panel.html", panels.conversation_panel)
