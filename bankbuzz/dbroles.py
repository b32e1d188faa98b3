"""The two PostgreSQL roles: the owner (migrations) and the application's role (everything else).

The owner owns every table, so only it can change the schema. The application's role gets,
after every `manage.py migrate`, exactly the privileges below: read and write on the tables,
but only INSERT and SELECT on the audit log, SELECT on its counter, no TRUNCATE anywhere and
no CREATE in the schema. A grant step after each migrate, rather than ALTER DEFAULT
PRIVILEGES, because default privileges would hand a new append-only table UPDATE and DELETE
like any other, apply only to tables the granting role creates, and do nothing for tables
that existed before the role did; the step is idempotent and takes a second.

Imports nothing from Django, so that `bankbuzz.devstack`, which runs before Django is set up,
creates the role the same way (docker's `scripts/postgres-init/10-app-role.sh` does it in psql).
"""

from __future__ import annotations

# Tables the application may only append to and read.
APPEND_ONLY = ("audit_auditevent",)
# Written only by the audit trigger (SECURITY DEFINER, as the owner).
READ_ONLY = ("audit_auditsequence",)


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def create_role_sql(role: str, password: str | None) -> str:
    """Create the application's login role if it is missing; safe when two runs race.

    A role belongs to the whole server, so two databases on one server may share it.
    """
    secret = f"PASSWORD {quote_literal(password)}" if password else ""
    # Every name and value below goes through quote_ident / quote_literal.
    return f"""
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = {quote_literal(role)}) THEN
        CREATE ROLE {quote_ident(role)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;  -- created meanwhile by another run
END
$$;
ALTER ROLE {quote_ident(role)} NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS {secret};
"""  # noqa: S608


def grant_sql(role: str, database: str) -> str:
    """Give the application's role exactly its privileges on every table that exists now."""
    r = quote_ident(role)
    lines = [
        f"GRANT CONNECT ON DATABASE {quote_ident(database)} TO {r};",
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC;",
        f"REVOKE CREATE ON SCHEMA public FROM {r};",
        f"GRANT USAGE ON SCHEMA public TO {r};",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {r};",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {r};",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {r};",
    ]
    # Conditional: a migrate to an earlier state may have removed these tables.
    for tables, privileges in ((APPEND_ONLY, "UPDATE, DELETE"), (READ_ONLY, "INSERT, UPDATE, DELETE")):
        for table in tables:
            lines.append(
                f"DO $$ BEGIN IF to_regclass({quote_literal(table)}) IS NOT NULL THEN "
                f"REVOKE {privileges} ON {quote_ident(table)} FROM {r}; END IF; END $$;"
            )
    return "\n".join(lines)
