"""Each conversation carries the ids of its tags (`tag_ids`), kept by PostgreSQL.

The list filtered by a tag walks the view's index in the sort's order; with the tags on the row
it tests each row it passes instead of probing the tag links once per row (at a million
conversations, 10 ms a page against 1-3 ms; docs/benchmarks.md).

The tag links (`inbox_conversation_tags`) stay the truth. Statement-level triggers on them
recompute `tag_ids` of the conversations a statement touched, whoever issues it: the inbox, the
admin, the API, a tag's deletion, a raw query. Each first locks those conversations in id order,
then reads the links in a statement of its own: in READ COMMITTED that statement sees the links
another transaction committed while this one waited, so two people tagging one conversation at
once both count. (Under REPEATABLE READ the lock raises a serialization failure instead.)

The column is not a field of the model: Django never writes it, so a conversation saved from a
stale instance (the admin's form) cannot put back old tags. `inbox.selectors.filters.HasTag`
reads it. TRUNCATE is not covered; it empties the conversations with their links.

The backfill walks the conversations that have tags in batches of its own transaction.
"""

from django.db import migrations

FORWARD = """
ALTER TABLE inbox_conversation ADD COLUMN IF NOT EXISTS tag_ids bigint[] NOT NULL DEFAULT '{}';

CREATE OR REPLACE FUNCTION inbox_conversation_tag_ids_sync() RETURNS trigger AS $$
DECLARE
    touched bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT conversation_id) INTO touched FROM added;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(DISTINCT conversation_id) INTO touched FROM removed;
    ELSE
        SELECT array_agg(DISTINCT u.conversation_id) INTO touched
        FROM (SELECT conversation_id FROM added UNION SELECT conversation_id FROM removed) u;
    END IF;
    IF touched IS NULL THEN
        RETURN NULL;
    END IF;
    PERFORM 1 FROM inbox_conversation c WHERE c.id = ANY (touched) ORDER BY c.id FOR UPDATE;
    UPDATE inbox_conversation c
    SET tag_ids = coalesce(
        (SELECT array_agg(t.tag_id ORDER BY t.tag_id)
         FROM inbox_conversation_tags t WHERE t.conversation_id = c.id),
        '{}'
    )
    WHERE c.id = ANY (touched);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS inbox_conversation_tags_added ON inbox_conversation_tags;
CREATE TRIGGER inbox_conversation_tags_added
    AFTER INSERT ON inbox_conversation_tags
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION inbox_conversation_tag_ids_sync();
DROP TRIGGER IF EXISTS inbox_conversation_tags_removed ON inbox_conversation_tags;
CREATE TRIGGER inbox_conversation_tags_removed
    AFTER DELETE ON inbox_conversation_tags
    REFERENCING OLD TABLE AS removed
    FOR EACH STATEMENT EXECUTE FUNCTION inbox_conversation_tag_ids_sync();
DROP TRIGGER IF EXISTS inbox_conversation_tags_changed ON inbox_conversation_tags;
CREATE TRIGGER inbox_conversation_tags_changed
    AFTER UPDATE ON inbox_conversation_tags
    REFERENCING OLD TABLE AS removed NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION inbox_conversation_tag_ids_sync();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS inbox_conversation_tags_added ON inbox_conversation_tags;
DROP TRIGGER IF EXISTS inbox_conversation_tags_removed ON inbox_conversation_tags;
DROP TRIGGER IF EXISTS inbox_conversation_tags_changed ON inbox_conversation_tags;
DROP FUNCTION IF EXISTS inbox_conversation_tag_ids_sync();
ALTER TABLE inbox_conversation DROP COLUMN IF EXISTS tag_ids;
"""

BATCH = 5000


def backfill(apps, schema_editor):
    """The tags of the conversations tagged before the triggers, a batch at a time: the batch is
    locked first and read in a statement of its own, as the triggers do."""
    from django.db import transaction

    connection = schema_editor.connection
    after = 0
    while True:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT c.id FROM inbox_conversation c
                WHERE c.id IN (
                    SELECT DISTINCT conversation_id FROM inbox_conversation_tags
                    WHERE conversation_id > %s ORDER BY conversation_id LIMIT %s
                )
                ORDER BY c.id FOR UPDATE
                """,
                [after, BATCH],
            )
            batch = [row[0] for row in cursor.fetchall()]
            if not batch:
                return
            cursor.execute(
                """
                UPDATE inbox_conversation c
                SET tag_ids = coalesce(
                    (SELECT array_agg(t.tag_id ORDER BY t.tag_id)
                     FROM inbox_conversation_tags t WHERE t.conversation_id = c.id),
                    '{}'
                )
                WHERE c.id = ANY (%s)
                """,
                [batch],
            )
        after = batch[-1]


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("inbox", "0022_mask_stored_card_numbers")]

    operations = [
        migrations.RunSQL(FORWARD, BACKWARD),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
