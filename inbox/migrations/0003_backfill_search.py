"""Fill the search columns of conversations that existed before search did.

The same rules as `inbox.services.conversation_reindex`: masked text only.
"""

from django.contrib.postgres.search import SearchVector
from django.db import migrations
from django.db.models import Value


def backfill(apps, schema_editor):
    from listening.enrichment.stored import masked_text

    Conversation = apps.get_model("inbox", "Conversation")
    Mention = apps.get_model("listening", "Mention")
    for conversation in Conversation.objects.select_related("customer").iterator(chunk_size=500):
        mentions = Mention.objects.filter(
            network=conversation.network, thread_key=conversation.thread_key
        ).order_by("-created_at")[:200]
        text = "\n".join(
            (masked_text(m.text, m.pii_findings) if m.has_pii else m.text)[:2000] for m in mentions
        )
        customer = conversation.customer
        who = f"{customer.handle} {customer.handle.replace('_', ' ')} {customer.name}"
        Conversation.objects.filter(pk=conversation.pk).update(
            search_handle=customer.handle.lower()[:100],
            search_vector=(
                SearchVector(Value(who), config="simple", weight="A")
                + SearchVector(Value(text), config="english", weight="B")
                + SearchVector(Value(text), config="simple", weight="C")
            ),
        )


class Migration(migrations.Migration):
    dependencies = [("inbox", "0002_tags_notes_events_search"), ("listening", "0001_initial")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
