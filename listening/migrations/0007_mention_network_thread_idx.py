from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    # Built concurrently: ingest keeps writing mentions meanwhile.
    atomic = False

    dependencies = [
        ("listening", "0006_mention_network_thread"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="mention",
            index=models.Index(
                condition=models.Q(("network_thread", ""), _negated=True),
                fields=["network", "network_thread", "created_at"],
                name="mention_network_thread_idx",
            ),
        ),
    ]
