from django.db import migrations, models


def split(apps, schema_editor):
    # The split goes through the inbox's own attach path (events and audit included), so it uses
    # the application's models as they are now, not the historical ones. It is idempotent and
    # batched; `manage.py conversations_split` runs the same again.
    from inbox.splitting import split_merged_conversations

    split_merged_conversations()


class Migration(migrations.Migration):
    # One transaction per batch, not one for the whole table.
    atomic = False

    dependencies = [
        ("inbox", "0007_conversation_received_cover_idx"),
        ("listening", "0007_mention_network_thread_idx"),
    ]

    operations = [
        migrations.AlterField(
            model_name="conversationevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("opened", "Opened"),
                    ("message", "Customer message"),
                    ("reply", "Reply"),
                    ("reopened", "Reopened"),
                    ("status", "Status"),
                    ("assigned", "Assignment"),
                    ("priority", "Priority"),
                    ("tagged", "Tag added"),
                    ("untagged", "Tag removed"),
                    ("note", "Note"),
                    ("escalation", "Escalation"),
                    ("reply_queued", "Reply on its way"),
                    ("outbox", "Outbox"),
                    ("hidden", "Comment hidden"),
                    ("split", "Moved to its own conversation"),
                ],
                max_length=16,
            ),
        ),
        migrations.RunPython(split, migrations.RunPython.noop),
    ]
