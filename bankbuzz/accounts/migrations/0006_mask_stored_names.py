"""Card numbers in staff names stored before the names masked them on write: masked.

Batches of their own transaction, walking the primary key (`bankbuzz.cardmask.mask_stored_rows`),
so a large table is never locked at once and an interrupted run carries on. Not atomic.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    from bankbuzz.cardmask import mask_stored_rows

    mask_stored_rows(apps.get_model("accounts", "User"), text_fields=("first_name", "last_name"))


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("accounts", "0005_card_masked_names")]

    # Backwards leaves the masked rows as they are: card numbers never go back in clear.
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
