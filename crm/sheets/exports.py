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
import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date

import xlsxwriter
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Manager, QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from openpyxl.utils import quote_sheetname
from xlsxwriter.utility import xl_col_to_name

from crm.querysets import key_chunks
from crm.sheets.files import cell_escape, write_csv
from crm.sheets.resources import resource_for
from crm.sheets.resources.widgets import (
    BoolWidget,
    CachedLookupWidget,
    ChoiceWidget,
    ManyWidget,
    MultiChoiceWidget,
    PrefetchedWidget,
    ReferenceWidget,
    TextWidget,
)
from crm.sheets.sheetdata import RowWriter, workbook_with_rows

NOTES_TITLE = "填写说明"
OPTIONS_TITLE = "选项"
LAST_ROW = 1048576  # Excel's last row: the drop-downs and the text format cover the whole column
TEXT_FORMAT = "@"
PROGRESS_ROWS = 1000  # a background export reports its progress every this many rows
EXPORT_CHUNK = 2000  # rows (and their prefetched relations) read per query
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
HEADER_FILL = "#DDEBF7"
REQUIRED_FILL = "#FCE4D6"


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
    """A streamed workbook: the data sheet, 填写说明 when ``notes`` are given, and the hidden 选项 sheet of the
    drop-down lists. XlsxWriter writes all of it but the data rows, which ``crm.sheets.sheetdata`` streams into
    the data sheet (through a temporary file, so a province-sized ledger does not grow the process) at a
    twentieth of XlsxWriter's cost a cell (issue 18)."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"constant_memory": True, "strings_to_numbers": False})
    sheet = workbook.add_worksheet(title[:31])
    sheet.freeze_panes(1, 0)
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
    text_format = workbook.add_format({"num_format": TEXT_FORMAT})
    date_format = workbook.add_format({"num_format": DATE_FORMAT})
    datetime_format = workbook.add_format({"num_format": DATETIME_FORMAT})
    for i, (spec, width) in enumerate(zip(specs, widths, strict=True)):
        # In pixels of Excel's default font (7 a character), so the stored width is exactly ``width`` characters.
        sheet.set_column_pixels(i, i, width * 7, text_format if spec.text else None)  # also the empty cells

    header_formats = {
        fill: workbook.add_format({"bold": True, "bg_color": fill, "pattern": 1, "valign": "vcenter"})
        for fill in (HEADER_FILL, REQUIRED_FILL)
    }
    for i, header in enumerate(headers):
        sheet.write_string(
            0, i, cell_escape(header), header_formats[REQUIRED_FILL if header in required else HEADER_FILL]
        )

    if notes:
        notes_sheet = workbook.add_worksheet(NOTES_TITLE)
        notes_sheet.set_column_pixels(0, 0, 28 * 7)
        notes_sheet.set_column_pixels(1, 1, 100 * 7)
        wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
        wrap_header = workbook.add_format(
            {"text_wrap": True, "valign": "top", "bold": True, "bg_color": HEADER_FILL, "pattern": 1}
        )
        for index, line in enumerate(notes):
            for column, value in enumerate(line):
                notes_sheet.write_string(index, column, cell_escape(str(value)), wrap_header if index == 0 else wrap)

    listed = [(i, spec) for i, spec in enumerate(specs) if spec.options]
    if listed:
        options = workbook.add_worksheet(OPTIONS_TITLE)
        options.hide()
        for position, (_i, spec) in enumerate(listed):
            options.write_string(0, position, spec.header)
        longest = max(len(spec.options) for _i, spec in listed)
        for n in range(1, longest + 1):
            for position, (_i, spec) in enumerate(listed):
                if n <= len(spec.options):
                    options.write_string(n, position, spec.options[n - 1])
        for position, (i, spec) in enumerate(listed):
            letter = xl_col_to_name(position)
            sheet.data_validation(
                1,
                i,
                LAST_ROW - 1,
                i,
                {
                    "validate": "list",
                    "source": f"={quote_sheetname(OPTIONS_TITLE)}!${letter}$2:${letter}${len(spec.options) + 1}",
                    "ignore_blank": True,
                    "show_input": False,
                    "show_error": not spec.several,
                    "error_title": gettext("Not a valid value"),
                    "error_message": gettext("Choose a value from the list."),
                },
            )

    # The data rows are written by crm.sheets.sheetdata (one f-string a cell instead of XlsxWriter's ~20 µs):
    # XlsxWriter's style index of each cell format is assigned here so that its styles part lists them.
    writer = RowWriter(
        text_columns=[spec.text for spec in specs],
        text_style=text_format._get_xf_index(),
        date_style=date_format._get_xf_index(),
        datetime_style=datetime_format._get_xf_index(),
        localtime=timezone.localtime,
    )
    workbook.close()
    return workbook_with_rows(
        buffer.getvalue(),
        sheet_part="xl/worksheets/sheet1.xml",
        rows=itertools.chain(buffered, iterator),
        writer=writer,
        first_row=2,
        last_column=len(specs) - 1,
    )


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


def _export_queryset(resource, queryset):
    queryset = resource.get_export_queryset(queryset)
    if isinstance(queryset, QuerySet) and queryset._prefetch_related_lookups and not queryset.query.order_by:
        queryset = queryset.order_by("pk")  # the order import-export's paged reading gave these ledgers
    return queryset


def ledger_rows(resource, queryset) -> Iterator[list]:
    """Native values (dates, numbers, text) of every exported row, in header order.

    Read as plain values (``_value_columns``) when every column allows it, else through model instances: in
    chunks of ``EXPORT_CHUNK`` by keyset (``iterator``, which keeps ``prefetch_related`` per chunk) rather than
    by OFFSET pages, whose cost grows with the page number on a province-sized list."""
    queryset = _export_queryset(resource, queryset)
    columns = _value_columns(resource) if isinstance(queryset, QuerySet) else None
    if columns is not None:
        yield from _value_rows(columns, queryset)
        return
    yield from instance_rows(resource, queryset)


def instance_rows(resource, queryset) -> Iterator[list]:
    """The rows through model instances and each column's ``export_field`` (the reference the fast path of
    ``_value_rows`` is tested against)."""
    names = {id(field): name for name, field in resource.fields.items()}
    readers = [_cell_reader(resource, names[id(field)], field) for field in resource.get_export_fields()]
    rows = queryset.iterator(chunk_size=EXPORT_CHUNK) if isinstance(queryset, QuerySet) else queryset
    for obj in rows:
        yield [read(obj) for read in readers]


class _Objects:
    """Objects of a reference column's model by primary key, fetched for a chunk of rows at a time (once each)."""

    def __init__(self, widget):
        self.widget = widget
        self.by_pk: dict = {}
        manager = widget.model._default_manager
        self.queryset = manager.only(*widget.only_fields()) if isinstance(widget, PrefetchedWidget) else manager.all()

    def load(self, pks) -> None:
        missing = list({pk for pk in pks if pk is not None and pk not in self.by_pk})
        for chunk in key_chunks(missing):
            for obj in self.queryset.filter(pk__in=chunk):
                self.by_pk[obj.pk] = obj


