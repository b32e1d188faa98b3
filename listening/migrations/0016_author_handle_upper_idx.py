from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models
from django.db.models.functions import Upper


class Migration(migrations.Migration):
    # Built concurrently: a bank's author table has millions of rows, and ingest writes to it.
    atomic = False

    dependencies = [
        ("listening", "0015_verbose_name_plural"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="author",
            index=models.Index(Upper("handle"), "network", name="author_handle_upper_idx"),
        ),
    ]
