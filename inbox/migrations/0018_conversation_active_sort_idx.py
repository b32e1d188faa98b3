from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    # Built concurrently: the conversations table is the largest the inbox writes to.
    atomic = False

    dependencies = [
        ("inbox", "0017_touchedretry"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="conversation",
            index=models.Index(
                condition=models.Q(("status__in", ["new", "open", "waiting_customer", "waiting_expert"])),
                fields=["last_inbound_at", "id"],
                name="conv_active_waiting_idx",
            ),
        ),
        AddIndexConcurrently(
            model_name="conversation",
            index=models.Index(
                condition=models.Q(("status__in", ["new", "open", "waiting_customer", "waiting_expert"])),
                fields=["-last_activity_at", "-id"],
                name="conv_active_newest_idx",
            ),
        ),
    ]