@dataclass
class _ValueColumn:
    """One export column read from ``values()``: ``lookup`` (a field path) rendered by the column's widget; a
    foreign key through the objects of ``objects``; a many-to-many field through ``many`` (its related model's
    rows of each chunk, in that model's order, as ``prefetch_related`` gives them)."""

    widget: object
    lookup: str | None = None
    objects: _Objects | None = None
    many: object = None  # the many-to-many model field


def _value_columns(resource) -> list[_ValueColumn] | None:
    """The resource's export columns as value reads, or None when one needs a model instance (a ``dehydrate``
    method, a property, a path through a many-to-many relation)."""
    columns = []
    model = resource._meta.model
    names = {id(field): name for name, field in resource.fields.items()}
    for field in resource.get_export_fields():
        name = names[id(field)]
        if callable(field.dehydrate_method) or getattr(resource, field.get_dehydrate_method(name), None):
            return None
        if field.attribute is None:
            return None
        widget = field.widget
        path = field.attribute.split("__")
        current, model_field = model, None
        for position, part in enumerate(path):
            try:
                model_field = current._meta.get_field(part)
            except FieldDoesNotExist:
                return None
            last = position == len(path) - 1
            if model_field.many_to_many or model_field.one_to_many:
                if not (last and position == 0 and model_field.many_to_many and not model_field.auto_created):
                    return None
            elif model_field.is_relation and not last:
                current = model_field.related_model
        if model_field.many_to_many:
            if not isinstance(widget, ManyWidget) or not isinstance(widget.single, CachedLookupWidget):
                return None
            columns.append(_ValueColumn(widget=widget, many=model_field, objects=_Objects(widget.single)))
        elif model_field.is_relation:
            if not isinstance(widget, CachedLookupWidget) or not model_field.concrete:
                return None
            columns.append(_ValueColumn(widget=widget, lookup=field.attribute, objects=_Objects(widget)))
        elif model_field.concrete and not isinstance(widget, CachedLookupWidget | ManyWidget):
            columns.append(_ValueColumn(widget=widget, lookup=field.attribute))
        else:
            return None
    return columns


