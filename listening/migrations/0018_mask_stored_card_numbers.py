"""Card numbers typed into listening queries before these fields masked them on write: masked.

Batches of their own transaction, walking the primary key (`bankbuzz.cardmask.mask_stored_rows`),
so a large table is never locked at once and an interrupted run carries on. Not atomic.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    from bankbuzz.cardmask import mask_stored_rows

    mask_stored_rows(apps.get_model("listening", "ListeningQuery"), text_fields=("name", "text"))


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("listening", "0017_card_masked_fields")]

    # Backwards leaves the masked rows as they are: card numbers never go back in clear.
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
