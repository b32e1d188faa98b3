from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from bankbuzz.audit.services import audit_record
from listening.models import MentionOriginal
from listening.pan_vault import VaultUnreadable, reseal

BATCH = 500


class Command(BaseCommand):
    help = "Re-seal every card number's original with the first key of PAN_VAULT_KEYS."

    def handle(self, *args, **options):
        # Batches of their own transaction: a vault of many originals is never locked at once,
        # and a second run after an interruption only redoes what the first had not reached.
        resealed = 0
        last = 0
        while True:
            with transaction.atomic():
                batch = list(
                    MentionOriginal.objects.select_for_update().filter(pk__gt=last).order_by("pk")[:BATCH]
                )
                if not batch:
                    break
                for original in batch:
                    try:
                        original.sealed = reseal(original.sealed)
                    except VaultUnreadable as exc:
                        raise CommandError(
                            f"{original}: {exc}; {resealed} re-sealed before it, the rest unchanged"
                        ) from None
                MentionOriginal.objects.bulk_update(batch, ["sealed"])
                resealed += len(batch)
                last = batch[-1].pk
        audit_record(
            actor=None,
            verb="pan_vault.rotate",
            object_type="listening.mentionoriginal",
            after={"originals": resealed},
        )
        self.stdout.write(f"Re-sealed {resealed} original(s) with the newest key.")
