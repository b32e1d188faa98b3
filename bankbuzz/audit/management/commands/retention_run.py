"""Run retention by hand: `manage.py retention_run [--dry-run] [--kind KEY ...]`."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from bankbuzz.audit import retention


class Command(BaseCommand):
    help = "Delete or anonymise what is due under the retention settings (as the nightly task does)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Count what is due; change nothing.")
        parser.add_argument(
            "--kind", action="append", default=[], help="Only this kind (repeatable); see --list."
        )
        parser.add_argument("--list", action="store_true", help="List the kinds and their settings.")
        parser.add_argument("--batch-size", type=int, default=None)

    def handle(self, *args, dry_run=False, kind=(), list=False, batch_size=None, **options):
        if list:
            for policy in retention.policies():
                k = policy.kind
                self.stdout.write(f"{k.key:34} {k.action:9} after {policy.days:5} days  {k.label}")
            return
        unknown = set(kind) - set(retention.registry.kinds)
        if unknown:
            raise CommandError(f"unknown kind(s): {', '.join(sorted(unknown))}; see --list")
        result = retention.retention_run(dry_run=dry_run, only=kind, batch_size=batch_size)
        if result.busy:
            raise CommandError("another retention run is going on; try again when it has finished")
        verb = "would be" if dry_run else "were"
        for key, outcome in result.kinds.items():
            action = retention.ACTIONS[outcome.action].lower()
            self.stdout.write(
                f"{key:34} {outcome.done:8} {verb} {action}, {outcome.held} kept by a legal hold "
                f"(older than {outcome.days} days)"
            )
        totals = result.as_json()["totals"]
        tail = "Dry run: nothing changed." if dry_run else "Recorded in the audit log (retention.run)."
        self.stdout.write(f"Total: {totals['done']} {verb} dealt with, {totals['held']} held. {tail}")
