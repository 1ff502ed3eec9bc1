"""Ledger exports (DESIGN §8.4): the 台账 of one kind as xlsx or CSV, its import template and file name.

The xlsx ledgers and templates are made for typing into (DESIGN §8.4, "as offices really make them"):

- the data sheet comes first (the importer reads it), then 填写说明 (the required columns and the valid names
  of every column) in the template, then a hidden sheet 选项 holding the drop-down lists;
- text columns — credit codes, mobiles, codes, names — are formatted as text (``@``), so Excel keeps an
  18-digit credit code or a mobile number as typed instead of turning it into 9.13208E+17;
- columns with a fixed set of values (regions, chains, qualifications, 是/否, enumerations) carry a drop-down
  list (data validation) pointing at a range of the hidden sheet; columns that take several values (企业资质)
  suggest the names without refusing a list typed by hand.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Manager, QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from crm.sheets.files import cell_escape, write_csv
from crm.sheets.resources import resource_for
from crm.sheets.resources.widgets import (
    BoolWidget,
    ChoiceWidget,
    ManyWidget,
    MultiChoiceWidget,
    ReferenceWidget,
    TextWidget,
)

NOTES_TITLE = "填写说明"
OPTIONS_TITLE = "选项"
LAST_ROW = 1048576  # Excel's last row: the drop-downs and the text format cover the whole column
TEXT_FORMAT = "@"
PROGRESS_ROWS = 1000  # a background export reports its progress every this many rows
EXPORT_CHUNK = 2000  # rows (and their prefetched relations) read per query
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
REQUIRED_FILL = PatternFill("solid", fgColor="FCE4D6")


@dataclass
class ColumnSpec:
    """How one column of a ledger is written: text format, the valid values for its drop-down."""

    header: str
    text: bool = False
    options: list[str] | None = None
    several: bool = False  # a cell may hold several of the options (企业资质): suggest, do not refuse


def column_specs(resource) -> list[ColumnSpec]:
    """The specs of the resource's export columns, in order (reference names are read once, in one query each)."""
    specs = []
    for field in resource.get_export_fields():
        widget = field.widget
        spec = ColumnSpec(header=field.column_name)
        single = widget.single if isinstance(widget, ManyWidget) else widget
        if isinstance(widget, TextWidget):
            spec.text = True
        if isinstance(widget, BoolWidget):
            spec.options = ["是", "否"]
        elif isinstance(widget, ChoiceWidget):
            spec.options = list(widget.labels.values())
            spec.several = isinstance(widget, MultiChoiceWidget)
        elif isinstance(single, ReferenceWidget):
            spec.options = single.names()
            spec.several = isinstance(widget, ManyWidget)
        if field.readonly and field.column_name != _key_header(resource):
            spec.options = None
        specs.append(spec)
    return specs


def _key_header(resource) -> str | None:
    return resource.fields[resource.key].column_name if resource.key else None


def _width(value) -> int:
    text = value.isoformat() if isinstance(value, date) else str(value or "")
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)  # CJK characters take about two columns


