from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from bankbuzz.audit.services import audit_record
from listening.crypto import CredentialsUnreadable, rotate_token
from listening.models import SocialAccount


class Command(BaseCommand):
    help = "Re-encrypt every account's network credentials with the first key of CREDENTIALS_KEYS."

    @transaction.atomic
    def handle(self, *args, **options):
        rotated = 0
        for account in SocialAccount.objects.select_for_update().exclude(credentials_encrypted=""):
            try:
                account.credentials_encrypted = rotate_token(account.credentials_encrypted)
            except CredentialsUnreadable as exc:
                raise CommandError(f"{account}: {exc}; nothing was changed") from None
            account.save(update_fields=["credentials_encrypted"])
            rotated += 1
        audit_record(
            actor=None,
            verb="credentials.rotate",
            object_type="listening.socialaccount",
            after={"accounts": rotated},
        )
        self.stdout.write(f"Re-encrypted the credentials of {rotated} account(s) with the newest key.")
