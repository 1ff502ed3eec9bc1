"""Daily cron: raise the escalation notices of DESIGN §4.1 (and overdue action items).

Safe to run any number of times a day: each notice carries a ``dedupe_key`` unique per recipient, so a
second run creates nothing new. Add another reminder by appending a ``(label, function)`` pair to
``REMINDERS``; each function takes ``today`` and returns how many notices it created.
"""

import datetime as dt
from collections.abc import Callable

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date

from crm.services.lists import action_items_remind_overdue
from crm.services.needs import need_acceptance_reminders_send, need_digest_send, need_reminders_send
from crm.services.programmes import (
    annual_report_reminders_send,
    milestone_reminders_send,
    qualification_reminders_send,
)
from crm.services.reminders import cadence_reminders_send, plan_reminders_send

REMINDERS: list[tuple[str, Callable[..., int]]] = [
    ("needs", need_reminders_send),
    ("action items", action_items_remind_overdue),
    ("visit plans", plan_reminders_send),
    ("visit cadence", cadence_reminders_send),
    ("new needs digest", need_digest_send),
    ("needs not accepted in time", need_acceptance_reminders_send),
    ("qualifications expiring", qualification_reminders_send),
    ("high-tech enterprise annual reports", annual_report_reminders_send),
    ("project milestones overdue", milestone_reminders_send),
]


class Command(BaseCommand):
    help = "Send deadline warnings, overdue and supervision notices (run daily, e.g. from cron)."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Pretend today is this date (YYYY-MM-DD); for testing and catch-up runs.")

    def handle(self, *args, **options):
        today: dt.date = timezone.localdate()
        if options.get("date"):
            today = parse_date(options["date"]) if _valid(options["date"]) else None
            if today is None:
                raise CommandError(f"--date must be a date as YYYY-MM-DD, not {options['date']!r}")
        total = 0
        for label, reminder in REMINDERS:
            created = reminder(today=today)
            total += created
            self.stdout.write(f"{label}: {created} notice(s) created")
        self.stdout.write(self.style.SUCCESS(f"{total} notice(s) created for {today.isoformat()}"))


def _valid(value: str) -> bool:
    try:
        return parse_date(value) is not None
    except ValueError:
        return False
