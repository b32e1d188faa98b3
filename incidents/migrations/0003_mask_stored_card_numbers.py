"""Card numbers typed into incidents before these fields masked them on write: masked.

Status posts and their decisions, the incidents' names, terms and reply texts, held reasons
and send errors.

Batches of their own transaction, walking the primary key (`bankbuzz.cardmask.mask_stored_rows`),
so a large table is never locked at once and an interrupted run carries on. Not atomic.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    from bankbuzz.cardmask import mask_stored_rows

    mask_stored_rows(apps.get_model("incidents", "Post"), text_fields=("text", "decision_comment"))
    mask_stored_rows(apps.get_model("incidents", "PostDelivery"), text_fields=("error",))
    mask_stored_rows(
        apps.get_model("incidents", "Incident"),
        text_fields=("name", "reply_text", "follow_up_text"),
        json_fields=("terms",),
    )
    mask_stored_rows(apps.get_model("incidents", "IncidentConversation"), text_fields=("held_reason",))


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("incidents", "0002_card_masked_fields")]

    # Backwards leaves the masked rows as they are: card numbers never go back in clear.
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
