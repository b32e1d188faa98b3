from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "bankbuzz.audit"
    label = "audit"
    verbose_name = "Audit log"
