from django.db import migrations, models


class Migration(migrations.Migration):
    """The specialist queue's order (soonest deadline first) from an index over active escalations."""

    dependencies = [
        ("escalations", "0001_initial"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="escalation",
            index=models.Index(
                condition=models.Q(("state__in", ["open", "waiting_agent"])),
                fields=["due_at", "id"],
                name="esc_active_due_idx",
            ),
        ),
    ]
