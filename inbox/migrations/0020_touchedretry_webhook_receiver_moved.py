"""The webhook receiver of `conversations_touched` moved from the API package to the inbox.

Retries still waiting under its old name are renamed, so the sweep calls the receiver again
instead of dropping them as unknown.
"""

from django.db import migrations

OLD = "bankbuzz.api.receivers.on_conversations_touched"
NEW = "inbox.receivers.on_conversations_touched"


def forwards(apps, schema_editor):
    apps.get_model("inbox", "TouchedRetry").objects.filter(receiver=OLD).update(receiver=NEW)


def backwards(apps, schema_editor):
    apps.get_model("inbox", "TouchedRetry").objects.filter(receiver=NEW).update(receiver=OLD)


class Migration(migrations.Migration):
    dependencies = [("inbox", "0019_conversationevent_complaint")]

    operations = [migrations.RunPython(forwards, backwards)]
