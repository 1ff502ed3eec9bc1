"""``manage.py seed_demo``: load the Huai'an reference data and the demo programme (DESIGN §8.1)."""

from django.core.management.base import BaseCommand

from crm import reference
from crm.devdata.demo import DEMO_PASSWORD, demo_seed
from crm.models import Enterprise

DEMO_LOGINS = ("officer", "manager", "leader", "admin", "county_officer")


class Command(BaseCommand):
    help = "Load the reference data (regions, industry chains, qualifications, holidays) and the demo data. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the database holds any enterprise already (used by `make run`).",
        )

    def handle(self, *args, if_empty: bool = False, verbosity: int = 1, **options):
        if if_empty and Enterprise.objects.exists():
            self.stdout.write("Enterprises exist already; demo data not loaded (--if-empty).")
            return
        counts = demo_seed(verbosity=max(verbosity - 1, 0))
        reference.bump()  # some of its rows are written by bulk_create and update(), without signals
        width = max(len(name) for name in counts)
        self.stdout.write(f"{'model'.ljust(width)}  {'created':>7}  {'total':>7}")
        for name, row in counts.items():
            self.stdout.write(f"{name.ljust(width)}  {row['created']:>7}  {row['total']:>7}")
        created = sum(row["created"] for row in counts.values())
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready ({created} rows created).")
            + f" Logins (password {DEMO_PASSWORD}): {', '.join(DEMO_LOGINS)}"
        )
