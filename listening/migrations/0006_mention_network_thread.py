from django.db import migrations, models


class Migration(migrations.Migration):
    # A constant default: PostgreSQL adds the column without rewriting the table.
    dependencies = [
        ("listening", "0005_mention_thanks_idx"),
    ]

    operations = [
        migrations.AddField(
            model_name="mention",
            name="network_thread",
            field=models.CharField(blank=True, default="", max_length=160),
        ),
    ]
