"""Card numbers stored before these fields masked them on write: masked.

The names people gave tokens and webhooks, the webhook deliveries' payloads and logs (which
carry an escalation's question, a note, ...) and the API responses kept for idempotent retries.

Batches of their own transaction, walking the primary key (`bankbuzz.cardmask.mask_stored_rows`),
so a large table is never locked at once and an interrupted run carries on. Not atomic.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    from bankbuzz.cardmask import mask_stored_rows

    mask_stored_rows(apps.get_model("api", "ApiToken"), text_fields=("name",))
    mask_stored_rows(apps.get_model("api", "WebhookEndpoint"), text_fields=("name",))
    mask_stored_rows(apps.get_model("api", "WebhookDelivery"), json_fields=("payload", "log"))
    mask_stored_rows(apps.get_model("api", "IdempotencyKey"), json_fields=("response",))


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("api", "0004_card_masked_fields")]

    # Backwards leaves the masked rows as they are: card numbers never go back in clear.
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