def write_ledger_xlsx(
    specs: list[ColumnSpec],
    rows: Iterable[list],
    *,
    title: str,
    required: Iterable[str] = (),
    notes: list[list[str]] | None = None,
) -> bytes:
    """A write-only workbook (a province-sized ledger is streamed): the data sheet, 填写说明 when ``notes`` are
    given, and the hidden 选项 sheet of the drop-down lists."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.freeze_panes = "A2"
    required = set(required)
    headers = [spec.header for spec in specs]
    widths = [max(8, _width(h) + 2) for h in headers]
    buffered: list[list] = []
    iterator = iter(rows)
    for row in iterator:  # widths from the headers and the first rows only: the sheet is streamed
        buffered.append(row)
        if len(buffered) >= 200:
            break
    for row in buffered:
        for i, value in enumerate(row[: len(widths)]):
            widths[i] = min(60, max(widths[i], _width(value) + 2))
    for i, (spec, width) in enumerate(zip(specs, widths, strict=True), start=1):
        dimension = sheet.column_dimensions[get_column_letter(i)]
        dimension.width = width
        if spec.text:
            dimension.number_format = TEXT_FORMAT  # also the empty cells a clerk types into

    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=cell_escape(header))
        cell.font = HEADER_FONT
        cell.fill = REQUIRED_FILL if header in required else HEADER_FILL
        cell.alignment = Alignment(vertical="center")
        header_cells.append(cell)
    sheet.append(header_cells)

    text_columns = [spec.text for spec in specs]
    # One style per number format, shared by the cells written with it (setting ``number_format`` on every cell
    # looks the format up and copies a style each time).
    styles = {}
    for number_format in ("yyyy-mm-dd hh:mm", "yyyy-mm-dd", TEXT_FORMAT):
        prototype = WriteOnlyCell(sheet)
        prototype.number_format = number_format
        styles[number_format] = prototype._style
    datetime_style, date_style, text_style = styles.values()

    def emit(row):
        out = []
        for i, value in enumerate(row):
            value = cell_escape(value)
            if isinstance(value, datetime):
                value = timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
                cell = Cell(sheet, row=1, column=1, value=value, style_array=datetime_style)
            elif isinstance(value, date):
                cell = Cell(sheet, row=1, column=1, value=value, style_array=date_style)
            elif i < len(text_columns) and text_columns[i] and value not in (None, ""):
                cell = Cell(sheet, row=1, column=1, value=str(value), style_array=text_style)
            else:
                out.append(value)
                continue
            out.append(cell)
        sheet.append(out)

    for row in buffered:
        emit(row)
    for row in iterator:
        emit(row)

    if notes:
        notes_sheet = workbook.create_sheet(title=NOTES_TITLE)
        notes_sheet.column_dimensions["A"].width = 28
        notes_sheet.column_dimensions["B"].width = 100
        for index, line in enumerate(notes):
            cells = []
            for value in line:
                cell = WriteOnlyCell(notes_sheet, value=cell_escape(str(value)))
                cell.alignment = Alignment(wrap_text=True, vertical="top")
                if index == 0:
                    cell.font = HEADER_FONT
                    cell.fill = HEADER_FILL
                cells.append(cell)
            notes_sheet.append(cells)

    listed = [(i, spec) for i, spec in enumerate(specs) if spec.options]
    if listed:
        options = workbook.create_sheet(title=OPTIONS_TITLE)
        options.sheet_state = "hidden"
        longest = max(len(spec.options) for _i, spec in listed)
        options.append([spec.header for _i, spec in listed])
        for n in range(longest):
            options.append([spec.options[n] if n < len(spec.options) else None for _i, spec in listed])
        for position, (i, spec) in enumerate(listed, start=1):
            letter = get_column_letter(position)
            validation = DataValidation(
                type="list",
                formula1=f"{quote_sheetname(OPTIONS_TITLE)}!${letter}$2:${letter}${len(spec.options) + 1}",
                allow_blank=True,
                showErrorMessage=not spec.several,
                errorTitle=gettext("Not a valid value"),
                error=gettext("Choose a value from the list."),
            )
            column = get_column_letter(i + 1)
            validation.add(f"{column}2:{column}{LAST_ROW}")
            sheet.data_validations.append(validation)

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _cell_reader(resource, name: str, field) -> Callable:
    """What ``resource.export_field(field, obj)`` gives, compiled once per column: the attribute path is split
    once and the field's name is not searched for on every cell (import-export does both per cell)."""
    method = getattr(resource, field.get_dehydrate_method(name), None) if not callable(field.dehydrate_method) else None
    if method is not None or callable(field.dehydrate_method) or field.attribute is None:
        return lambda obj: resource.export_field(field, obj)
    path = field.attribute.split("__")
    render = field.widget.render
    model_field = _model_field(resource, path[0]) if len(path) == 1 else None
    if model_field is not None and model_field.many_to_many and not model_field.auto_created:
        name = model_field.name

        def read_many(obj):
            # The prefetched rows as they are: the related manager the attribute would build costs more than them.
            cached = getattr(obj, "_prefetched_objects_cache", {}).get(name)
            return render(list(cached) if cached is not None else getattr(obj, name))

        return read_many

    def read(obj):
        value = obj
        for attr in path:
            value = getattr(value, attr, None)
            if value is None:
                return render(None)
        if callable(value) and not isinstance(value, Manager):
            value = value()
        return render(value)

    return read


