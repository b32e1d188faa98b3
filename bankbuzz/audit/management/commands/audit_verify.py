"""Check an audit export: `manage.py audit_verify FILE` exits 0 when intact, 1 with the reason if not."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from bankbuzz.audit.export import VerifyError, verify_text
from bankbuzz.audit.services import audit_export_recorded


class Command(BaseCommand):
    help = "Verify the hash chain of an audit export (CSV or JSON lines) and that it was exported here."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--offline",
            action="store_true",
            help="Check the chain only, without looking the export up in this database's audit log.",
        )

    def handle(self, *args, file: Path, offline: bool, **options):
        try:
            text = file.read_bytes().decode("utf-8")
        except OSError as exc:
            raise CommandError(f"{file}: {exc.strerror}") from None
        except UnicodeDecodeError as exc:
            raise CommandError(
                f"{file}: FAILED: byte {exc.start} is not UTF-8: the file was changed"
            ) from None
        try:
            trailer = verify_text(text)
        except VerifyError as exc:
            raise CommandError(f"{file}: FAILED: {exc}") from None
        summary = f"{trailer.rows} rows from {trailer.start} to {trailer.end}, head {trailer.head[:16]}…"
        if not offline:
            recorded = audit_export_recorded(trailer.head)
            if recorded is None:
                raise CommandError(
                    f"{file}: FAILED: the chain holds ({summary}) but no export with this head hash is in "
                    "this audit log: the file may have been rewritten and rehashed (use --offline to check "
                    "only the chain, e.g. on another machine)"
                )
            summary += f"; exported by {recorded.actor_label} at {recorded.at:%Y-%m-%d %H:%M:%S %Z}"
        self.stdout.write(f"{file}: OK: {summary}")
