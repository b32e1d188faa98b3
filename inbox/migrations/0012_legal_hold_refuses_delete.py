"""A legal hold holds in PostgreSQL too: DELETE of a held conversation's rows (the conversation,
its messages, notes, events and replies) or of a held person's rows (their profile and their
messages) is refused, whoever issues it: the admin, a shell, a raw query, a bug in retention.

Statement-level AFTER triggers with transition tables: one check per statement, not per row,
so retention deleting a batch of thousands of unheld rows pays one indexed lookup; when no hold
is in force at all the check is a single probe of the partial index. Retention and erasure
already leave held rows alone, so they never meet the error. TRUNCATE is not a row delete and
is not covered (the application's role may not TRUNCATE in production).

The holds live in the audit app (a content type and an object id); the tables here belong to
inbox and listening, so the triggers are this app's, which depends on both.
"""

from django.db import migrations

HELD = """
CREATE OR REPLACE FUNCTION legal_hold_ids(app text, model text) RETURNS SETOF bigint AS $$
    SELECT h.object_id::bigint FROM audit_legalhold h
    JOIN django_content_type ct ON ct.id = h.content_type_id
    WHERE h.lifted_at IS NULL AND ct.app_label = app AND ct.model = model
$$ LANGUAGE sql STABLE;

CREATE OR REPLACE FUNCTION legal_hold_refuse_delete() RETURNS trigger AS $$
DECLARE
    held bigint;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM audit_legalhold WHERE lifted_at IS NULL) THEN
        RETURN NULL;
    END IF;
    IF TG_TABLE_NAME = 'inbox_conversation' THEN
        SELECT g.id INTO held FROM gone g
        WHERE g.id IN (SELECT legal_hold_ids('inbox', 'conversation')) LIMIT 1;
    ELSIF TG_TABLE_NAME = 'listening_author' THEN
        SELECT g.id INTO held FROM gone g
        WHERE g.id IN (SELECT legal_hold_ids('listening', 'author')) LIMIT 1;
    ELSIF TG_TABLE_NAME = 'listening_mention' THEN
        SELECT g.id INTO held FROM gone g
        WHERE g.author_id IN (SELECT legal_hold_ids('listening', 'author'))
           OR EXISTS (
               SELECT 1 FROM inbox_conversation c
               WHERE c.network = g.network AND c.thread_key = g.thread_key
                 AND c.id IN (SELECT legal_hold_ids('inbox', 'conversation'))
           )
        LIMIT 1;
    ELSE
        -- inbox_note, inbox_conversationevent, inbox_reply: rows of one conversation.
        SELECT g.id INTO held FROM gone g
        WHERE g.conversation_id IN (SELECT legal_hold_ids('inbox', 'conversation')) LIMIT 1;
    END IF;
    IF held IS NOT NULL THEN
        RAISE EXCEPTION 'legal hold: % row % is under a legal hold and may not be deleted',
            TG_TABLE_NAME, held
            USING ERRCODE = 'restrict_violation',
                  HINT = 'Lift the hold (Legal holds, with a reason) before the row can be deleted.';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""

TABLES = (
    "inbox_conversation",
    "inbox_note",
    "inbox_conversationevent",
    "inbox_reply",
    "listening_mention",
    "listening_author",
)

FORWARD = HELD + "".join(
    f"""
CREATE TRIGGER {table}_legal_hold
    AFTER DELETE ON {table}
    REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION legal_hold_refuse_delete();
"""
    for table in TABLES
)

BACKWARD = "".join(f"DROP TRIGGER IF EXISTS {table}_legal_hold ON {table};\n" for table in TABLES) + """
DROP FUNCTION IF EXISTS legal_hold_refuse_delete();
DROP FUNCTION IF EXISTS legal_hold_ids(text, text);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("inbox", "0011_reply_dispatched_at"),
        ("listening", "0010_author_avatar"),
        ("audit", "0003_retention_holds_erasure"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
