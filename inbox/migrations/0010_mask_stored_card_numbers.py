"""Card numbers in stored replies, notes and conversation previews: masked.

The guard now refuses a card number in every reply, so none is written any more; this masks
those written before (a reply's text, an override's reason, an approver's comment, a send
error), notes, the conversations' previews, and rebuilds the search index of the threads
whose messages `listening.0007` masked. Same batches as there; not atomic.
"""

from django.contrib.postgres.search import SearchVector
from django.db import migrations, transaction
from django.db.models import Value

BATCH = 500


def _mask_rows(model, fields):
    from listening.pan_vault import mask_cards

    last = 0
    while True:
        rows = list(model.objects.filter(pk__gt=last).order_by("pk").only("pk", *fields)[:BATCH])
        if not rows:
            return
        last = rows[-1].pk
        changed = []
        for row in rows:
            before = [getattr(row, f) for f in fields]
            for name in fields:
                setattr(row, name, mask_cards(getattr(row, name)))
            if [getattr(row, f) for f in fields] != before:
                changed.append(row)
        if changed:
            with transaction.atomic():
                model.objects.bulk_update(changed, list(fields))


def _reindex_masked_threads(apps):
    """As inbox.0003 (and `conversation_reindex`): the thread's masked text, latest 200 messages."""
    from listening.enrichment.stored import masked_text

    Conversation = apps.get_model("inbox", "Conversation")
    Mention = apps.get_model("listening", "Mention")
    MentionOriginal = apps.get_model("listening", "MentionOriginal")
    threads = set(
        Mention.objects.filter(pk__in=MentionOriginal.objects.values("mention_id")).values_list(
            "network", "thread_key"
        )
    )
    for network, thread_key in threads:
        conversation = (
            Conversation.objects.select_related("customer")
            .filter(network=network, thread_key=thread_key)
            .first()
        )
        if conversation is None:
            continue
        mentions = Mention.objects.filter(network=network, thread_key=thread_key).order_by("-created_at")[
            :200
        ]
        text = "\n".join(
            (masked_text(m.text, m.pii_findings) if m.has_pii else m.text)[:2000] for m in mentions
        )
        customer = conversation.customer
        who = f"{customer.handle} {customer.handle.replace('_', ' ')} {customer.name}"
        Conversation.objects.filter(pk=conversation.pk).update(
            search_vector=(
                SearchVector(Value(who), config="simple", weight="A")
                + SearchVector(Value(text), config="english", weight="B")
                + SearchVector(Value(text), config="simple", weight="C")
            ),
        )


def forwards(apps, schema_editor):
    _mask_rows(apps.get_model("inbox", "Reply"), ("text", "override_reason", "decision_comment", "error"))
    _mask_rows(apps.get_model("inbox", "Note"), ("text",))
    _mask_rows(apps.get_model("inbox", "Conversation"), ("preview",))
    _reindex_masked_threads(apps)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("inbox", "0009_customer_link"),
        ("listening", "0009_mask_stored_card_numbers"),
    ]

    # Backwards leaves the masked rows as they are: card numbers never go back in clear.
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
