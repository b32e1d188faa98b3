"""Card numbers typed into complaints before these fields masked them on write: masked.

Summaries, letters and final responses, dismissal reasons, vulnerability notes, the notices
and regime snapshots, and the names and descriptions of regimes, categories and holidays.

Batches of their own transaction, walking the primary key (`bankbuzz.cardmask.mask_stored_rows`),
so a large table is never locked at once and an interrupted run carries on. Not atomic.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    from bankbuzz.cardmask import mask_stored_rows

    mask_stored_rows(apps.get_model("complaints", "BankHoliday"), text_fields=("name",))
    mask_stored_rows(apps.get_model("complaints", "ComplaintRegime"), text_fields=("name", "description"))
    mask_stored_rows(apps.get_model("complaints", "Category"), text_fields=("name", "group"))
    mask_stored_rows(
        apps.get_model("complaints", "Complaint"),
        text_fields=("summary",),
        json_fields=("regime_snapshot", "notices"),
    )
    mask_stored_rows(apps.get_model("complaints", "Dismissal"), text_fields=("reason",))
    mask_stored_rows(apps.get_model("complaints", "Letter"), text_fields=("text",))
    mask_stored_rows(apps.get_model("complaints", "Vulnerability"), text_fields=("note",))


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("complaints", "0004_card_masked_fields")]

    # Backwards leaves the masked rows as they are: card numbers never go back in clear.
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