def _model_field(resource, name: str):
    try:
        return resource._meta.model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def ledger_rows(resource, queryset) -> Iterator[list]:
    """Native values (dates, numbers, text) of every exported row, in header order.

    The rows are read in chunks of ``EXPORT_CHUNK`` by keyset (``iterator``, which keeps ``prefetch_related``
    per chunk) rather than by OFFSET pages, whose cost grows with the page number on a province-sized list."""
    names = {id(field): name for name, field in resource.fields.items()}
    readers = [_cell_reader(resource, names[id(field)], field) for field in resource.get_export_fields()]
    queryset = resource.get_export_queryset(queryset)
    if isinstance(queryset, QuerySet) and queryset._prefetch_related_lookups and not queryset.query.order_by:
        queryset = queryset.order_by("pk")  # the order import-export's paged reading gave these ledgers
    rows = queryset.iterator(chunk_size=EXPORT_CHUNK) if isinstance(queryset, QuerySet) else queryset
    for obj in rows:
        yield [read(obj) for read in readers]


def _counted(rows: Iterable[list], progress: Callable[[int], None], every: int) -> Iterator[list]:
    done = 0
    for row in rows:
        yield row
        done += 1
        if done % every == 0:
            progress(done)
    progress(done)


def ledger_export(
    *,
    kind: str,
    queryset=None,
    user=None,
    file_format: str = "xlsx",
    progress: Callable[[int], None] | None = None,
) -> bytes:
    """The ledger (台账) of one kind as xlsx or CSV bytes; ``queryset`` is already filtered and scoped.

    ``progress`` is called with the number of rows written so far, every ``PROGRESS_ROWS`` rows (the workbook
    is written in write-only mode, row by row, so this is the real progress of the file)."""
    resource = resource_for(kind, user=user)
    if queryset is None:
        queryset = resource.scoped_queryset()
    rows = ledger_rows(resource, queryset)
    if progress is not None:
        rows = _counted(rows, progress, PROGRESS_ROWS)
    if file_format == "csv":
        return write_csv(resource.get_export_headers(), rows)
    return write_ledger_xlsx(column_specs(resource), rows, title=resource.title)


def template_notes(resource, specs: list[ColumnSpec]) -> list[list[str]]:
    """The 填写说明 sheet: what to do with the example row, the required columns, then each column with how to
    fill it in and its valid names."""
    valid = {spec.header: spec.options for spec in specs if spec.options}
    rows = [
        [gettext("Column"), gettext("How to fill it in")],
        [
            gettext("Example row"),
            gettext("Row 2 of the data sheet is an example: replace it with your own rows or delete it."),
        ],
        [gettext("Required columns"), "、".join(resource.required_headers) or gettext("none")],
    ]
    for header, text in resource.column_notes():
        if header in valid and len(valid[header]) and not any(name in text for name in valid[header][:1]):
            text = (text + " " if text else "") + gettext("Valid names: %(names)s") % {
                "names": "、".join(valid[header])
            }
        rows.append([header, text])
    return rows


def ledger_template(*, kind: str, user=None) -> bytes:
    """The import template of one kind: the headers, one example row, 填写说明 and the drop-down lists."""
    resource = resource_for(kind, user=user)
    specs = column_specs(resource)
    example = resource.example_row()
    row = [example.get(spec.header, "") for spec in specs]
    return write_ledger_xlsx(
        specs, [row], title=resource.title, required=resource.required_headers, notes=template_notes(resource, specs)
    )


def ledger_filename(*, kind: str, file_format: str = "xlsx", template: bool = False) -> str:
    title = resource_for(kind).title
    stamp = timezone.localdate().strftime("%Y%m%d")
    suffix = "导入模板" if template else stamp
    return f"{title}-{suffix}.{file_format}"


__all__ = [
    "ColumnSpec",
    "column_specs",
    "ledger_export",
    "ledger_filename",
    "ledger_rows",
    "ledger_template",
    "write_ledger_xlsx",
]
