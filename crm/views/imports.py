"""/imports/ for managers (DESIGN §8.4): choose the kind, download its template, upload, preview (dry run)
with the bad cells marked, confirm.

The confirmed import reads the file the same user uploaded, kept server-side on an ``ImportJob``: the
confirm form carries only the job's id, and another user's job answers 404.

A file of more than ``IMPORT_SYNC_MAX_ROWS`` rows is checked and imported by the task worker (DESIGN §11.9):
its preview URL shows a progress page that polls ``import-status`` (htmx, like the export progress page) and
reloads itself when the job is done; the user is also notified with a link.
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from crm.forms.imports import ImportUploadForm
from crm.models import ImportJob
from crm.models.imports import IMPORT_KINDS
from crm.permissions import is_manager
from crm.services.progress import job_progress, progress_percent
from crm.sheets.exports import ledger_filename, ledger_template
from crm.sheets.files import MAX_BYTES, XLSX_CONTENT_TYPE
from crm.sheets.imports import ImportOutcome, import_job_confirm, import_job_upload
from crm.sheets.resources import RESOURCES
from crm.tasks import import_check, import_run

# The list page each kind's rows appear on after an import.
LIST_URLS = {
    "enterprises": "crm:enterprise-list",
    "contacts": "crm:enterprise-list",  # contacts live on their enterprise's page
    "projects": "crm:project-list",
    "policies": "crm:policy-list",
    "offerings": "crm:offering-list",
    "visits": "crm:visit-list",
    "needs": "crm:need-list",
    "action-items": "crm:actionitem-list",
    "enterprise-years": "crm:enterprise-list",
    "activities": "crm:activity-list",
}
# Kinds without a list page of their own: their ledger is downloaded from /imports/.
EXPORT_URLS = {"contacts": "crm:contact-export", "enterprise-years": "crm:enterpriseyear-export"}
RECENT_JOBS = 10


class ManagerRequiredMixin(LoginRequiredMixin):
    """Imports are a manager's job (DESIGN §1): others get 403."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not is_manager(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


def _list_url(kind: str) -> str:
    return reverse(LIST_URLS[kind])


