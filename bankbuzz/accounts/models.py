from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A member of the bank's staff. Roles are groups (see `roles.py`)."""

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
