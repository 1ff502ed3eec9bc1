"""Ledger downloads from the list pages (DESIGN §8.4): exactly the rows the list shows — same FilterSet,
same ``visible_to`` scope, same order — without the pagination.

Each list gets an ``…/export/`` URL (``crm:<name>-export``) made with
``ListExportView.as_view(kind=…, list_view=TheListView)``; the list template links to it with its query
string (``{% export_buttons "crm:enterprise-export" %}``, crm_tags).
Other code can call ``export_response(request, kind, queryset)`` with any scoped queryset.

A list longer than ``EXPORT_SYNC_MAX_ROWS`` is not written inside the request (DESIGN §9.2, §11.9): the GET
answers a page that offers to prepare it; its POST queues ``crm.tasks.export_list`` and shows the job's
progress page, which polls a small status endpoint; the finished file is downloaded from the job (and the
notification that announces it).
"""

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from django.views import View

from crm.choices import ExportStatus
from crm.models import Contact, EnterpriseYear, ExportJob
from crm.permissions import is_manager
from crm.services.exports import export_job_create
from crm.services.progress import job_progress, progress_percent
from crm.sheets.exports import ledger_export, ledger_filename
from crm.sheets.files import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE
from crm.tasks import export_list


def export_response(request, kind: str, queryset, file_format: str | None = None) -> HttpResponse:
    """An .xlsx (or, with ``?format=csv``, a .csv) download of ``queryset``, which the caller has scoped."""
    file_format = file_format or ("csv" if request.GET.get("format") == "csv" else "xlsx")
    data = ledger_export(kind=kind, queryset=queryset, user=request.user, file_format=file_format)
    response = HttpResponse(data, content_type=CSV_CONTENT_TYPE if file_format == "csv" else XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(
        True, ledger_filename(kind=kind, file_format=file_format)
    )
    response["Cache-Control"] = "private, no-store"
    return response


class ListExportView(LoginRequiredMixin, View):
    """Export what ``list_view`` would list for this request (its filters, scope and ordering)."""

    kind = ""
    list_view = None

    def _queryset(self, request, *args, **kwargs):
        view = self.list_view()
        view.setup(request, *args, **kwargs)
        return view.get_queryset()

    @staticmethod
    def _file_format(request) -> str:
        return "csv" if request.GET.get("format") == "csv" else "xlsx"

    def get(self, request, *args, **kwargs):
        queryset = self._queryset(request, *args, **kwargs)
        total = queryset.count()
        if total <= settings.EXPORT_SYNC_MAX_ROWS:
            return export_response(request, self.kind, queryset)
        context = {"page_title": _("Export"), "total": total, "file_format": self._file_format(request)}
        return render(request, "crm/exports/confirm.html", context)

    def post(self, request, *args, **kwargs):
        """Queue the export of the list (its filters are the query string) and show its progress."""
        total = self._queryset(request, *args, **kwargs).count()
        params = request.GET.copy()
        for name in ("format", "page"):
            params.pop(name, None)
        job = export_job_create(
            user=request.user,
            kind=self.kind,
            path=request.path,
            params=params.urlencode(),
            file_format=self._file_format(request),
            total=total,
        )
        export_list.enqueue(job.pk)
        return redirect("crm:export-detail", pk=job.pk)


def _job_status(job: ExportJob) -> dict:
    done = job.status == ExportStatus.DONE
    rows_done, total = job_progress(job=job)
    return {
        "id": job.pk,
        "status": job.status,
        "status_display": str(job.get_status_display()),
        "total": total,
        "done": rows_done,
        "percent": 100 if done else progress_percent(rows_done, total),
        "finished": job.is_finished,
        "download_url": reverse("crm:export-download", args=[job.pk]) if done else None,
    }


class ExportJobDetailView(LoginRequiredMixin, View):
    """The progress page of one of my exports; it polls ``export-status`` until the job finished."""

    def get(self, request, pk: int):
        job = get_object_or_404(ExportJob, pk=pk, user=request.user)
        context = {"page_title": _("Export"), "job": job, "job_status": _job_status(job)}
        return render(request, "crm/exports/detail.html", context)


class ExportJobStatusView(LoginRequiredMixin, View):
    """The job's state: the progress fragment for htmx, JSON otherwise."""

    def get(self, request, pk: int):
        job = get_object_or_404(ExportJob, pk=pk, user=request.user)
        if request.headers.get("HX-Request"):
            return render(request, "crm/exports/_status.html", {"job": job, "job_status": _job_status(job)})
        return JsonResponse(_job_status(job))


class ExportJobDownloadView(LoginRequiredMixin, View):
    """The finished file of one of my exports."""

    def get(self, request, pk: int):
        job = get_object_or_404(ExportJob, pk=pk, user=request.user, status=ExportStatus.DONE)
        if not job.file:
            raise Http404
        response = FileResponse(job.file.open("rb"), as_attachment=True, filename=job.filename)
        response["Cache-Control"] = "private, no-store"
        return response


class ContactExportView(LoginRequiredMixin, View):
    """The contacts (企业联系人) of the enterprises in the manager's scope; they have no list page of their own
    (they live on each enterprise's page), so /imports/ links here. Mobiles and e-mails: managers only."""

    def get(self, request, *args, **kwargs):
        if not is_manager(request.user):
            raise PermissionDenied
        queryset = Contact.objects.visible_to(request.user).order_by("enterprise__name", "-is_primary", "name", "pk")
        return export_response(request, "contacts", queryset)


class EnterpriseYearExportView(LoginRequiredMixin, View):
    """The yearly figures (年度数据) of the enterprises in the manager's scope (DESIGN §11.7); /imports/ links here."""

    def get(self, request, *args, **kwargs):
        if not is_manager(request.user):
            raise PermissionDenied
        queryset = EnterpriseYear.objects.visible_to(request.user).order_by("enterprise__name", "-year", "pk")
        return export_response(request, "enterprise-years", queryset)
