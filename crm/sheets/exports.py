"""Ledger exports (DESIGN §8.4): the 台账 of one kind as xlsx or CSV, its import template and file name."""

from __future__ import annotations

from collections.abc import Iterator

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.sheets.files import write_csv, write_xlsx
from crm.sheets.resources import resource_for


def ledger_rows(resource, queryset) -> Iterator[list]:
    """Native values (dates, numbers, text) of every exported row, in header order."""
    export_fields = resource.get_export_fields()
    for obj in resource.iter_queryset(resource.get_export_queryset(queryset)):
        yield [resource.export_field(field, obj) for field in export_fields]


def ledger_export(*, kind: str, queryset=None, user=None, file_format: str = "xlsx") -> bytes:
    """The ledger (台账) of one kind as xlsx or CSV bytes; ``queryset`` is already filtered and scoped."""
    resource = resource_for(kind, user=user)
    if queryset is None:
        queryset = resource.scoped_queryset()
    headers = resource.get_export_headers()
    rows = ledger_rows(resource, queryset)
    if file_format == "csv":
        return write_csv(headers, rows)
    return write_xlsx(headers, rows, title=resource.title)


def ledger_template(*, kind: str, user=None) -> bytes:
    """The import template of one kind: the headers, one example row and a sheet of notes."""
    resource = resource_for(kind, user=user)
    headers = resource.get_export_headers()
    example = resource.example_row()
    notes = {"title": "填写说明", "rows": [[_("Column"), _("How to fill it in")], *resource.column_notes()]}
    return write_xlsx(headers, [[example.get(h, "") for h in headers]], title=resource.title, notes=notes)


def ledger_filename(*, kind: str, file_format: str = "xlsx", template: bool = False) -> str:

    title = resource_for(kind).title
    stamp = timezone.localdate().strftime("%Y%m%d")
    suffix = "导入模板" if template else stamp
    return f"{title}-{suffix}.{file_format}"
