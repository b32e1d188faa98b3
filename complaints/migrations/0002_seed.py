from django.db import migrations


def forwards(apps, schema_editor):
    from complaints.seed import seed

    seed(
        Regime=apps.get_model("complaints", "ComplaintRegime"),
        Category=apps.get_model("complaints", "Category"),
        Holiday=apps.get_model("complaints", "BankHoliday"),
        SavedReply=apps.get_model("inbox", "SavedReply"),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0001_initial"),
        ("inbox", "0015_conversation_sentiment_confidence"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
