from django.apps import AppConfig


class LearningConfig(AppConfig):
    name = "learning"
    verbose_name = "Advice library and learning"

    def ready(self) -> None:
        from inbox.panels import register_panel
        from learning import panels, retention, tasks  # noqa: F401 - registers the beat tasks

        retention.register()  # learning's rows lose their words with their conversation's

        # The inbox and escalation pages show suggestions without naming this app.
        register_panel("composer", "learning/_suggestions.html", panels.composer_suggestions)
        register_panel("escalation_answer", "learning/_suggestions.html", panels.escalation_suggestions)
        register_panel("escalation_answered", "learning/_propose.html", panels.escalation_propose)
