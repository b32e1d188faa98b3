from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """Who did what to which object, when. Append-only.

    A PostgreSQL trigger (migration 0002) rejects UPDATE and DELETE, so not even
    a bug or a stray shell session can rewrite history.
    """

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False
    )
    # The actor's name at the time, so the record survives renames; "system" for tasks.
    actor_label = models.CharField(max_length=150)
    verb = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    client_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ("-at", "-id")
        indexes = [
            # The compliance page's "everything that happened to this object".
            models.Index(fields=["object_type", "object_id", "at"], name="audit_by_object_idx"),
            models.Index(fields=["verb", "at"], name="audit_by_verb_idx"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.verb} {self.object_type}:{self.object_id}"
        )
