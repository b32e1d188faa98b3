"""Check the audit log or an export of it; exits 0 when intact, 1 with the reason if not.

manage.py audit_verify                          # the database's log, from the genesis
manage.py audit_verify FILE                     # an export (CSV or JSON lines)
manage.py audit_verify [FILE] --checkpoints P   # also against the signed checkpoints in P
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from bankbuzz.audit import chain
from bankbuzz.audit.export import Trailer, VerifyError, read_text
from bankbuzz.audit.services import audit_export_recorded


class Command(BaseCommand):
    help = (
        "Verify the audit log's sequence and chain (no FILE), or an export's hash chain, that it "
        "was exported here and that it starts at the genesis or at a recorded checkpoint."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, nargs="?")
        parser.add_argument(
            "--offline",
            action="store_true",
            help="Check an export without this database: its chain, and the checkpoints given.",
        )
        parser.add_argument(
            "--checkpoints",
            type=Path,
            help="A file or directory of signed checkpoints (AUDIT_CHECKPOINT_SINK) to check against.",
        )

    def handle(self, *args, file: Path | None, offline: bool, checkpoints: Path | None, **options):
        key = settings.AUDIT_CHECKPOINT_KEY
        try:
            given = chain.read_checkpoints(checkpoints, key) if checkpoints else []
        except chain.LogProblem as exc:
            raise CommandError(f"FAILED: {exc}") from None
        if file is None:
            if offline:
                raise CommandError("--offline needs an export FILE: the log itself is in the database")
            self._verify_log(given)
        else:
            self._verify_file(file, offline, given)

    def _verify_log(self, given: list[chain.Checkpoint]) -> None:
        try:
            report = chain.verify_log(given)
        except chain.LogProblem as exc:
            raise CommandError(f"audit log: FAILED: {exc}") from None
        self.stdout.write(
            f"audit log: OK: events 1 to {report.last} without a gap from the genesis, "
            f"head {report.head[:16]}…, {report.matched} checkpoints matched"
        )

    def _verify_file(self, file: Path, offline: bool, given: list[chain.Checkpoint]) -> None:
        try:
            text = file.read_bytes().decode("utf-8")
        except OSError as exc:
            raise CommandError(f"{file}: {exc.strerror}") from None
        except UnicodeDecodeError as exc:
            raise CommandError(
                f"{file}: FAILED: byte {exc.start} is not UTF-8: the file was changed"
            ) from None
        try:
            rows, trailer = read_text(text)
        except VerifyError as exc:
            raise CommandError(f"{file}: FAILED: {exc}") from None
        summary = f"{trailer.rows} rows from {trailer.start} to {trailer.end}, head {trailer.head[:16]}…"
        try:
            known = given if offline else [*given, *chain.recorded_checkpoints(settings.AUDIT_CHECKPOINT_KEY)]
            summary += self._against_log(rows, trailer, chain.by_seq(known))
        except chain.LogProblem as exc:
            raise CommandError(f"{file}: FAILED: {exc}") from None
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

    @staticmethod
    def _against_log(rows: list[dict[str, str]], trailer: Trailer, known: dict) -> str:
        """Chain the rows onto the genesis or a recorded checkpoint; a gap or restart fails."""
        if not rows:
            return ""
        if not trailer.log_prev:
            return "; made before the log was numbered, so its place in the log is not checked"
        first = int(rows[0]["seq"]) if rows[0]["seq"].isdigit() else 0
        if first == 1:
            chain.check_genesis(rows[0])
            anchor = "the genesis"
            if trailer.log_prev != chain.LOG_GENESIS:
                raise chain.LogProblem("the export starts at event 1 but not at the genesis head")
        else:
            matches = [c for c in known.get(first - 1, ()) if c.head == trailer.log_prev]
            if not matches:
                raise chain.LogProblem(
                    f"the export starts at event {rows[0]['seq']}, after neither the genesis nor a recorded "
                    "checkpoint: events before it may have been wiped (give --checkpoints)"
                )
            anchor = f"the checkpoint at event {first - 1} ({matches[0].source})"
        last, _, matched = chain.fold(rows, expected=first, prev=trailer.log_prev, checkpoints=known)
        return f"; events {first} to {last} without a gap from {anchor}, {matched} more checkpoints matched"