def _value_rows(columns: list[_ValueColumn], queryset) -> Iterator[list]:
    """The rows of ``instance_rows`` from one ``values_list`` query (plus one per chunk for each many-to-many
    column and for the references not met before): no model instance per row, each reference rendered once.

    A chunk is built column by column (one comprehension per column, each widget's ``render`` called without
    per-cell branching), then turned into rows: a province's ledger has two million cells."""
    lookups = list(dict.fromkeys(["pk", *(c.lookup for c in columns if c.lookup)]))
    position = {lookup: i for i, lookup in enumerate(lookups)}
    queryset = queryset.select_related(None).prefetch_related(None).values_list(*lookups)
    rendered: list[dict] = [{} for _column in columns]

    def flush(chunk: list[tuple]) -> Iterator[list]:
        pks = [values[0] for values in chunk]
        cells = []
        for column, memo in zip(columns, rendered, strict=True):
            if column.many is not None:
                found = _many_links(column.many, pks)
                column.objects.load(pk for many in found.values() for pk in many)
                keys = [tuple(found.get(pk, ())) for pk in pks]
                for key in set(keys).difference(memo):
                    memo[key] = column.widget.render([column.objects.by_pk[pk] for pk in key])
                cells.append(list(map(memo.__getitem__, keys)))
            elif column.objects is not None:
                index = position[column.lookup]
                keys = [values[index] for values in chunk]
                missing = set(keys).difference(memo)
                column.objects.load(missing)
                for key in missing:
                    memo[key] = column.widget.render(None if key is None else column.objects.by_pk[key])
                cells.append(list(map(memo.__getitem__, keys)))
                if isinstance(column.widget, PrefetchedWidget):  # a big table's objects: keep only their text
                    column.objects.by_pk.clear()
            else:
                index = position[column.lookup]
                cells.append(list(map(column.widget.render, [values[index] for values in chunk])))
        return map(list, zip(*cells, strict=True))

    chunk: list[tuple] = []
    for values in queryset.iterator(chunk_size=EXPORT_CHUNK):
        chunk.append(values)
        if len(chunk) >= EXPORT_CHUNK:
            yield from flush(chunk)
            chunk = []
    if chunk:
        yield from flush(chunk)


def _many_links(field, pks: list) -> dict:
    """Owner pk → the pks (at least one) of its many-to-many ``field``'s related rows, in the related model's order (as
    ``prefetch_related`` gives them). The owners of one chunk usually have neighbouring pks (ledgers are read
    in pk order): then they are fetched by range, two query parameters instead of one per owner, and the links
    of owners outside the chunk are dropped."""
    related = field.related_query_name()
    manager = field.related_model._default_manager
    found: dict = {}  # owners without links are left out; owners outside the chunk are never asked for
    low, high = min(pks), max(pks)
    if isinstance(low, int) and isinstance(high, int) and high - low < 2 * len(pks):
        links = manager.filter(**{f"{related}__gte": low, f"{related}__lte": high})
    else:
        links = manager.filter(**{f"{related}__in": pks})
    for owner, pk in links.values_list(related, "pk"):
        many = found.get(owner)
        if many is None:
            found[owner] = [pk]
        else:
            many.append(pk)
    return found


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
