"""Ledger downloads from the list pages (DESIGN §8.4): exactly the rows the list shows — same FilterSet,
same ``visible_to`` scope, same order — without the pagination.

Each list gets an ``…/export/`` URL (``crm:<name>-export``) made with
``ListExportView.as_view(kind=…, list_view=TheListView)``; the list template links to it with its query
string (``{% include "crm/imports/_export_button.html" with export_url_name="crm:enterprise-export" %}``).
Other code can call ``export_response(request, kind, queryset)`` with any scoped queryset.
"""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.utils.http import content_disposition_header
from django.views import View

from crm.models import Contact
from crm.permissions import is_manager
from crm.sheets.exports import ledger_export, ledger_filename
from crm.sheets.files import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE


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

    def get(self, request, *args, **kwargs):
        view = self.list_view()
        view.setup(request, *args, **kwargs)
        queryset = view.get_queryset()
        return export_response(request, self.kind, queryset)


class ContactExportView(LoginRequiredMixin, View):
    """The contacts (企业联系人) of the enterprises in the manager's scope; they have no list page of their own
    (they live on each enterprise's page), so /imports/ links here. Mobiles and e-mails: managers only."""

    def get(self, request, *args, **kwargs):
        if not is_manager(request.user):
            raise PermissionDenied
        queryset = Contact.objects.visible_to(request.user).order_by("enterprise__name", "-is_primary", "name", "pk")
        return export_response(request, "contacts", queryset)
