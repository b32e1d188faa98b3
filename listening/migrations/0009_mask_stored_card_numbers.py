"""Card numbers stored before they were masked at ingest: mask them, seal the originals.

What ingest now does to every new message (see listening.pan_vault), done to what is stored:
the text, the payload and the earlier edits of each message, the names and handles of people,
the quarantined payloads. A message's original text is sealed under PAN_VAULT_KEYS first.

Batches of their own transaction (the migration is not atomic), walking the primary key, so a
large table is never locked at once and an interrupted run carries on: a masked row has no
card left to find.
"""

from django.db import migrations, transaction

BATCH = 500


def _batches(model, fields):
    last = 0
    while True:
        rows = list(model.objects.filter(pk__gt=last).order_by("pk").only("pk", *fields)[:BATCH])
        if not rows:
            return
        yield rows
        last = rows[-1].pk


def _mask_mentions(apps):
    from listening.pan_vault import mask_cards, mask_payload, seal

    Mention = apps.get_model("listening", "Mention")
    MentionOriginal = apps.get_model("listening", "MentionOriginal")
    for rows in _batches(Mention, ("text", "raw", "edit_history")):
        changed, originals = [], []
        for row in rows:
            text = mask_cards(row.text)
            raw = mask_payload(row.raw)
            history = [mask_cards(t) if isinstance(t, str) else t for t in row.edit_history or []]
            if (text, raw, history) == (row.text, row.raw, row.edit_history or []):
                continue
            if text != row.text:
                originals.append(MentionOriginal(mention_id=row.pk, sealed=seal(row.text)))
            row.text, row.raw, row.edit_history = text, raw, history
            changed.append(row)
        with transaction.atomic():
            MentionOriginal.objects.bulk_create(originals, ignore_conflicts=True)
            Mention.objects.bulk_update(changed, ["text", "raw", "edit_history"])


def _mask_rows(model, text_fields=(), json_fields=()):
    from listening.pan_vault import mask_cards, mask_payload

    for rows in _batches(model, (*text_fields, *json_fields)):
        changed = []
        for row in rows:
            before = [getattr(row, f) for f in (*text_fields, *json_fields)]
            for name in text_fields:
                setattr(row, name, mask_cards(getattr(row, name)))
            for name in json_fields:
                setattr(row, name, mask_payload(getattr(row, name)))
            if [getattr(row, f) for f in (*text_fields, *json_fields)] != before:
                changed.append(row)
        if changed:
            with transaction.atomic():
                model.objects.bulk_update(changed, [*text_fields, *json_fields])


def forwards(apps, schema_editor):
    _mask_mentions(apps)
    _mask_rows(apps.get_model("listening", "Author"), text_fields=("handle", "name"))
    _mask_rows(
        apps.get_model("listening", "QuarantinedItem"),
        text_fields=("reason",),
        json_fields=("raw", "context"),
    )


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("listening", "0008_mention_original_sealed_card_text")]

    # Backwards leaves the masked rows as they are: putting card numbers back in clear is
    # exactly what must never happen.
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
