"""Card numbers typed in the inbox before these fields masked them on write: masked.

What 0010 masked (replies, notes, previews) is walked again with the fields added since:
the conversations' events, saved replies, tags, the overrides' findings and the send errors.

Batches of their own transaction, walking the primary key (`bankbuzz.cardmask.mask_stored_rows`),
so a large table is never locked at once and an interrupted run carries on. Not atomic.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    from bankbuzz.cardmask import mask_stored_rows

    mask_stored_rows(apps.get_model("inbox", "Tag"), text_fields=("name",))
    mask_stored_rows(
        apps.get_model("inbox", "ConversationEvent"), text_fields=("text",), json_fields=("data",)
    )
    mask_stored_rows(
        apps.get_model("inbox", "SavedReply"),
        text_fields=("title", "body", "shortcut"),
        json_fields=("tags",),
    )
    mask_stored_rows(
        apps.get_model("inbox", "Reply"),
        text_fields=("text", "error", "override_reason", "decision_comment"),
        json_fields=("override_findings",),
    )
    mask_stored_rows(apps.get_model("inbox", "Note"), text_fields=("text",))


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("inbox", "0021_card_masked_fields")]

    # Backwards leaves the masked rows as they are: card numbers never go back in clear.
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