class ImportView(ManagerRequiredMixin, TemplateView):
    """The upload page: a form, the templates of every kind, and the user's recent uploads."""

    template_name = "crm/imports/index.html"

    def get_context_data(self, form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        initial = {"kind": self.request.GET.get("kind")} if self.request.GET.get("kind") in RESOURCES else {}
        context.update(
            page_title=_("Import / export"),
            form=form or ImportUploadForm(initial=initial),
            kinds=[
                {
                    "kind": kind,
                    "label": label,
                    "columns": RESOURCES[kind].expected_headers(),
                    "required": RESOURCES[kind].required_headers,
                    "list_url": _list_url(kind),
                    "export_url": reverse(EXPORT_URLS[kind]) if kind in EXPORT_URLS else "",
                }
                for kind, label in IMPORT_KINDS
            ],
            jobs=ImportJob.objects.filter(user=self.request.user)[:RECENT_JOBS],
            max_mb=MAX_BYTES // (1024 * 1024),
        )
        return context

    def post(self, request, *args, **kwargs):
        # Refuse an oversized body before Django spools it to disk.
        if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_BYTES + 1024 * 1024:
            context = self.get_context_data(
                upload_error=_("The file is larger than 10 MB; split it into several files.")
            )
            return self.render_to_response(context, status=400)
        form = ImportUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        try:
            job = import_job_upload(
                user=request.user,
                kind=form.cleaned_data["kind"],
                name=form.cleaned_data["file"].name,
                data=form.file_bytes,
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self.render_to_response(self.get_context_data(form=form), status=400)
        if job.status == ImportJob.Status.QUEUED:  # a long file: the worker checks it
            import_check.enqueue(job.pk)
        return HttpResponseRedirect(reverse("crm:import-preview", args=[job.pk]))


def _job_status(job: ImportJob) -> dict:
    done, total = job_progress(job=job)
    return {
        "id": job.pk,
        "status": job.status,
        "status_display": str(job.get_status_display()),
        "done": done,
        "total": total,
        "percent": 100 if job.is_finished else progress_percent(done, total),
        "finished": job.is_finished,
        "url": reverse("crm:import-preview", args=[job.pk]),
    }


class ImportPreviewView(ManagerRequiredMixin, TemplateView):
    """The dry run of one upload: counts, every problem, the rows with the bad cells marked. While the task
    worker checks or imports a long file (or when it broke off): its progress page."""

    template_name = "crm/imports/preview.html"

    def get(self, request, *args, **kwargs):
        job = get_object_or_404(ImportJob, pk=kwargs["pk"], user=request.user)
        if job.is_running or job.status == ImportJob.Status.FAILED:
            context = {"page_title": _("Import"), "job": job, "job_status": _job_status(job)}
            return render(request, "crm/imports/progress.html", context)
        return self.render_to_response(self.get_context_data(job=job, **kwargs))

    def get_context_data(self, job=None, **kwargs):
        context = super().get_context_data(**kwargs)
        job = job or get_object_or_404(ImportJob, pk=kwargs["pk"], user=self.request.user)
        outcome = ImportOutcome.from_dict(job.result)
        context.update(
            page_title=_("Import result") if job.status == ImportJob.Status.IMPORTED else _("Check the file"),
            job=job,
            outcome=outcome,
            problem_lines=[p.as_line() for p in outcome.problems],
            file_problems=[p for p in outcome.problems if p.row is None or (p.row == 1 and not outcome.preview)],
            rows=_preview_rows(outcome),
            hidden_rows=max(0, outcome.total - len(outcome.preview)),
            can_confirm=job.status == ImportJob.Status.PREVIEWED and outcome.ok,
            imported=job.status == ImportJob.Status.IMPORTED,
            form=ImportUploadForm(initial={"kind": job.kind}),
            list_url=_list_url(job.kind),
            max_mb=MAX_BYTES // (1024 * 1024),
        )
        return context


def _preview_rows(outcome: ImportOutcome) -> list[dict]:
    """The preview rows with each cell's problems beside its value (for marking the bad cells)."""
    rows = []
    for row in outcome.preview:
        errors = row.get("errors") or {}
        changes = {change["column"]: change for change in row.get("changes") or []}
        cells = [
            {
                "value": value,
                "column": header,
                "messages": errors.get(header, []),
                "change": changes.get(header),  # {"old", "new"} of an updated cell
            }
            for header, value in zip(outcome.headers, row["values"], strict=False)
        ]
        # Problems of a column the file does not have (a required one), or of the whole row.
        row_messages = [
            f"{column}: {m}" if column else m
            for column, items in errors.items()
            if column not in outcome.headers
            for m in items
        ]
        rows.append(
            {
                "row": row["row"],
                "status": row["status"],
                "cells": cells,
                "row_messages": row_messages,
                "change_count": len(changes),
                "changed_columns": list(changes),  # named beside the badge: on a phone the cells are off-screen
            }
        )
    return rows


class ImportConfirmView(ManagerRequiredMixin, View):
    """POST: import the previewed upload for real (all or nothing)."""

    def post(self, request, pk: int):
        try:
            job = import_job_confirm(user=request.user, job_id=pk)
        except ImportJob.DoesNotExist:
            raise Http404 from None
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return HttpResponseRedirect(reverse("crm:import-preview", args=[pk]))
        if job.status == ImportJob.Status.IMPORTING:  # a long file: the worker imports it; its progress page
            import_run.enqueue(job.pk)
            return HttpResponseRedirect(reverse("crm:import-preview", args=[pk]))
        if job.status != ImportJob.Status.IMPORTED:
            messages.error(
                request, _("The data changed since the check; nothing was imported. See the problems below.")
            )
            return HttpResponseRedirect(reverse("crm:import-preview", args=[pk]))
        # The result page says what was imported (the counts and the rows).
        return HttpResponseRedirect(reverse("crm:import-preview", args=[pk]))


class ImportStatusView(ManagerRequiredMixin, View):
    """The state of one of my uploads: the progress fragment for htmx (which reloads the page once the job is
    done, showing its result), JSON otherwise."""

    def get(self, request, pk: int):
        job = get_object_or_404(ImportJob, pk=pk, user=request.user)
        job_status = _job_status(job)
        if not request.headers.get("HX-Request"):
            return JsonResponse(job_status)
        response = render(request, "crm/imports/_status.html", {"job": job, "job_status": job_status})
        if job.is_finished and job.status != ImportJob.Status.FAILED:
            response["HX-Refresh"] = "true"  # the preview URL now shows the result
        return response


class ImportTemplateView(ManagerRequiredMixin, View):
    """GET: the template of one kind (headers, one example row, a sheet of notes)."""

    def get(self, request, kind: str):
        if kind not in RESOURCES:
            raise Http404
        response = HttpResponse(ledger_template(kind=kind, user=request.user), content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = content_disposition_header(True, ledger_filename(kind=kind, template=True))
        return response
