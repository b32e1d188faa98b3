"""Card numbers typed into escalations before these fields masked them on write: masked.

Questions, the experts' requests for information, answers and proposed replies, the
escalations' events, and the names and descriptions of departments, holidays and rules.

Batches of their own transaction, walking the primary key (`bankbuzz.cardmask.mask_stored_rows`),
so a large table is never locked at once and an interrupted run carries on. Not atomic.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    from bankbuzz.cardmask import mask_stored_rows

    mask_stored_rows(apps.get_model("escalations", "Department"), text_fields=("name", "description"))
    mask_stored_rows(apps.get_model("escalations", "Holiday"), text_fields=("name",))
    mask_stored_rows(apps.get_model("escalations", "RoutingRule"), text_fields=("name", "phrases"))
    mask_stored_rows(
        apps.get_model("escalations", "Escalation"),
        text_fields=("question", "info_request", "answer", "proposed_reply"),
    )
    mask_stored_rows(
        apps.get_model("escalations", "EscalationEvent"), text_fields=("text",), json_fields=("data",)
    )


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("escalations", "0007_card_masked_fields")]

    # Backwards leaves the masked rows as they are: card numbers never go back in clear.
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
