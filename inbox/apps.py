from django.apps import AppConfig


class InboxConfig(AppConfig):
    name = "inbox"
    verbose_name = "Shared inbox"

    def ready(self) -> None:
        from inbox import receivers, reply_tasks  # noqa: F401 - registers the outbox's tasks
        from inbox.events import conversations_touched
        from listening.signals import mentions_received

        mentions_received.connect(receivers.on_mentions_received, dispatch_uid="inbox.attach_mentions")
        # New conversations, told to the webhooks (the core's webhooks know no app).
        conversations_touched.connect(
            receivers.on_conversations_touched, dispatch_uid="inbox.webhooks.conversation_created"
        )
        from inbox import retention

        retention.register()  # its retention kinds and erasure (bankbuzz/audit/retention.py)
        from bankbuzz import metrics
        from inbox.metrics import collect

        metrics.register("inbox", collect)  # the outbox's figures at /metrics
