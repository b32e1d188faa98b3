from django.apps import AppConfig


class EscalationsConfig(AppConfig):
    name = "escalations"
    verbose_name = "Escalations"

    def ready(self) -> None:
        from escalations import receivers
        from inbox.events import conversations_touched

        # Sent by the inbox once new mentions are attached: the conversations exist, whatever the
        # order of INSTALLED_APPS.
        conversations_touched.connect(receivers.on_touched_route, dispatch_uid="escalations.route")
        conversations_touched.connect(receivers.on_touched_kudos, dispatch_uid="escalations.kudos")
        from escalations import retention

        retention.register()  # escalations go with their conversations (bankbuzz/audit/retention.py)
        from bankbuzz import metrics
        from escalations.metrics import collect

        metrics.register("escalations", collect)  # SLA figures at /metrics
        from bankbuzz.audit import story

        # The audit log names departments ("department: Cards → Fraud"), not their ids.
        story.register_namer(("department", "from", "to"), _department_names, verb_prefix="escalation.")


def _department_names(raw: set) -> dict:
    from escalations.models import Department

    ids = {value for value in raw if isinstance(value, int) and not isinstance(value, bool)}
    return dict(Department.objects.filter(pk__in=ids).values_list("pk", "name")) if ids else {}
