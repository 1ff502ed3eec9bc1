"""Delete spreadsheet uploads kept for preview/confirm once they are older than a few days (daily cron)."""

from django.core.management.base import BaseCommand

from crm.sheets.imports import import_jobs_purge


class Command(BaseCommand):
    help = "Delete uploaded spreadsheets (import jobs) older than --days days, with their files."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=7)

    def handle(self, *args, days: int, **options):
        deleted = import_jobs_purge(older_than_days=days)
        self.stdout.write(f"{deleted} import job(s) deleted")
