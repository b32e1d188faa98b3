"""Card numbers in the handles and names of the bank's accounts, stored before these fields
masked them on write (an edit in the admin): masked. Authors' profiles were masked by 0009, and
the polls mask them before they store them.

Batches of their own transaction, walking the primary key (`bankbuzz.cardmask.mask_stored_rows`),
so a large table is never locked at once and an interrupted run carries on. Not atomic.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    from bankbuzz.cardmask import mask_stored_rows

    mask_stored_rows(apps.get_model("listening", "SocialAccount"), text_fields=("handle", "name"))


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("listening", "0019_card_masked_names")]

    # Backwards leaves the masked rows as they are: card numbers never go back in clear.
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
