"""``manage.py export_sheet <kind> <file>`` (DESIGN §8.4): write the ledger (台账) of one kind.

The format follows the file name (.xlsx or .csv). Every text cell, headers too, that a spreadsheet would
run as a formula is escaped with a leading apostrophe.
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from crm.models import User
from crm.sheets.exports import ledger_export
from crm.sheets.resources import RESOURCES, resource_for


class Command(BaseCommand):
    help = "Export the ledger of one kind to an .xlsx or .csv file."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=list(RESOURCES), help="Which ledger.")
        parser.add_argument("file", help="Where to write it; .xlsx or .csv.")
        parser.add_argument("--user", help="Export what this user (user name) may see; default: everything.")

    def handle(self, *args, kind: str, file: str, user: str | None = None, **options):
        with translation.override(settings.LANGUAGE_CODE):
            path = Path(file)
            suffix = path.suffix.lower()
            if suffix not in (".xlsx", ".csv"):
                raise CommandError(_("The file name must end in .xlsx or .csv."))
            account = None
            if user:
                account = User.objects.filter(username=user).first()
                if account is None:
                    raise CommandError(_("No user has the user name “%(name)s”.") % {"name": user})
            resource = resource_for(kind, user=account)
            queryset = resource.scoped_queryset()
            count = queryset.count()
            data = ledger_export(kind=kind, queryset=queryset, user=account, file_format=suffix[1:])
            try:
                path.write_bytes(data)
            except OSError as error:
                raise CommandError(_("Cannot write %(path)s: %(error)s") % {"path": file, "error": error}) from error
            self.stdout.write(_("Exported %(count)s row(s) to %(path)s.") % {"count": count, "path": file})
