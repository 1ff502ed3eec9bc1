"""The reports page (DESIGN §11.6): ``/reports/`` lists the reports in scope, lets a manager generate one, and
shows the city's managers the counties' reports to review; ``/reports/<id>/`` previews the frozen rows, offers
the download and the verbs (submit, return with a note, accept) and shows the history.

Generating queues ``crm.tasks.report_render`` (the file is written from the snapshot); the page shows the
report at once and its download as soon as the file is there.
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _
from django.views import View

from crm.choices import BureauLevel, ReportKind, ReportStatus
from crm.forms.reports import ReportGenerateForm, ReportReturnForm, last_month
from crm.permissions import is_manager
from crm.selectors.history import history_changes
from crm.selectors.reports import report_columns, report_list
from crm.services.reports import report_accept, report_generate, report_return, report_submit
from crm.tasks import report_render
from crm.views.mixins import service_errors

PAGE_SIZE = 30
PREVIEW_ROWS = 50


def _reviews_reports(user) -> bool:
    return user.is_superuser or (is_manager(user) and bool(user.bureau_id) and user.bureau.level == BureauLevel.CITY)


def _totals(snapshot: dict, columns) -> list:
    """The totals row of the preview: the sums, and the number of rows in the first column that has no sum."""
    totals = snapshot.get("totals", {})
    cells = [totals.get(column.key, "") if column.total else "" for column in columns]
    for index, column in enumerate(columns[1:], start=1):
        if not column.total:
            cells[index] = gettext_now("%(rows)d items") % {"rows": totals.get("rows", 0)}
            break
    return cells


class ReportListView(LoginRequiredMixin, View):
    template_name = "crm/reports/list.html"

    def _context(self, request, form=None) -> dict:
        reports = report_list(user=request.user)
        kind = request.GET.get("kind", "")
        status = request.GET.get("status", "")
        if kind in ReportKind.values:
            reports = reports.filter(kind=kind)
        if status in ReportStatus.values:
            reports = reports.filter(status=status)
        page = Paginator(reports, PAGE_SIZE).get_page(request.GET.get("page"))
        can_generate = is_manager(request.user) and bool(request.user.bureau_id)
        to_review = []
        if _reviews_reports(request.user):
            to_review = list(
                report_list(user=request.user).filter(status=ReportStatus.SUBMITTED, bureau__level=BureauLevel.COUNTY)
            )
        return {
            "page_title": _("Reports"),
            "page_obj": page,
            "reports": page.object_list,
            "kinds": ReportKind.choices,
            "statuses": ReportStatus.choices,
            "kind": kind,
            "status": status,
            "can_generate": can_generate,
            "form": form or ReportGenerateForm(initial={"kind": ReportKind.NEEDS_LEDGER, "period": last_month()}),
            "to_review": to_review,
            "return_form": ReportReturnForm(),
        }

    def get(self, request):
        return render(request, self.template_name, self._context(request))

    def post(self, request):
        """Generate (or generate again) a report of the user's bureau, then write its file."""
        if not is_manager(request.user):
            raise PermissionDenied
        form = ReportGenerateForm(request.POST)
        if form.is_valid():
            with service_errors(request, form) as outcome:
                report = report_generate(
                    user=request.user, kind=form.cleaned_data["kind"], period=form.cleaned_data["period"]
                )
            if not outcome.failed:
                report_render.enqueue(report.pk)
                messages.success(request, gettext_now("The report is generated: %(report)s.") % {"report": report})
                return HttpResponseRedirect(reverse("crm:report-detail", args=[report.pk]))
        return render(request, self.template_name, self._context(request, form), status=400)


class ReportDetailView(LoginRequiredMixin, View):
    def get(self, request, pk: int):
        report = get_object_or_404(report_list(user=request.user), pk=pk)
        snapshot = report.snapshot or {}
        columns = report_columns(snapshot) if snapshot.get("columns") else []
        rows = snapshot.get("rows", [])
        user = request.user
        own = user.is_superuser or user.bureau_id == report.bureau_id
        context = {
            "page_title": str(report),
            "report": report,
            "columns": columns,
            "rows": [
                [(column.display(row.get(column.key)), column.kind) for column in columns]
                for row in rows[:PREVIEW_ROWS]
            ],
            "more_rows": max(len(rows) - PREVIEW_ROWS, 0),
            "totals": list(zip(_totals(snapshot, columns), [column.kind for column in columns], strict=True)),
            "sources": snapshot.get("sources", []),
            "can_submit": own and is_manager(user) and report.status in (ReportStatus.DRAFT, ReportStatus.RETURNED),
            "can_regenerate": own and is_manager(user) and not report.is_frozen,
            "can_review": _reviews_reports(user)
            and report.status == ReportStatus.SUBMITTED
            and report.bureau.level == BureauLevel.COUNTY,
            "return_form": ReportReturnForm(),
            "history": history_changes(obj=report),
        }
        return render(request, "crm/reports/detail.html", context)


class ReportRegenerateView(LoginRequiredMixin, View):
    def post(self, request, pk: int):
        report = get_object_or_404(report_list(user=request.user), pk=pk)
        with service_errors(request) as outcome:
            report = report_generate(user=request.user, kind=report.kind, period=report.period, bureau=report.bureau)
        if not outcome.failed:
            report_render.enqueue(report.pk)
            messages.success(request, gettext_now("The report is generated again from the current data."))
        return HttpResponseRedirect(reverse("crm:report-detail", args=[pk]))


class ReportDownloadView(LoginRequiredMixin, View):
    def get(self, request, pk: int):
        report = get_object_or_404(report_list(user=request.user), pk=pk)
        if not report.file:
            raise Http404
        response = FileResponse(report.file.open("rb"), as_attachment=True, filename=report.filename)
        response["Cache-Control"] = "private, no-store"
        return response


class ReportTransitionView(LoginRequiredMixin, View):
    """POST ``submit``, ``return`` (with ``note``) or ``accept``."""

    DONE = {
        "submit": _("The report is submitted."),
        "return": _("The report is returned to its bureau."),
        "accept": _("The report is accepted."),
    }

    def post(self, request, pk: int, verb: str):
        report = get_object_or_404(report_list(user=request.user), pk=pk)
        if verb not in self.DONE:
            raise Http404
        with service_errors(request) as outcome:
            if verb == "submit":
                report_submit(report=report, user=request.user)
            elif verb == "return":
                report_return(report=report, user=request.user, note=request.POST.get("note", ""))
            else:
                report_accept(report=report, user=request.user)
        if not outcome.failed:
            messages.success(request, str(self.DONE[verb]))
        return HttpResponseRedirect(reverse("crm:report-detail", args=[pk]))
