"""Number audit events without a gap from a genesis event; refuse TRUNCATE to everyone.

Numbering: a deferred constraint trigger takes the next number from the one-row counter
`audit_auditsequence` when the inserting transaction commits. Updating the counter row in that
transaction makes the number transactional (a rollback returns it, so no hole) and its row
lock makes concurrent commits take turns (so no duplicate; `seq` is unique as well). Taking it
at commit rather than at insert keeps the lock for milliseconds and last in every
transaction's lock order, so a service that audits and then locks another row cannot
deadlock with one that does the opposite.

Existing events are numbered in the order they were written (time, then id) from 2; the
genesis event is number 1. From here on a client cannot choose a number: the insert trigger
clears it.

Append-only: UPDATE is refused except the numbering trigger's own (only `seq`, only from
empty); DELETE and TRUNCATE are refused for every role, superusers included, unless the
session has set `bankbuzz.audit_break_glass` to `on` (README, "Operations: break-glass"), and
then the act is written to the PostgreSQL server log. The application's role has neither the
TRUNCATE nor the DELETE privilege, so the setting gives it nothing.
"""

from django.db import migrations, models

NUMBER_EXISTING = """
ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_no_update_delete;
UPDATE audit_auditevent AS e SET seq = o.n
  FROM (SELECT id, row_number() OVER (ORDER BY at, id) + 1 AS n FROM audit_auditevent) AS o
 WHERE e.id = o.id;
ALTER TABLE audit_auditevent ENABLE TRIGGER audit_event_no_update_delete;
INSERT INTO audit_auditevent
    (seq, at, actor_label, verb, object_type, object_id, object_repr, after)
SELECT 1, coalesce(min(at), now()), 'system', 'audit.genesis', 'audit.log', '',
       'The audit log begins', jsonb_build_object('events_before_numbering', count(*))
  FROM audit_auditevent;
INSERT INTO audit_auditsequence (id, last) SELECT 1, max(seq) FROM audit_auditevent;
"""

FORWARD = """
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
    -- The numbering trigger's own update: only seq, only from empty.
    IF TG_OP = 'UPDATE' AND pg_trigger_depth() > 1 AND OLD.seq IS NULL AND NEW.seq IS NOT NULL
       AND to_jsonb(NEW) - 'seq' = to_jsonb(OLD) - 'seq' THEN
        RETURN NEW;
    END IF;
    IF TG_OP IN ('DELETE', 'TRUNCATE')
       AND coalesce(current_setting('bankbuzz.audit_break_glass', true), '') = 'on' THEN
        RAISE LOG 'audit break-glass: % on audit_auditevent by session user % (current user %)',
            TG_OP, session_user, current_user;
        RAISE WARNING 'audit break-glass: % on audit_auditevent; audit_verify will report the gap',
            TG_OP;
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'audit_auditevent is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION audit_event_unnumbered() RETURNS trigger AS $$
BEGIN
    NEW.seq := NULL;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

-- SECURITY DEFINER: the application's role may neither update events nor touch the counter.
CREATE OR REPLACE FUNCTION audit_event_number() RETURNS trigger
    SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    n bigint;
BEGIN
    INSERT INTO audit_auditsequence AS s (id, last) VALUES (1, 1)
        ON CONFLICT (id) DO UPDATE SET last = s.last + 1
        RETURNING s.last INTO n;
    UPDATE audit_auditevent SET seq = n WHERE id = NEW.id;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_event_unnumbered
    BEFORE INSERT ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_event_unnumbered();

CREATE CONSTRAINT TRIGGER audit_event_number
    AFTER INSERT ON audit_auditevent
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION audit_event_number();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS audit_event_number ON audit_auditevent;
DROP TRIGGER IF EXISTS audit_event_unnumbered ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_event_number();
DROP FUNCTION IF EXISTS audit_event_unnumbered();
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' AND (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'audit_auditevent is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_retention_holds_erasure")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="seq",
            field=models.BigIntegerField(blank=True, editable=False, null=True, unique=True),
        ),
        migrations.CreateModel(
            name="AuditSequence",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("last", models.BigIntegerField()),
            ],
        ),
        migrations.RunSQL(NUMBER_EXISTING, migrations.RunSQL.noop),
        migrations.RunSQL(FORWARD, BACKWARD),
    ]
