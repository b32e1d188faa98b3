from django.core.management.base import BaseCommand

from inbox.splitting import split_merged_conversations


class Command(BaseCommand):
    help = (
        "Give every customer their own conversation where a public thread was merged into one "
        "(idempotent; migration inbox.0008 runs it once)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch", type=int, default=5000, help="Messages or conversations per transaction."
        )

    def handle(self, *args, batch: int, **options):
        if batch < 1:
            self.stderr.write("--batch must be at least 1")
            raise SystemExit(2)
        report = split_merged_conversations(batch=batch)
        self.stdout.write(
            f"{report.messages_rekeyed} messages rekeyed, "
            f"{report.conversations_rekeyed} conversations rekeyed, "
            f"{len(report.conversations_opened)} conversations opened for other customers, "
            f"{report.conversations_recounted} recounted."
        )
