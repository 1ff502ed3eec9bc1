"""``manage.py answer_workdays [--check | --fill]``: the needs' stored working days to answer
(``Need.answer_workdays``, ``answer_workdays_assigned``).

``--check`` (the default) compares every stored value with the working-day calendar computed in Python and exits
with status 1 on a difference; ``--fill`` recomputes them all in SQL (``needs_answer_workdays_fill``), e.g. after
rows were written outside the need services.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from crm.selectors.needs import answer_workdays_mismatches
from crm.services.needs import needs_answer_workdays_fill

SHOWN = 20


class Command(BaseCommand):
    help = "Check (default) or --fill the needs' stored working days to answer against the holiday calendar."

    def add_arguments(self, parser):
        parser.add_argument("--fill", action="store_true", help="Recompute every stored value first.")
        parser.add_argument("--check", action="store_true", help="Compare the stored values (the default).")

    def handle(self, *args, fill=False, check=False, **options):
        if fill:
            with transaction.atomic():
                needs_answer_workdays_fill()
            self.stdout.write("Stored working days to answer recomputed.")
            if not check:
                return
        wrong = answer_workdays_mismatches()
        for pk, name, stored, computed in wrong[:SHOWN]:
            self.stdout.write(f"need {pk}: {name} stored {stored}, calendar {computed}")
        if wrong:
            raise CommandError(f"{len(wrong)} stored working days differ from the calendar.")
        self.stdout.write("Every stored working day count equals the calendar's.")
