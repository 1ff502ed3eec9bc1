"""Reports sent upward (DESIGN §11.6): generate (freeze the rows in a snapshot), store the file written from it,
and the way up — a county bureau submits, a city manager returns it with a note or accepts it; the city's report
of a period takes in the counties' accepted snapshots (``crm.selectors.reports.report_consolidate``).

The file itself is written by ``crm.sheets.reports`` (a layer above this one), run by the task
``crm.tasks.report_render`` right after ``report_generate``; the task stores it with ``report_file_store``.

Rules:
- managers (and administrators) generate and submit the reports of their own bureau; a superuser or the
  ``make_report`` command any bureau's;
- a submitted or accepted report is frozen: generating it again is refused (409); a draft or a returned report
  is generated again in place (same row, new snapshot, new file);
- only a county's submitted report is reviewed, by a manager of the city bureau; returning needs a note.
"""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.choices import BureauLevel, NotificationKind, ReportKind, ReportStatus, Role
from crm.models import Bureau, Report, User
from crm.permissions import is_manager
from crm.selectors.reports import (
    ReportPeriodError,
    report_consolidate,
    report_data,
    report_period,
    reports_to_consolidate,
)
from crm.services.errors import TransitionConflict
from crm.services.notifications import notification_send


def _may_report_for(user, bureau: Bureau) -> bool:
    if user is None or user.is_superuser:
        return True
    return is_manager(user) and user.bureau_id == bureau.pk


def _city_bureau() -> Bureau:
    bureau = Bureau.objects.filter(level=BureauLevel.CITY).order_by("id").first()
    if bureau is None:
        raise ValidationError({"bureau": [_("There is no city bureau.")]})
    return bureau


def report_snapshot(*, kind: str, period: str, bureau: Bureau, today: dt.date | None = None) -> dict:
    """The rows a new report of ``bureau`` would freeze: its own, plus (for the city) the counties' accepted ones."""
    own = report_data(kind=kind, period=period, bureau=bureau, today=today)
    if bureau.level != BureauLevel.CITY:
        return own
    sources = [
        (report.bureau.name, report.pk, report.snapshot)
        for report in reports_to_consolidate(kind=kind, period=own["period"])
    ]
    return report_consolidate(own=own, sources=sources)


@transaction.atomic
def report_generate(
    *, user, kind: str, period: str, bureau: Bureau | None = None, today: dt.date | None = None
) -> Report:
    """Create (or, for a draft or a returned report, refresh) ``bureau``'s report of ``kind`` for ``period``.

    ``bureau`` defaults to the user's (the city bureau without a user). The file is written afterwards from the
    snapshot (``crm.tasks.report_render``)."""
    errors = {}
    if kind not in ReportKind.values:
        errors["kind"] = [_("Choose one of: %(kinds)s.") % {"kinds": ", ".join(ReportKind.values)}]
    try:
        label, _start, _end = report_period(period)
    except ReportPeriodError:
        errors["period"] = [_("Give a month (2026-11), a quarter (2026Q4) or a year (2026).")]
    if errors:
        raise ValidationError(errors)
    if bureau is None:
        bureau = user.bureau if user is not None and user.bureau_id else _city_bureau()
    if user is not None and not is_manager(user):
        raise PermissionDenied(_("Only managers generate reports."))
    if not _may_report_for(user, bureau):
        raise PermissionDenied(_("You may only generate the reports of your own bureau."))
    report = Report.objects.select_for_update().filter(kind=kind, period=label, bureau=bureau).first()
    if report is not None and report.is_frozen:
        raise TransitionConflict(
            _("This report has been %(status)s; its figures are frozen.") % {"status": report.get_status_display()}
        )
    snapshot = report_snapshot(kind=kind, period=label, bureau=bureau, today=today)
    if report is None:
        report = Report(kind=kind, period=label, bureau=bureau)
    elif report.file:
        report.file.delete(save=False)
    report.snapshot = snapshot
    report.generated_by = user
    report.generated_at = timezone.now()
    report.filename = ""
    report.error = ""
    report.full_clean()
    report.save()
    return report


