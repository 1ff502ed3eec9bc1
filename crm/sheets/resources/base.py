"""The base of the ledger resources (DESIGN §8.4), shared by the commands, /imports/, the list-page exports
and the admin.

The column headers are plain Chinese strings: they are a data contract with the bureau's spreadsheets,
not UI text, so they are not translated. Enumerations are written with their Chinese label (§3.1) and
read by label or value; regions, chains and qualifications by name or code; people by user name or name.

Import speed (≤ 5 s for 10 000 enterprises): ``use_bulk`` with a batch size, ``skip_diff``, existing
records fetched by key in ``before_import`` into a dict, reference look-ups cached per import, foreign keys
resolved from those caches (and left out of ``full_clean``, whose FK check would query once per cell),
uniqueness checked against the dicts instead of per row, and saves as plain parameter lists with their
history rows (crm/sheets/resources/bulk.py) so imported changes appear in the history.
Many-to-many columns are written in bulk through their through tables after the rows are saved.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import connections, models, router, transaction
from django.db.models import F
from django.db.models.base import ModelState
from django.db.models.fields import NOT_PROVIDED
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export import exceptions, fields, resources, widgets
from import_export.results import RowResult

from crm.models import (
    CodeSequence,
    IndustryChain,
    Qualification,
    Region,
)
from crm.querysets import key_chunks
from crm.sheets.files import cell_unescape, dataset_escape
from crm.sheets.resources.bulk import HistoryRows, RowsInsert, RowsUpdate, links_delete
from crm.sheets.resources.undo import UndoJournal, import_undo, write_pause
from crm.sheets.resources.widgets import (
    CHANGE_REASON,
    BoolWidget,
    CachedLookupWidget,
    ChoiceWidget,
    CreditCodeWidget,
    DateWidget,
    DecimalWidget,
    EnterpriseWidget,
    IntWidget,
    ManyWidget,
    MultiChoiceWidget,
    PrefetchedWidget,
    ReferenceWidget,
    TextWidget,
    is_blank,
    norm,
)
from crm.validators import credit_code_check_char

logger = logging.getLogger(__name__)

# ------------------------------------------------------------------------------------------- resources

MEMO_LIMIT = 5000  # distinct values remembered per column (and per model field in validate_instance)
# Cell types whose equal values read alike; a Decimal is left out (1.0 == 1.00 but has other decimal places).
MEMO_TYPES = (str, int, float, bool, date, datetime, type(None))


def _memo() -> dict[type, dict]:
    return {kind: {} for kind in MEMO_TYPES}


def _memo_for(field: fields.Field) -> dict | None:
    """A memo for a column whose widget reads the cell alone (not the enterprise finder), else None."""
    if field.default is not NOT_PROVIDED or getattr(field.widget, "uses_row", True):
        return None
    return _memo()


@dataclass(frozen=True, slots=True)
class _Refused:
    """A cell value a widget refused, remembered with its message."""

    message: str


@dataclass(frozen=True, slots=True)
class _Invalid:
    """A model field value ``clean_fields`` refused, remembered with its errors."""

    errors: tuple


def _cell_read(widget, memo: dict | None, cell, row, limit: int | None = MEMO_LIMIT):
    """``widget.clean(cell)``, or what it gave for the same value earlier in this import; a refusal is
    returned as ``_Refused``. ``limit``: the values remembered (None: all, for the key column)."""
    cache = memo.get(type(cell)) if memo is not None else None
    if cache is not None and cell in cache:
        value = cache[cell]
    else:
        try:
            value = widget.clean(cell, row=row)
        except ValueError as error:
            value = _Refused(str(error))
        if cache is not None and (limit is None or len(cache) < limit):
            cache[cell] = value
    return list(value) if type(value) is list else value


def col(header: str, attribute: str, widget, **kwargs) -> fields.Field:
    return fields.Field(attribute=attribute, column_name=header, widget=widget, **kwargs)


def text(header: str, attribute: str, upper: bool = False, **kwargs) -> fields.Field:
    return col(header, attribute, TextWidget(upper=upper), **kwargs)


def credit_code_col(header: str = "统一社会信用代码", attribute: str = "credit_code") -> fields.Field:
    return col(header, attribute, CreditCodeWidget())


def flag(header: str, attribute: str) -> fields.Field:
    return col(header, attribute, BoolWidget(), saves_null_values=False)


def choice(header: str, attribute: str, choices_class, blank: bool = False) -> fields.Field:
    return col(header, attribute, ChoiceWidget(choices_class, blank=blank), saves_null_values=blank)


def region_col(header: str = "所属区县", attribute: str = "region") -> fields.Field:
    return col(header, attribute, ReferenceWidget(Region, _("No region is called or coded “%(value)s”.")))


CHAIN_UNKNOWN = _("No industry chain is called or coded “%(value)s”.")


def chain_col(header: str = "所属产业链", attribute: str = "industry_chain") -> fields.Field:
    return col(header, attribute, ReferenceWidget(IndustryChain, CHAIN_UNKNOWN))


def regions_many(header: str, attribute: str) -> fields.Field:
    return col(header, attribute, ManyWidget(ReferenceWidget(Region, _("No region is called or coded “%(value)s”."))))


def chains_many(header: str, attribute: str) -> fields.Field:
    return col(
        header,
        attribute,
        ManyWidget(ReferenceWidget(IndustryChain, _("No industry chain is called or coded “%(value)s”."))),
    )


def qualifications_many(header: str, attribute: str) -> fields.Field:
    return col(
        header,
        attribute,
        ManyWidget(ReferenceWidget(Qualification, _("No qualification is called or coded “%(value)s”."))),
    )


def normalize_header(value) -> str:
    """Header spelling as compared: full-width brackets → ASCII, no blanks, no required-marker star."""
    text_ = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value if value is not None else "")))
    return cell_unescape(text_).rstrip("*").lstrip("*")


IGNORED_HEADERS = {"序号", "序", "编号序", "no.", "no", "#"}


@dataclass
class HeaderCheck:
    headers: list[str]  # canonical header per column; "" for a column that is ignored
    unknown: list[str]
    missing: list[str]
    duplicated: list[str]


def _codes_reserve(prefix: str, count: int) -> list[str]:
    """Hand out ``count`` consecutive codes of this year in one step (same rules as ``code_next``)."""
    year = timezone.localdate().year
    with transaction.atomic():
        sequence, _created = CodeSequence.objects.select_for_update().get_or_create(prefix=prefix, year=year)
        first = sequence.last_value + 1
        CodeSequence.objects.filter(pk=sequence.pk).update(last_value=F("last_value") + count)
    return [f"{prefix}-{year}-{n:04d}" for n in range(first, first + count)]


class LedgerResource(resources.ModelResource):
    """Shared machinery: header checks, dict look-ups, bulk saves with history, bulk many-to-many."""

    kind = ""
    title = ""  # sheet title and file name, e.g. 企业台账
    key: str | None = None  # declared field that identifies an existing record
    key_lookup = "pk"  # model lookup of that key
    key_required = False  # True: a row without the key is refused (enterprises); else it is created
    required_headers: tuple[str, ...] = ()
    aliases: dict[str, str] = {}
    notes: dict[str, str] = {}  # column → extra explanation for the template's notes sheet
    # Columns whose example-row value marks the template's example row (EXAMPLE_CREDIT_CODE, EXAMPLE_ENTERPRISE,
    # or a name starting with EXAMPLE_PREFIX).
    example_columns: tuple[str, ...] = ()
    export_select_related: tuple[str, ...] = ()
    export_prefetch_related: tuple[str, ...] = ()

    class Meta:
        use_bulk = True
        batch_size = 1000
        skip_diff = True
        skip_html_diff = True
        clean_model_instances = True
        use_transactions = True
        report_skipped = True
        chunk_size = 2000
        import_id_fields = ()

    def __init__(self, user=None, **kwargs):
        super().__init__(**kwargs)
        self.user = user if (user is not None and getattr(user, "is_authenticated", False)) else None
        self.progress = None
        self._row_numbers: list[int] | None = None
        self._current = 0
        self._existing: dict = {}
        self._visible: set | None = None
        self._seen: dict = {}
        self._m2m_current: dict[str, dict[int, set]] = {}
        self._present: list[tuple[str, fields.Field]] = []
        self._present_m2m: list[tuple[str, fields.Field]] = []
        self._m2m_memos: list[dict | None] = []
        self._key_memo: dict | None = None
        self._clean_memo: dict[type, tuple] = {}
        self._update_fields: list[str] = []
        self._failed = False
        self._header_failed = False
        self._pending_create: list = []
        self._new_template: tuple | None = None
        self._pending_update: list = []
        self._code_only: list[tuple[str, fields.Field]] = []
        self._plan: list[tuple] = []
        self._snapshot: list = []
        self._row_changes: list[dict] = []
        self.journal: UndoJournal | None = None  # set while a background import writes one of its transactions
        self.undo_left: list[str] = []  # records an undo left as they are (changed or referred to since)
        self._bind_user()
        self._bind_multiline()

    # --- headers ---------------------------------------------------------------------------------

    @classmethod
    def header_map(cls) -> dict[str, str]:
        """Normalised spelling → canonical header (the headers themselves and their aliases)."""
        mapping = {normalize_header(f.column_name): f.column_name for f in cls.fields.values()}
        for alias, header in cls.aliases.items():
            mapping.setdefault(normalize_header(alias), header)
        return mapping

    @classmethod
    def ordered_fields(cls) -> list[tuple[str, fields.Field]]:
        """Declared fields in the column order of ``Meta.fields`` (the export and template order)."""
        return [(name, cls.fields[name]) for name in cls._meta.fields]

    @classmethod
    def expected_headers(cls) -> list[str]:
        return [f.column_name for _name, f in cls.ordered_fields()]

    @classmethod
    def check_headers(cls, raw_headers, column_has_data=None) -> HeaderCheck:
        mapping = cls.header_map()
        canonical, unknown, duplicated, seen = [], [], [], set()
        for i, raw in enumerate(raw_headers):
            spelled = normalize_header(raw)
            if not spelled:
                if column_has_data and column_has_data[i]:
                    unknown.append(gettext("(column %(n)s without a header)") % {"n": i + 1})
                canonical.append("")
                continue
            header = mapping.get(spelled)
            if header is None:
                if spelled.casefold() not in IGNORED_HEADERS:
                    unknown.append(str(raw).strip())
                canonical.append("")
                continue
            if header in seen:
                duplicated.append(header)
                canonical.append("")
                continue
            seen.add(header)
            canonical.append(header)
        missing = [h for h in cls.required_headers if h not in seen]
        return HeaderCheck(canonical, unknown, missing, duplicated)

    def header_for(self, key: str) -> str:
        """The column header an error key (a field attribute or model field name) belongs to."""
        if key == NON_FIELD_ERRORS:
            return ""
        for field in self.fields.values():
            attribute = field.attribute or ""
            if key in (attribute, attribute.removesuffix("_id")) and not field.readonly:
                return field.column_name
        for field in self.fields.values():
            if key == (field.attribute or "").split("__")[0]:
                return field.column_name
        return ""

    # --- set-up per import -----------------------------------------------------------------------

    def _bind_user(self) -> None:
        for field in self.fields.values():
            for widget in (field.widget, getattr(field.widget, "single", None)):
                if isinstance(widget, CachedLookupWidget):
                    widget.user = self.user

    def _bind_multiline(self) -> None:
        """Text columns of a TextField keep their line breaks; every other text column is one line."""
        model = self._meta.model
        for field in self.fields.values():
            if isinstance(field.widget, TextWidget) and field.attribute and "__" not in field.attribute:
                try:
                    model_field = model._meta.get_field(field.attribute)
                except Exception:  # a column without a model field of that name
                    continue
                field.widget.multiline = isinstance(model_field, models.TextField)

    def is_example(self, row) -> bool:
        for header in self.example_columns:
            value = row.get(header) if hasattr(row, "get") else None
            if not isinstance(value, str):
                continue
            # Cheap test first: this runs for every row of a 50 000-row file.
            if "示例" not in value and EXAMPLE_CREDIT_CODE[2:8] not in value:
                continue
            text = norm(value)
            if text in EXAMPLE_KEYS or text.startswith(EXAMPLE_KEYS[-1]):
                return True
        return False

    def sheet_row(self, number: int) -> int:
        """Spreadsheet row (header = row 1) of the dataset's 1-based row ``number``."""
        if self._row_numbers and 0 < number <= len(self._row_numbers):
            return self._row_numbers[number - 1]
        return number + 1

    def scoped_queryset(self):
        qs = self._meta.model._default_manager.all()
        if hasattr(qs, "visible_to") and self.user is not None:
            return qs.visible_to(self.user)
        return qs

    def get_queryset(self):
        return self.scoped_queryset()

    def _check_import_id_fields(self, headers):
        # Header checks are done by check_headers(); a missing optional key column means "create".
        return

    def before_import(self, dataset, **kwargs):
        if self.user is None and getattr(kwargs.get("user"), "is_authenticated", False):
            self.user = kwargs["user"]
            self._bind_user()
        self._row_numbers = kwargs.get("row_numbers")
        self.progress = kwargs.get("progress")
        check = self.check_headers(dataset.headers or [])
        if check.unknown or check.missing or check.duplicated:
            self._failed = self._header_failed = True
            raise ValueError(header_problem_text(self, check))
        if list(dataset.headers) != check.headers:
            dataset.headers = check.headers
        present = set(check.headers) - {""}
        self._present, self._present_m2m, self._code_only = [], [], []
        for name, field in self.fields.items():
            if field.readonly:
                continue
            if field.column_name in present:
                if isinstance(field.widget, widgets.ManyToManyWidget):
                    self._present_m2m.append((name, field))
                else:
                    self._present.append((name, field))
            elif isinstance(field.widget, EnterpriseWidget) and field.widget.code_column in present:
                # Only the credit-code column is there: the enterprise is found by it alone.
                self._present.append((name, field))
                self._code_only.append((name, field))
        model_fields = {f.name for f in self._meta.model._meta.concrete_fields}
        self._update_fields = [
            f.attribute for name, f in self._present if f.attribute in model_fields and name != self.key
        ]
        code_only = {name for name, _f in self._code_only}
        # A cell's value reads the same in every row of one import (the look-ups are cached per import), so
        # each column remembers what its distinct values read as; the enterprise finder reads another column.
        self._plan = [
            (f.column_name, f.attribute, f.widget, f.saves_null_values, _memo_for(f))
            for name, f in self._present
            if name not in code_only
        ]
        self._m2m_memos = [_memo_for(field) for _name, field in self._present_m2m]
        self._clean_memo = {}
        names = {f.attribute for _n, f in self._present}
        self._snapshot = [f for f in self._meta.model._meta.concrete_fields if f.name in names]
        self._prefetch(dataset)

    def _column(self, dataset, header) -> list:
        index = dataset.headers.index(header)
        return [row[index] for row in dataset]

    def _prefetch(self, dataset) -> None:
        headers = set(dataset.headers)
        for _name, field in self.fields.items():
            widget = field.widget
            if not isinstance(widget, PrefetchedWidget):
                continue
            values = self._column(dataset, field.column_name) if field.column_name in headers else []
            if isinstance(widget, EnterpriseWidget) and widget.code_column in headers:
                values += self._column(dataset, widget.code_column)
            if values:
                widget.prefetch(values)
        self._existing = {}
        if self.key and self.fields[self.key].column_name in headers:
            key_field = self.fields[self.key]
            # The key column is read here once per distinct value; get_instance() and the row's own cells
            # find the results in the same memo.
            self._key_memo = next((m for _c, a, _w, _s, m in self._plan if a == key_field.attribute), None)
            if self._key_memo is None:
                self._key_memo = _memo_for(key_field)
            keys = set()
            for value in self._column(dataset, key_field.column_name):
                cleaned = _cell_read(key_field.widget, self._key_memo, value, None, limit=None)
                if type(cleaned) is not _Refused and not is_blank(cleaned):
                    keys.add(cleaned)
            keys = sorted(keys)
            model = self._meta.model
            for chunk in key_chunks(keys):
                for obj in model._default_manager.filter(**{f"{self.key_lookup}__in": chunk}):
                    self._existing[getattr(obj, self.key_lookup)] = obj
            self._visible = None
            if self.user is not None and hasattr(model._default_manager.all(), "visible_to"):
                ids = [obj.pk for obj in self._existing.values()]
                self._visible = set()
                for chunk in key_chunks(ids):
                    self._visible.update(
                        model._default_manager.visible_to(self.user).filter(pk__in=chunk).values_list("pk", flat=True)
                    )
        self._m2m_current = {}
        existing_ids = [obj.pk for obj in self._existing.values()]
        for _name, field in self._present_m2m:
            through, source, target = self._through(field.attribute)
            current: dict[int, dict] = {}  # owner id → {target id: through row id}
            for chunk in key_chunks(existing_ids):
                rows = through.objects.filter(**{f"{source}__in": chunk})
                for link_id, owner_id, target_id in rows.values_list("pk", source, target):
                    current.setdefault(owner_id, {})[target_id] = link_id
            self._m2m_current[field.attribute] = current

    def _through(self, attribute: str):
        m2m = self._meta.model._meta.get_field(attribute)
        return m2m.remote_field.through, m2m.m2m_field_name() + "_id", m2m.m2m_reverse_field_name() + "_id"

    # --- one row ---------------------------------------------------------------------------------

    def import_row(self, row, instance_loader, **kwargs):
        """One row: the per-row hooks of django-import-export's ``import_row`` that the ledgers use, in the
        same order, without its per-row set-up (diff objects, deletes, hooks no ledger defines)."""
        self._current = number = kwargs.get("row_number", 0)
        if self.progress and number % 500 == 0:
            self.progress(number)
        row_result = self.get_row_result_class()()
        if self._header_failed or all(is_blank(v) for v in row.values()):
            row_result.import_type = RowResult.IMPORT_TYPE_SKIP
            return row_result
        self._row_changes = []
        try:
            instance = self.get_instance(instance_loader, row)
            new = not instance
            if new:
                instance = self.init_instance(row)
            row_result.import_type = RowResult.IMPORT_TYPE_NEW if new else RowResult.IMPORT_TYPE_UPDATE
            import_validation_errors = {}
            try:
                self.import_instance(instance, row, **kwargs)
            except ValidationError as error:  # joined with the model's own in validate_instance()
                import_validation_errors = error.update_error_dict(import_validation_errors)
            if self.skip_row(instance, None, row, import_validation_errors):
                row_result.import_type = RowResult.IMPORT_TYPE_SKIP
            else:
                self.validate_instance(instance, import_validation_errors)
                self.before_save_instance(instance, row, **kwargs)
                (self.create_instances if new else self.update_instances).append(instance)
            row_result.object_id = instance.pk
        except ValidationError as error:
            row_result.import_type = RowResult.IMPORT_TYPE_INVALID
            row_result.validation_error = error
        except Exception as error:  # reported on the row (Problem without a column), as the library does
            row_result.import_type = RowResult.IMPORT_TYPE_ERROR
            row_result.errors.append(self.get_error_result_class()(error, row=row, number=number))
        if row_result.import_type in (RowResult.IMPORT_TYPE_INVALID, RowResult.IMPORT_TYPE_ERROR):
            self._failed = True
        row_result.changes = self._row_changes if row_result.import_type == RowResult.IMPORT_TYPE_UPDATE else []
        return row_result

    def _rows_check(self, dataset, raise_errors: bool, **kwargs):
        """django-import-export's ``import_data_inner`` for the ledgers: the same ``Result`` (totals, rows,
        invalid and error rows) from a plain loop — no transaction per row, no ``OrderedDict``, no batch
        bookkeeping; the rows are only collected here and written by ``rows_write``."""
        result = self.get_result_class()()
        result.diff_headers = self.get_diff_headers()
        try:
            self.before_import(dataset, **kwargs)
        except Exception as error:
            self.handle_import_error(result, error, raise_errors)
        result.total_rows = len(dataset)
        headers = dataset.headers
        for number, values in enumerate(dataset, 1):
            row = dict(zip(headers, values, strict=True))
            kwargs["row_number"] = number
            row_result = self.import_row(row, None, **kwargs)
            result.increment_row_result_total(row_result)
            if row_result.errors:
                result.append_error_row(number, row, row_result.errors)
                if raise_errors:
                    raise exceptions.ImportError(row_result.errors[-1].error, number=number, row=row)
            elif row_result.validation_error:
                result.append_invalid_row(number, row, row_result.validation_error)
                if raise_errors:
                    raise exceptions.ImportError(row_result.validation_error, number=number, row=row)
            result.append_row_result(row_result)
        self.bulk_create(False, False, raise_errors, result=result)
        self.bulk_update(False, False, raise_errors, result=result)
        self.bulk_delete(False, False, raise_errors, result=result)
        return result

    def get_instance(self, instance_loader, row):
        if not self.key:
            return None
        key_field = self.fields[self.key]
        if key_field.column_name not in row:
            return None
        key = _cell_read(key_field.widget, self._key_memo, row[key_field.column_name], row, limit=None)
        if type(key) is _Refused:
            return None  # reported by the field itself when it is imported
        if is_blank(key):
            return None
        here = self.sheet_row(self._current)
        first = self._seen.setdefault(key, here)
        if first != here:
            raise ValidationError(
                {
                    key_field.attribute: _("Row %(row)s has the same %(column)s; each record may appear once.")
                    % {"row": first, "column": key_field.column_name}
                }
            )
        obj = self._existing.get(key)
        if obj is not None and (self._visible is None or obj.pk in self._visible):
            return obj
        if obj is not None or not self.key_required:
            raise ValidationError({key_field.attribute: self.not_found_message(key, exists=obj is not None)})
        return None

    def not_found_message(self, key, exists: bool):
        return _("Nothing in your area has the code “%(value)s”; leave the cell empty to create a new record.") % {
            "value": key
        }

    def init_instance(self, row=None):
        """A new record as ``Model()`` makes it, copied from one made once per import: ``Model.__init__``
        walks every field (a tenth of an import's time). Fields with a callable default (a timestamp, a new
        list or dict) get their own value per record, as ``__init__`` would give them."""
        if self._new_template is None:
            template = self._meta.model()
            if self.user is not None:
                template.created_by = self.user
                if hasattr(template, "bureau_id") and self.user.bureau_id:
                    template.bureau_id = self.user.bureau_id
            fresh = [
                (f.attname, f.get_default)
                for f in template._meta.concrete_fields
                if f.has_default() and callable(f.default)
            ]
            self._new_template = (template, fresh)
        template, fresh = self._new_template
        model = type(template)
        instance = model.__new__(model)
        instance.__dict__.update(template.__dict__)
        instance._state = ModelState()
        instance._state.fields_cache = dict(template._state.fields_cache)
        for attname, default in fresh:
            instance.__dict__[attname] = default()
        return instance

    def import_instance(self, instance, row, **kwargs):
        instance._import_example = self.is_example(row)
        if instance._import_example:
            raise ValidationError({NON_FIELD_ERRORS: [ValidationError(EXAMPLE_MESSAGE, code="example_row")]})
        errors = {}
        instance._import_snapshot = (
            {f.attname: getattr(instance, f.attname) for f in self._snapshot} if instance.pk else None
        )
        if instance.pk:
            self.existing_checks(instance, errors)
        # The library's field loop, without its per-cell overhead (this runs 200 000 times for 10 000 rows).
        for column, attribute, widget, saves_null, memo in self._plan:
            value = _cell_read(widget, memo, row[column], row)
            if type(value) is _Refused:
                errors[attribute] = [ValidationError(value.message, code="cell")]
                continue
            if value is not None or saves_null:
                setattr(instance, attribute, value)
        for _name, field in self._code_only:
            try:
                setattr(instance, field.attribute, field.widget.clean(None, row=row))
            except ValueError as error:
                errors.setdefault(field.attribute, []).append(str(error))
        pending = {}
        for (_name, field), memo in zip(self._present_m2m, self._m2m_memos, strict=True):
            value = _cell_read(field.widget, memo, row[field.column_name], row)
            if type(value) is _Refused:
                errors.setdefault(field.attribute, []).append(value.message)
            else:
                pending[field.attribute] = value
        instance._import_m2m = pending
        self.row_checks(instance, row, errors)
        if errors:
            raise ValidationError(errors)

    def existing_checks(self, instance, errors: dict) -> None:
        """Checks of an existing record as it is stored, before the row's cells are applied to it."""

    def row_checks(self, instance, row, errors: dict) -> None:
        """Rules beyond the model's own validation; add messages to ``errors`` by field name."""

    def skip_row(self, instance, original, row, import_validation_errors=None):
        # An existing record whose cells all equal what is stored is left alone (no history entry).
        snapshot = getattr(instance, "_import_snapshot", None)
        if import_validation_errors or snapshot is None:
            return False
        self._row_changes = self.row_changes(instance)
        return not self._row_changes

    def row_changes(self, instance) -> list[dict]:
        """Each cell an update changes: column header, stored value → the row's value, as the ledger shows them
        (the preview on /imports/ lists them)."""
        snapshot = getattr(instance, "_import_snapshot", None) or {}
        model = self._meta.model
        changes = []
        for _name, field in self._present:
            try:
                model_field = model._meta.get_field(field.attribute)
            except Exception:
                continue
            attname = model_field.attname
            if attname not in snapshot or snapshot[attname] == getattr(instance, attname):
                continue
            old, new = snapshot[attname], getattr(instance, attname)
            changes.append(
                {
                    "column": field.column_name,
                    "old": self._shown(field.widget, model_field, old),
                    "new": self._shown(field.widget, model_field, new),
                }
            )
        for attribute, objs in instance._import_m2m.items():
            before = set(self._m2m_current.get(attribute, {}).get(instance.pk, {}))
            if {o.pk for o in objs} == before:
                continue
            field = next(f for _n, f in self._present_m2m if f.attribute == attribute)
            single = field.widget.single
            old_labels = sorted(single.label(o) if (o := single.by_pk(pk)) else str(pk) for pk in before)
            changes.append(
                {
                    "column": field.column_name,
                    "old": "、".join(old_labels),
                    "new": "、".join(single.label(o) for o in objs),
                }
            )
        return changes

    @staticmethod
    def _shown(widget, model_field, value) -> str:
        if value is None or value == "":
            return ""
        if model_field.is_relation:
            obj = widget.by_pk(value) if isinstance(widget, CachedLookupWidget) else None
            return widget.label(obj) if obj is not None else str(value)
        shown = widget.render(value)
        if hasattr(shown, "isoformat"):
            return shown.isoformat()
        if isinstance(shown, list):
            return "、".join(map(str, shown))
        return format(shown, "f") if hasattr(shown, "as_tuple") else str(shown)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        if getattr(instance, "_import_example", False):  # only "delete the example row", not its other cells
            raise ValidationError({NON_FIELD_ERRORS: [str(EXAMPLE_MESSAGE)]})
        errors = dict(import_validation_errors or {})
        # What follows is worked out once per model and import (it ran per row: a tenth of the check's time).
        plan = self._clean_memo.get(type(instance))
        if plan is None:
            model_fields = instance._meta.concrete_fields
            relations = [f for f in model_fields if f.is_relation]
            memos = [(f, f.name, f.attname, _memo()) for f in model_fields if not f.is_relation]
            plan = self._clean_memo[type(instance)] = (relations, frozenset(f.name for f in relations), memos)
        relations, relation_names, memos = plan
        # Foreign keys come from the per-import caches, so they exist: ForeignKey.validate() would query
        # once per cell. Only the "required" part of their validation is kept, here.
        exclude = relation_names.union(errors)
        # full_clean() without unique and constraint checks, in its two steps. A field's own validation
        # (to_python, blank/choices, validators) depends on its value alone, so a value met earlier in this
        # import is not validated again: ledgers repeat 是/否, 经营状态, 党组织, names of people, dates.
        remembered, fresh = set(), []
        values = instance.__dict__
        for field, name, attname, memo in memos:
            if name in exclude:
                continue
            raw = values[attname] if attname in values else getattr(instance, attname)
            cache = memo.get(type(raw))
            if cache is None:
                continue
            if raw not in cache:
                if len(cache) < MEMO_LIMIT:
                    fresh.append((field, cache, raw))
                continue
            remembered.add(name)
            outcome = cache[raw]
            if type(outcome) is _Invalid:
                errors[name] = list(outcome.errors)
            elif outcome is not raw:
                setattr(instance, attname, outcome)
        field_errors = {}
        try:
            instance.clean_fields(exclude=exclude | remembered)
        except ValidationError as error:
            field_errors = error.update_error_dict({})
        for field, cache, raw in fresh:
            found = field_errors.get(field.name)
            cache[raw] = _Invalid(tuple(found)) if found else getattr(instance, field.attname)
        for name, found in field_errors.items():
            errors.setdefault(name, []).extend(found)
        try:
            instance.clean()
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        for field in relations:
            if field.name not in errors and not field.blank and getattr(instance, field.attname) is None:
                errors[field.name] = [ValidationError(_("This cell is required."), code="required")]
        if errors:
            raise ValidationError(friendly_errors(errors, self.header_for, type(instance)))

    # --- saving in bulk --------------------------------------------------------------------------

    def before_save_instance(self, instance, row, **kwargs):
        if instance.pk:
            instance.updated_at = timezone.now()

    def prepare_create(self, objs: list) -> bool:
        """Fill the codes ``save()`` would have filled (bulk inserts skip save()); True when any was filled."""
        prefix = getattr(self._meta.model, "CODE_PREFIX", "")
        if not prefix:
            return False
        without = [o for o in objs if not o.code]
        for obj, code in zip(without, _codes_reserve(prefix, len(without)), strict=True):
            obj.code = code
        return bool(without)

    def after_create(self, objs: list) -> None:
        """Write what the kind's create service writes besides the record (e.g. a need's first event)."""

    def after_update(self, objs: list) -> None:
        """Write what the kind's update service writes besides the record."""

    def extra_update_fields(self) -> list[str]:
        return ["updated_at"]

    # --- checking, then writing in one short transaction ----------------------------------------------

    def import_data(self, dataset, dry_run=False, raise_errors=False, use_transactions=None, **kwargs):
        """Check every row outside any transaction, then write them all in one short atomic block.

        The checks read through the per-import dicts and never write, so they hold no lock: on SQLite (whose
        transactions take the single write lock at BEGIN, ``transaction_mode=IMMEDIATE``) an officer saving a
        visit is not kept waiting while 50 000 rows are validated. The rows are only collected meanwhile
        (``bulk_create``/``bulk_update``); if every row is valid and this is not a dry run they are written
        by ``rows_write`` — all of them or, if the database refuses any, none. A dry run writes nothing at all
        (no rollback-based preview). ``on_write``: a callable run inside the same atomic block after the
        rows, so that e.g. an upload's status changes with them.
        """
        on_write = kwargs.pop("on_write", None)
        undo_job = kwargs.pop("undo_job", None)
        kwargs.pop("rollback_on_validation_errors", None)
        self._pending_create, self._pending_update = [], []
        # No transaction while checking (the library would wrap a dry run in one it rolls back, holding the
        # lock): nothing is written before rows_write() anyway.
        result = self._rows_check(dataset, raise_errors, **kwargs)
        if dry_run or self._failed or result.has_errors() or result.has_validation_errors():
            self._pending_create, self._pending_update = [], []
            return result
        try:
            self.rows_write(result, on_write=on_write, undo_job=undo_job, **kwargs)
        except Exception as error:  # reported as a problem of the whole file; nothing is kept
            self._failed = True
            self.handle_import_error(result, error, raise_errors)
        return result

    def bulk_create(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        # Called once the rows are checked: the rows wait for rows_write() (see import_data).
        if not self._failed:
            self._pending_create.extend(self.create_instances)
        self.create_instances.clear()

    def bulk_update(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        if not self._failed:
            self._pending_update.extend(self.update_instances)
        self.update_instances.clear()

    def bulk_delete(self, using_transactions, dry_run, raise_errors, result=None):
        if self.delete_instances:  # no ledger deletes through a spreadsheet
            raise ValueError("Spreadsheet imports do not delete records.")

    def after_import(self, dataset, result, **kwargs):
        """Nothing here: what follows the writes runs in rows_write()."""

    def rows_write(self, result, *, on_write=None, undo_job=None, **kwargs) -> None:
        """Write the collected rows in one atomic block; an exception rolls all of them back.

        What needs no lock is worked out first (``rows_prepare``: the statements' parameters, history rows and
        many-to-many link lists), so the transaction, which holds SQLite's single write lock, runs SQL only.
        ``undo_job``: the ImportJob of a background import, written in short transactions instead
        (``rows_write_chunked``)."""
        created, updated = self._pending_create, self._pending_update
        self._pending_create, self._pending_update = [], []
        if undo_job is not None and len(created) + len(updated) > settings.IMPORT_WRITE_CHUNK_ROWS:
            self.rows_write_chunked(result, created, updated, job=undo_job, on_write=on_write, **kwargs)
            return
        plan = self.rows_prepare(created, updated)
        with transaction.atomic(using=router.db_for_write(self._meta.model)):
            self.rows_run(plan)
            super().after_import(None, result, dry_run=False, **kwargs)  # sequences after explicit keys (PostgreSQL)
            if on_write is not None:
                on_write()

    def rows_write_chunked(self, result, created: list, updated: list, *, job, on_write=None, **kwargs) -> None:
        """Write ``settings.IMPORT_WRITE_CHUNK_ROWS`` rows per transaction, pausing between them on SQLite so that
        officers' saves get the write lock (issue 11). Still all or nothing: each transaction journals what it
        wrote (crm/sheets/undo.py) and, if a later one fails, the earlier ones are undone before the error goes
        on; the last one deletes the journal and runs ``on_write``."""
        size = max(1, settings.IMPORT_WRITE_CHUNK_ROWS)
        chunks = [
            (objs[i : i + size], new)
            for objs, new in ((created, True), (updated, False))
            for i in range(0, len(objs), size)
        ]
        using = router.db_for_write(self._meta.model)
        journal = UndoJournal(job.pk)
        try:
            for index, (objs, new) in enumerate(chunks):
                plan = self.rows_prepare(objs if new else [], [] if new else objs)
                last = index == len(chunks) - 1
                with transaction.atomic(using=using):
                    self.journal = journal
                    self.rows_run(plan)
                    if last:
                        super().after_import(None, result, dry_run=False, **kwargs)
                        journal.discard()
                        if on_write is not None:
                            on_write()
                    else:
                        journal.flush()
                self.journal = None
                if not last:
                    write_pause(using)
        except BaseException:
            self.journal = None
            journal.pending = []
            try:
                self.undo_left = import_undo(job_id=job.pk)
            except Exception:  # the journal stays for recover_imports; the import's own error is the one reported
                logger.exception("Undoing import job %s failed", job.pk)
            raise

    def rows_prepare(self, created: list, updated: list) -> dict:
        """The writes of ``created`` and ``updated`` records, built without touching the database."""
        model, batch_size = self._meta.model, self._meta.batch_size
        plan = {"created": created, "updated": updated}
        if created:
            plan["insert"] = RowsInsert(created, model, batch_size=batch_size)
            plan["created_links"] = self.m2m_prepare(created)
        if updated:
            # Not Django's bulk_update() (a CASE WHEN per field and row: ~30 s for 10 000 enterprises):
            # plain parameters, and the history rows likewise (crm/sheets/resources/bulk.py).
            plan["update"] = RowsUpdate(updated, model, [*self._update_fields, *self.extra_update_fields()])
            plan["history"] = HistoryRows(
                updated, model, history_type="~", user=self.user, reason=CHANGE_REASON, batch_size=batch_size
            )
            plan["updated_links"] = self.m2m_prepare(updated)
        return plan

    def rows_run(self, plan: dict) -> None:
        """Run what ``rows_prepare`` built, inside the writing transaction (journaled when ``self.journal``)."""
        created, updated, model, journal = plan["created"], plan["updated"], self._meta.model, self.journal
        if created:
            if self.prepare_create(created):  # codes are reserved in this transaction (no gaps if it rolls back)
                plan["insert"].refresh("code")
            plan["insert"].run(user=self.user, reason=CHANGE_REASON)
            if journal is not None:
                journal.created(model, [obj.pk for obj in created])
            self.m2m_run(plan["created_links"])
            self.after_create(created)
        if updated:
            update = plan["update"]
            with self.journal_updating(model, [obj.pk for obj in updated], [f.attname for f in update.fields]):
                update.run()
            plan["history"].run()
            if journal is not None:
                journal.history(model, [obj.pk for obj in updated], "~", plan["history"].now)
            self.after_update(updated)
            self.m2m_run(plan["updated_links"])

    def journal_updating(self, model, pks, attnames: list[str]):
        """Around an update of existing rows in ``rows_run`` and the kinds' side effects: their values before and
        after go to the undo journal of a background import (nothing otherwise)."""
        if self.journal is None:
            return nullcontext()
        return self.journal.updating(model, pks, attnames)

    def m2m_prepare(self, objs: list) -> list[tuple]:
        """Per many-to-many column: the through-table rows to delete and the (owner, target id) links to insert.
        The owners are objects, not keys: new records get theirs only when inserted."""
        by_attribute: dict[str, list] = {}
        for obj in objs:
            for attribute in getattr(obj, "_import_m2m", {}):
                by_attribute.setdefault(attribute, []).append(obj)
        links = []
        for attribute, owners in by_attribute.items():
            through, source, target = self._through(attribute)
            current = self._m2m_current.get(attribute, {})
            new_links, removed = [], []
            for obj in owners:
                wanted = [o.pk for o in obj._import_m2m[attribute]]
                have = current.get(obj.pk, {}) if obj.pk is not None else {}
                keep = set(wanted)  # once per owner, not once per link it has
                removed += [link_id for target_id, link_id in have.items() if target_id not in keep]
                new_links += [(obj, pk) for pk in wanted if pk not in have]
            links.append((through, source, target, removed, new_links))
        return links

    def m2m_run(self, links: list[tuple]) -> None:
        journal = self.journal
        for through, source, target, removed, new_links in links:
            now = timezone.now()
            for chunk in key_chunks(removed):
                if journal is not None:
                    journal.unlinking(through, chunk)
                links_delete(through, chunk, user=self.user, reason=CHANGE_REASON, now=now)
                if journal is not None:
                    journal.history(through, chunk, "-", now)
            if new_links:
                pairs = [(obj.pk, pk) for obj, pk in new_links]
                self._links_insert(through, source, target, pairs)
                if journal is not None:
                    journal.linked(through, source, target, pairs)

    def _links_insert(self, through, source: str, target: str, pairs: list[tuple]) -> None:
        """Insert through-table rows with executemany (no model instance per link); other columns of a
        custom through model (certificate dates of 企业资质) get their field defaults."""
        connection = connections[router.db_for_write(through)]
        columns, defaults = [], []
        for f in through._meta.concrete_fields:
            if f.primary_key or f.attname in (source, target):
                continue
            columns.append(f.column)
            defaults.append(f.get_db_prep_save(f.get_default(), connection=connection))
        quote = connection.ops.quote_name
        names = [
            through._meta.get_field(source.removesuffix("_id")).column,
            through._meta.get_field(target.removesuffix("_id")).column,
            *columns,
        ]
        sql = (
            f"INSERT INTO {quote(through._meta.db_table)} ({', '.join(quote(n) for n in names)}) "
            f"VALUES ({', '.join(['%s'] * len(names))})"
        )
        with connection.cursor() as cursor:
            cursor.executemany(sql, [(a, b, *defaults) for a, b in pairs])

    # --- export ----------------------------------------------------------------------------------

    def get_export_queryset(self, queryset):
        return queryset.select_related(*self.export_select_related).prefetch_related(*self.export_prefetch_related)

    def export(self, queryset=None, **kwargs):
        if queryset is None:
            queryset = self.scoped_queryset()
        return super().export(queryset=self.get_export_queryset(queryset), **kwargs)

    def after_export(self, queryset, dataset, **kwargs):
        dataset_escape(dataset)

    def example_row(self) -> dict:
        return {}

    def column_notes(self) -> list[list[str]]:
        rows = []
        code_columns = {
            f.widget.code_column for f in self.fields.values() if isinstance(f.widget, EnterpriseWidget)
        } - {None}
        for _name, field in self.ordered_fields():
            parts = []
            if field.column_name in self.required_headers:
                parts.append(gettext("Required column."))
            if field.column_name in code_columns:
                parts.append(gettext("Finds the enterprise; when given it is used instead of 企业名称."))
            elif field.readonly and field.column_name != (self.fields[self.key].column_name if self.key else None):
                parts.append(gettext("Exported for reference; ignored on import."))
            widget = field.widget
            if isinstance(widget, MultiChoiceWidget):
                parts.append(gettext("Several values separated by 、: %(values)s") % {"values": widget.allowed()})
            elif isinstance(widget, ChoiceWidget):
                parts.append(gettext("One of: %(values)s") % {"values": widget.allowed()})
            elif isinstance(widget, BoolWidget):
                parts.append(gettext("是 or 否."))
            elif isinstance(widget, DateWidget):
                parts.append(gettext("A date such as 2026-03-01 or 2026/3/1."))
            elif isinstance(widget, ManyWidget):
                parts.append(gettext("Several names or codes separated by 、 , ， or ;"))
            elif isinstance(widget, DecimalWidget | IntWidget):
                parts.append(gettext("A number; thousands separators are allowed."))
            if field.column_name in self.notes:
                parts.append(str(self.notes[field.column_name]))
            rows.append([field.column_name, " ".join(parts)])
        return rows


# Django's own messages ("确保该变量包含不超过…", "输入一个有效的…") replaced by ours, by error code, naming the column.
DJANGO_MESSAGES = {
    "max_length": _("%(column)s takes at most %(limit_value)s characters; this cell has %(show_value)s."),
    "min_length": _("%(column)s needs at least %(limit_value)s characters; this cell has %(show_value)s."),
    "max_value": _("%(column)s must be at most %(limit_value)s."),
    "min_value": _("%(column)s must be at least %(limit_value)s."),
    "max_digits": _("The number in %(column)s is too long: at most %(max)s digits."),
    "max_decimal_places": _("%(column)s takes at most %(max)s decimal places."),
    "max_whole_digits": _("The number in %(column)s is too large: at most %(max)s digits before the decimal point."),
    "invalid_choice": _("“%(value)s” is not an allowed value of %(column)s."),
    "unique": _("Another record has the same %(column)s already."),
    "invalid": _("“%(value)s” is not a valid value of %(column)s."),
}
INVALID_BY_FIELD = {
    models.EmailField: _("“%(value)s” in %(column)s is not an e-mail address (name@example.com)."),
    models.URLField: _("“%(value)s” in %(column)s is not a web address (https://…)."),
}


def _ours(item: ValidationError, column: str, model_field) -> str | None:
    code = getattr(item, "code", None)
    if code in ("null", "blank", "required"):
        return str(_("This cell is required."))
    template = DJANGO_MESSAGES.get(code)
    if template is None:
        return None
    if code == "invalid" and model_field is not None:
        template = next((m for cls, m in INVALID_BY_FIELD.items() if isinstance(model_field, cls)), template)
    params = {"value": "", "limit_value": "", "show_value": "", "max": ""}
    params.update(item.params or {})
    params["column"] = column or gettext("this column")
    try:
        return str(template) % params
    except (KeyError, TypeError, ValueError):
        return None


def friendly_errors(errors: dict, header_for=None, model=None) -> dict:
    """Django's technical messages become ours (by error code, with the column header)."""
    out = {}
    for key, items in errors.items():
        column = header_for(key) if header_for and key != NON_FIELD_ERRORS else ""
        model_field = None
        if model is not None:
            try:
                model_field = model._meta.get_field(key)
            except Exception:
                model_field = None
        messages = []
        for item in items if isinstance(items, list) else [items]:
            if isinstance(item, ValidationError):
                for single in item.error_list if hasattr(item, "error_list") else [item]:
                    mine = _ours(single, column, model_field)
                    messages.extend([mine] if mine is not None else single.messages)
            else:
                messages.append(str(item))
        out[key] = list(dict.fromkeys(messages))
    return out


def header_problem_text(resource, check: HeaderCheck) -> str:
    parts = []
    if check.missing:
        parts.append(gettext("Missing columns: %(columns)s.") % {"columns": "、".join(check.missing)})
    if check.unknown:
        parts.append(gettext("Unknown columns: %(columns)s.") % {"columns": "、".join(check.unknown)})
    if check.duplicated:
        parts.append(gettext("Columns given twice: %(columns)s.") % {"columns": "、".join(check.duplicated)})
    parts.append(gettext("Expected columns: %(columns)s.") % {"columns": "、".join(resource.expected_headers())})
    return " ".join(parts)


def rule_check(errors: dict, check, /, **kwargs) -> None:
    """Run one of the services' check functions on a row; its ValidationError joins the row's ``errors``.

    A field that has a problem already (an unreadable cell) is not checked again.
    """
    try:
        check(**kwargs)
    except PermissionDenied as error:  # the API's 403: the whole row is refused
        errors.setdefault(NON_FIELD_ERRORS, []).append(str(error))
    except ValidationError as error:
        if not hasattr(error, "error_dict"):
            errors.setdefault(NON_FIELD_ERRORS, []).extend(error.messages)
            return
        for name, messages in error.message_dict.items():
            if name not in errors:
                errors[name] = list(messages)


def changed(instance, attname: str) -> bool:
    """A new record, or an existing one whose ``attname`` the row changes."""
    snapshot = getattr(instance, "_import_snapshot", None)
    if snapshot is None:
        return True
    return attname in snapshot and snapshot[attname] != getattr(instance, attname)


def example_credit_code() -> str:
    """A valid, clearly fictional credit code for the templates (region 320812)."""
    body = "91320812MA1X8Y9Q0"
    return body + credit_code_check_char(body)


# The templates' example rows carry these values; a row that still has one is refused ("delete it first").
EXAMPLE_CREDIT_CODE = example_credit_code()
EXAMPLE_ENTERPRISE = "淮安示例科技有限公司"
EXAMPLE_PREFIX = "示例："
EXAMPLE_MESSAGE = _("This is the template's example row; delete it before importing.")
EXAMPLE_KEYS = (norm(EXAMPLE_CREDIT_CODE), norm(EXAMPLE_ENTERPRISE), norm(EXAMPLE_PREFIX))


def example_person(user) -> str:
    """A person's display name for the example rows (never a login name: the template is shared).

    A user whose name is blank or only repeats the login name gets a placeholder person instead.
    """
    name = (getattr(user, "name", "") or "").strip()
    return name if name and name != getattr(user, "username", None) else "张三"


def _first(model, **filters):
    return model._default_manager.filter(**filters).order_by("pk").first()
