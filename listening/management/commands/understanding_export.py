"""`manage.py understanding_export [--since YYYY-MM-DD] [--output FILE]`: agents' label corrections as
JSON lines, for `python -m listening.enrichment.train --extra FILE`."""

from __future__ import annotations

import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from listening.selectors import label_corrections_for_training


class Command(BaseCommand):
    help = "Write agents' label corrections as JSON lines (masked text) for the next training run."

    def add_arguments(self, parser):
        parser.add_argument("--since", help="only corrections made on or after this date (YYYY-MM-DD)")
        parser.add_argument("--output", help="file to write (default: standard output)")

    def handle(self, *args, since=None, output=None, **options):
        start = None
        if since:
            try:
                start = timezone.make_aware(dt.datetime.combine(dt.date.fromisoformat(since), dt.time()))
            except ValueError:
                raise CommandError(f"--since must be a date such as 2026-01-31, not {since!r}") from None
        rows = label_corrections_for_training(since=start)
        lines = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
        if output:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(lines)
            self.stderr.write(f"Wrote {len(rows)} corrected message(s) to {output}.")
        else:
            self.stdout.write(lines, ending="")
