"""``manage.py make_report <kind> --period 2026-11 [--bureau <region code>] [--output <file>]`` (DESIGN §11.6).

Generates a bureau's report (the city bureau's without ``--bureau``; a county bureau is named by its region
code, e.g. 320831, or by its name), writes its file at once and prints where it is kept; ``--output`` also
copies the file there. A submitted or accepted report is frozen and refused.
"""

from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from crm.choices import ReportKind
from crm.models import Bureau, Report
from crm.services.errors import TransitionError
from crm.services.reports import report_generate
from crm.tasks import report_render


class Command(BaseCommand):
    help = "Generate a report sent upward (one of the five kinds) for one period and one bureau."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=ReportKind.values, help="Which report.")
        parser.add_argument("--period", required=True, help="2026-11, 2026Q4 or 2026.")
        parser.add_argument("--bureau", help="The bureau's region code (e.g. 320831) or name; default: the city's.")
        parser.add_argument("--output", help="Also copy the file here.")

    def _bureau(self, value: str | None) -> Bureau | None:
        if not value:
            return None
        matches = list(Bureau.objects.filter(Q(region_id=value) | Q(name=value))[:2])
        if len(matches) != 1:
            raise CommandError(_("No single bureau has the region code or name “%(value)s”.") % {"value": value})
        return matches[0]

    def handle(self, *args, kind: str, period: str, bureau: str | None = None, output: str | None = None, **options):
        with translation.override(settings.LANGUAGE_CODE):
            try:
                report = report_generate(user=None, kind=kind, period=period, bureau=self._bureau(bureau))
            except ValidationError as error:
                raise CommandError("; ".join(error.messages)) from error
            except (TransitionError, PermissionDenied) as error:
                raise CommandError(str(error)) from error
            report_render.call(report.pk)
            report = Report.objects.get(pk=report.pk)
            if not report.file:
                raise CommandError(report.error or _("The report file could not be written."))
            if output:
                try:
                    Path(output).write_bytes(report.file.read())
                except OSError as error:
                    raise CommandError(
                        _("Cannot write %(path)s: %(error)s") % {"path": output, "error": error}
                    ) from error
            rows = len(report.snapshot.get("rows", []))
            self.stdout.write(
                _("Report %(report)s: %(rows)d row(s), file %(file)s.")
                % {"report": report, "rows": rows, "file": output or report.file.path}
            )
