"""Recount the dashboard's tallies from the needs and put back the triggers that keep them (after a restore, or a
migration that rebuilt the needs' table on SQLite)."""

from django.core.management.base import BaseCommand

from crm.services.tallies import tallies_rebuild


class Command(BaseCommand):
    help = "Recount the dashboard's answer tallies from the needs and recreate the triggers that keep them."

    def handle(self, *args, **options):
        rows = tallies_rebuild()
        self.stdout.write(f"{rows} tally row(s)")