@transaction.atomic
def report_file_store(*, report: Report, data: bytes, filename: str) -> Report:
    """Keep the file written from the report's snapshot."""
    if report.file:
        report.file.delete(save=False)
    report.file.save(filename, ContentFile(data), save=False)
    report.filename = filename
    report.error = ""
    report.save(update_fields=["file", "filename", "error", "updated_at"])
    return report


def report_file_fail(*, report: Report, error: str) -> Report:
    report.error = error[:500]
    report.save(update_fields=["error", "updated_at"])
    return report


def _city_managers():
    return User.objects.filter(is_active=True, bureau__level=BureauLevel.CITY, groups__name=Role.MANAGER).distinct()


def _bureau_managers(bureau: Bureau):
    return User.objects.filter(is_active=True, bureau=bureau, groups__name=Role.MANAGER).distinct()


def _notify(recipients, *, text: str, report: Report, exclude=None) -> None:
    seen = set()
    for recipient in recipients:
        if recipient is None or recipient.pk in seen or (exclude is not None and recipient.pk == exclude.pk):
            continue
        seen.add(recipient.pk)
        notification_send(recipient=recipient, kind=NotificationKind.REPORT, text=text, report=report)


def _locked(report: Report) -> Report:
    return Report.objects.select_for_update().select_related("bureau").get(pk=report.pk)


@transaction.atomic
def report_submit(*, report: Report, user) -> Report:
    """Send the report up (草稿/已退回 → 已报送); a county's report goes to the city's managers."""
    report = _locked(report)
    if not _may_report_for(user, report.bureau):
        raise PermissionDenied(_("Only a manager of the report's bureau submits it."))
    if report.status not in (ReportStatus.DRAFT, ReportStatus.RETURNED):
        raise TransitionConflict(_("Only a draft or a returned report can be submitted."))
    if not report.file:
        raise TransitionConflict(_("The report's file is not ready yet."))
    report.status = ReportStatus.SUBMITTED
    report.submitted_by = user
    report.submitted_at = timezone.now()
    report.full_clean()
    report.save()
    if report.bureau.level == BureauLevel.COUNTY:
        _notify(
            _city_managers(),
            text=_("%(bureau)s submitted its report: %(report)s.") % {"bureau": report.bureau, "report": report},
            report=report,
            exclude=user,
        )
    return report


def _review_check(report: Report, user) -> None:
    if not (user.is_superuser or (is_manager(user) and user.bureau_id and user.bureau.level == BureauLevel.CITY)):
        raise PermissionDenied(_("Only a manager of the city bureau reviews reports."))
    if report.bureau.level != BureauLevel.COUNTY:
        raise TransitionConflict(_("Only the reports of county bureaus are reviewed by the city."))
    if report.status != ReportStatus.SUBMITTED:
        raise TransitionConflict(_("Only a submitted report can be returned or accepted."))


def _review_recipients(report: Report):
    return [report.submitted_by, *(_bureau_managers(report.bureau))]


@transaction.atomic
def report_return(*, report: Report, user, note: str) -> Report:
    """Send a county's report back with a note (已报送 → 已退回); it may be generated again and resubmitted."""
    report = _locked(report)
    _review_check(report, user)
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": [_("Say why the report is returned.")]})
    report.status = ReportStatus.RETURNED
    report.return_note = note
    report.reviewed_by = user
    report.reviewed_at = timezone.now()
    report.full_clean()
    report.save()
    _notify(
        _review_recipients(report),
        text=_("Your report %(report)s was returned: %(note)s") % {"report": report, "note": note},
        report=report,
    )
    return report


@transaction.atomic
def report_accept(*, report: Report, user) -> Report:
    """Accept a county's report (已报送 → 已审核): its snapshot joins the city's report of the period."""
    report = _locked(report)
    _review_check(report, user)
    report.status = ReportStatus.ACCEPTED
    report.reviewed_by = user
    report.reviewed_at = timezone.now()
    report.full_clean()
    report.save()
    _notify(
        _review_recipients(report),
        text=_("Your report %(report)s was accepted.") % {"report": report},
        report=report,
    )
    return report
