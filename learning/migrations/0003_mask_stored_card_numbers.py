"""Card numbers typed into the library before these fields masked them on write: masked.

Advice articles, proposed answers and their decisions, saved replies' edits and versions.

Batches of their own transaction, walking the primary key (`bankbuzz.cardmask.mask_stored_rows`),
so a large table is never locked at once and an interrupted run carries on. Not atomic.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    from bankbuzz.cardmask import mask_stored_rows

    mask_stored_rows(
        apps.get_model("learning", "AdviceArticle"), text_fields=("title", "summary"), json_fields=("topics",)
    )
    mask_stored_rows(
        apps.get_model("learning", "LibraryProposal"),
        text_fields=("title", "body", "decision_comment"),
        json_fields=("tags", "guard_findings"),
    )
    mask_stored_rows(apps.get_model("learning", "SavedReplyEdit"), text_fields=("base_body", "text"))
    mask_stored_rows(apps.get_model("learning", "SavedReplyVersion"), text_fields=("body",))


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("learning", "0002_card_masked_fields")]

    # Backwards leaves the masked rows as they are: card numbers never go back in clear.
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
