from django.conf import settings
from django.db import models

from bankbuzz.cardmask import CardMaskedCharField, CardMaskedJSONField, CardMaskedTextField


class AuditEvent(models.Model):
    """Who did what to which object, when. Append-only.

    A PostgreSQL trigger (migrations 0002, 0004) rejects UPDATE, DELETE and TRUNCATE, so not
    even a bug or a stray shell session can rewrite history. `seq` numbers the events without
    a gap from the genesis event (seq 1), in commit order: the database assigns it when the
    writing transaction commits (see `bankbuzz.audit.chain`), so it is empty only until then.
    """

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    seq = models.BigIntegerField(null=True, blank=True, unique=True, editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False
    )
    # The actor's name at the time, so the record survives renames; "system" for tasks.
    actor_label = models.CharField(max_length=150)
    verb = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = CardMaskedCharField(max_length=200, blank=True)
    before = CardMaskedJSONField(null=True, blank=True)
    after = CardMaskedJSONField(null=True, blank=True)
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


class AuditSequence(models.Model):
    """The last sequence number given to an audit event: one row, written only by the trigger.

    A counter row rather than a PostgreSQL sequence because a sequence is not transactional:
    a rolled-back insert would leave a hole. The row is updated in the inserting transaction,
    so a rollback takes the number back, and its row lock makes concurrent commits wait for
    one another, so no two get the same number.
    """

    last = models.BigIntegerField()

    def __str__(self) -> str:
        return f"Audit sequence at {self.last}"


class RetentionPolicy(models.Model):
    """An administrator's choice of how long one kind of record is kept.

    The kinds, what they cover, whether they are deleted or anonymised and their bank defaults
    are declared in code by the app that owns the records (see `bankbuzz.audit.retention`); a
    row here exists only once someone changed the default.
    """

    kind = models.CharField(max_length=64, unique=True)
    days = models.PositiveIntegerField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.kind}: {self.days} days"


class LegalHold(models.Model):
    """Keeps one conversation or one person's records from retention and erasure until lifted.

    The target is a generic reference (content type and id) so the audit app, at the bottom of
    the dependency graph, knows nothing of inbox or listening; the apps say what a hold on
    their objects covers.
    """

    content_type = models.ForeignKey("contenttypes.ContentType", on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    # What it was when the hold was placed, for the list ("Conversation 12 with @jane").
    object_repr = CardMaskedCharField(max_length=200)
    reason = CardMaskedTextField(max_length=2000)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    placed_at = models.DateTimeField(auto_now_add=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lifted_at = models.DateTimeField(null=True, blank=True)
    lift_reason = CardMaskedTextField(max_length=2000, blank=True)

    class Meta:
        ordering = ("-placed_at", "-id")
        indexes = [
            # Retention and erasure ask "which ids of this model are held" before every batch.
            models.Index(
                fields=["content_type", "object_id"],
                name="legal_hold_active_idx",
                condition=models.Q(lifted_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"Legal hold {self.pk}"

    @property
    def is_active(self) -> bool:
        return self.lifted_at is None


class ErasureRequest(models.Model):
    """One person's request to have their data erased, and what was done about it.

    The request keeps the network and handle it was made for: the bank must be able to show
    that it handled the request (that is the lawful basis for keeping this much). The report
    names objects by id, never by their text.
    """

    class State(models.TextChoices):
        DONE = "done", "Done"
        NOT_FOUND = "not_found", "Nobody found"

    network = models.CharField(max_length=16, blank=True)
    handle = CardMaskedCharField(max_length=100, blank=True)
    author_id = models.PositiveBigIntegerField(null=True, blank=True)
    reference = CardMaskedCharField(max_length=100, blank=True, help_text="The customer's request reference.")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    state = models.CharField(max_length=16, choices=State.choices)
    # {"anonymised": [...], "kept": [...], "counts": {...}}: see bankbuzz.audit.erasure.
    report = models.JSONField(default=dict)

    class Meta:
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"Erasure request {self.pk}"
