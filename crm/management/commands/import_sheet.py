"""``manage.py import_sheet <kind> <file> [--dry-run]`` (DESIGN §8.4): all or nothing.

If any row is invalid nothing is written, the command exits non-zero and prints one line per problem
(spreadsheet row number — the header is row 1 —, column header, message). Otherwise it prints the counts.
On a terminal, large files show their progress.
"""

import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from crm.models import User
from crm.permissions import is_manager
from crm.sheets.files import MAX_BYTES
from crm.sheets.imports import sheet_import
from crm.sheets.resources import RESOURCES

PROGRESS_FROM_ROWS = 2000


class Command(BaseCommand):
    help = "Import a spreadsheet (.xlsx, .xls, .ods, .csv or Unicode text) of one kind: every row or none."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=list(RESOURCES), help="What the sheet holds.")
        parser.add_argument("file", help="Path of the .xlsx or .csv file.")
        parser.add_argument("--dry-run", action="store_true", help="Check every row, write nothing.")
        parser.add_argument(
            "--user",
            help="Import as this user (user name): their scope applies and they are recorded as the author. "
            "Without it the import runs as the system, with no scope limit.",
        )

    def handle(self, *args, kind: str, file: str, dry_run: bool = False, user: str | None = None, **options):
        with translation.override(settings.LANGUAGE_CODE):
            self._handle(kind, file, dry_run, user)

    def _handle(self, kind: str, file: str, dry_run: bool, username: str | None) -> None:
        user = None
        if username:
            user = User.objects.filter(username=username).first()
            if user is None:
                raise CommandError(_("No user has the user name “%(name)s”.") % {"name": username})
            if not is_manager(user):
                raise CommandError(_("Only managers may import ledgers."))
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": file})
        if path.stat().st_size > MAX_BYTES:
            raise CommandError(_("The file is larger than 10 MB; split it into several files."))
        data = path.read_bytes()

        outcome = sheet_import(kind=kind, data=data, user=user, dry_run=dry_run, progress=self._progress())
        self._progress_done()
        # What was read, and what was read differently from what is shown, on stderr: stdout keeps the result.
        if outcome.header_row:
            where = (
                _("Read sheet “%(sheet)s”, headers on row %(row)s.")
                if outcome.sheet
                else _("Read headers on row %(row)s.")
            )
            self.stderr.write(where % {"sheet": outcome.sheet, "row": outcome.header_row})
        for warning in outcome.warnings:
            self.stderr.write(_("Note: %(warning)s") % {"warning": warning})
        if not outcome.ok:
            for problem in outcome.problems:
                self.stdout.write(problem.as_line())
            raise CommandError(
                _("Nothing was imported: %(problems)s problem(s) in %(rows)s row(s).")
                % {"problems": len(outcome.problems), "rows": outcome.problem_rows or 1}
            )
        counts = {"created": outcome.created, "updated": outcome.updated, "unchanged": outcome.unchanged}
        if dry_run:
            self.stdout.write(
                _("Dry run, nothing saved: %(created)s to create, %(updated)s to update, %(unchanged)s unchanged.")
                % counts
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(_("Created %(created)s, updated %(updated)s, unchanged %(unchanged)s.") % counts)
            )

    def _progress(self):
        """Progress on a terminal (stderr), so pipes and logs get only the result."""
        stream = getattr(self.stderr, "_out", sys.stderr)
        if not (hasattr(stream, "isatty") and stream.isatty()):
            return None
        self._shown = False

        def show(phase: str, done: int, total: int) -> None:
            if phase == "read":
                text = _("Reading: %(done)s rows") % {"done": f"{done:,}"}
            elif total >= PROGRESS_FROM_ROWS:
                text = _("Importing: %(done)s of %(total)s rows") % {"done": f"{done:,}", "total": f"{total:,}"}
            else:
                return
            stream.write("\r" + text + " " * 8)
            stream.flush()
            self._shown = True

        self._stream = stream
        return show

    def _progress_done(self) -> None:
        if getattr(self, "_shown", False):
            self._stream.write("\n")
            self._stream.flush()
