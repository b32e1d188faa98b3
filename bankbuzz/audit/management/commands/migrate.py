"""`manage.py migrate` as the schema's owner, then the application's role gets its privileges.

With DATABASE_OWNER_URL set, the migrations run as that role (the application's own role,
DATABASE_URL's, cannot change the schema), and afterwards the grant step of
`bankbuzz.dbroles` gives DATABASE_URL's role its privileges on every table, new ones included.
Unset, this is Django's migrate unchanged (one role, e.g. a test database).
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import CommandError
from django.core.management.commands.migrate import Command as DjangoMigrate
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from bankbuzz import dbroles


class Command(DjangoMigrate):
    # execute, not handle: the system checks before handle already connect.
    def execute(self, *args, **options):
        owner = getattr(settings, "DATABASE_OWNER", None)
        alias = options.get("database") or DEFAULT_DB_ALIAS
        if owner is None or alias != DEFAULT_DB_ALIAS:
            return super().execute(*args, **options)
        connection = connections[alias]
        app_settings = dict(connection.settings_dict)
        connection.close()
        connection.settings_dict.update({"USER": owner["USER"], "PASSWORD": owner.get("PASSWORD", "")})
        try:
            output = super().execute(*args, **options)
            if options.get("plan") or options.get("check_unapplied"):
                return output  # nothing was migrated
            with transaction.atomic(using=alias), connection.cursor() as cursor:
                cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [app_settings["USER"]])
                if cursor.fetchone() is None:
                    raise CommandError(
                        f"the application's role {app_settings['USER']!r} (DATABASE_URL) does not exist: "
                        "create it (README, Operations: database roles), then run migrate again"
                    )
                cursor.execute(dbroles.grant_sql(app_settings["USER"], app_settings["NAME"]))
            if options.get("verbosity", 1) >= 1:
                self.stdout.write(f"Granted the application's role {app_settings['USER']!r} its privileges.")
            return output
        finally:
            connection.close()
            connection.settings_dict.update(
                {"USER": app_settings["USER"], "PASSWORD": app_settings["PASSWORD"]}
            )
