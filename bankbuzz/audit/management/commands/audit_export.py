"""`manage.py audit_export --start 2026-01-01 --end 2026-01-31 --format jsonl > file`: as the page does."""

from __future__ import annotations

import datetime as dt
import shutil
import sys

from django.core.management.base import BaseCommand, CommandError

from bankbuzz.audit.export import FORMATS
from bankbuzz.audit.services import audit_export


class Command(BaseCommand):
    help = "Export the audit log of a date range (whole days, both included) with its hash chain."

    def add_arguments(self, parser):
        parser.add_argument("--start", type=dt.date.fromisoformat, required=True)
        parser.add_argument("--end", type=dt.date.fromisoformat, required=True)
        parser.add_argument("--format", choices=FORMATS, default="jsonl")
        parser.add_argument("--output", "-o", help="A file; standard output by default.")

    def handle(self, *args, start, end, format, output, **options):
        try:
            out, trailer = audit_export(actor=None, start=start, end=end, fmt=format)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if output:
            with open(output, "wb") as target:
                shutil.copyfileobj(out, target)
        else:
            shutil.copyfileobj(out, sys.stdout.buffer)
        self.stderr.write(f"{trailer.rows} rows, head hash {trailer.head}")
