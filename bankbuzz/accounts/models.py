from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone

from bankbuzz.cardmask import CardMaskedCharField


class User(AbstractUser):
    """A member of the bank's staff. Roles are groups (see `roles.py`)."""

    # Names are typed in the admin: a card number in them is masked on every write.
    first_name = CardMaskedCharField("first name", max_length=150, blank=True)
    last_name = CardMaskedCharField("last name", max_length=150, blank=True)
    # Replies of trainees wait for a lead's approval.
    is_trainee = models.BooleanField(default=False)

    class Meta:
        db_table = "accounts_user"

    @property
    def initials(self) -> str:
        parts = [self.first_name, self.last_name] if self.first_name else [self.username]
        return "".join(part[:1].upper() for part in parts if part)[:2]

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class Notification(models.Model):
    """An in-app notification: the menu in the top bar, and optionally an e-mail.

    Written only through `bankbuzz.accounts.notifications.notify`.
    """

    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    verb = models.CharField(max_length=64, help_text="What happened, for filtering (note.mention, ...).")
    text = CardMaskedCharField(max_length=300)
    url = models.CharField(max_length=500, help_text="A path inside BankBuzz.")
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [
            # The notification menu: a user's latest notifications, and the unread count.
            models.Index(fields=["recipient", "-created_at"], name="notification_menu_idx"),
            models.Index(
                fields=["recipient"],
                name="notification_unread_idx",
                condition=models.Q(read_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient}: {self.text[:60]}"

    @property
    def is_unread(self) -> bool:
        return self.read_at is None
