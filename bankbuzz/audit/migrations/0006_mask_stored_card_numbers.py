"""Card numbers in legal holds and erasure requests stored before they were masked on write: masked.

The audit events themselves cannot be rewritten (the table is append-only, migration 0002):
from 0005 on, what is appended is masked.

Batches of their own transaction, walking the primary key (`bankbuzz.cardmask.mask_stored_rows`),
so a large table is never locked at once and an interrupted run carries on. Not atomic.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    from bankbuzz.cardmask import mask_stored_rows

    mask_stored_rows(
        apps.get_model("audit", "LegalHold"), text_fields=("object_repr", "reason", "lift_reason")
    )
    mask_stored_rows(apps.get_model("audit", "ErasureRequest"), text_fields=("handle", "reference"))


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("audit", "0005_card_masked_fields")]

    # Backwards leaves the masked rows as they are: card numbers never go back in clear.
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
