"""Widgets of the spreadsheet columns (DESIGN §8.4): text, numbers, dates, 是/否, enumerations by their Chinese
label, and references (regions, people, departments, enterprises…) resolved through dicts built once per import.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export import widgets

from crm import choices
from crm.models import (
    Bureau,
    Department,
    Enterprise,
    Need,
    Offering,
    Project,
    User,
)
from crm.sheets.files import cell_unescape
from crm.validators import validate_no_control_chars

CHANGE_REASON = "表格导入"
SEPARATORS = re.compile(r"[、,，;；\n]+")
CHUNK = 2000  # ids per IN (...) query: well under SQLite's variable limit


SHEET_LANGUAGE = "zh-hans"  # enumerations are written with their Chinese label (DESIGN §3.1), whatever the UI language


@functools.cache
def zh_labels(choices_class) -> dict[str, str]:
    """Value → Chinese label of an enumeration, from the translations (the .po file); computed once per class.

    The spreadsheet contract is independent of the UI language: exports and templates write these labels and
    imports read them, so they are evaluated under ``translation.override`` and not in the request's language.
    """
    with translation.override(SHEET_LANGUAGE):
        return {value: str(label) for value, label in choices_class.choices}


@functools.cache
def en_labels(choices_class) -> dict[str, str]:
    """Value → English (source) label; imports accept these too."""
    with translation.override("en"):
        return {value: str(label) for value, label in choices_class.choices}


# Other spellings seen in real ledgers.
ZH_SYNONYMS: dict[type, dict[str, str]] = {
    choices.NeedCategory: {"科技金融": "finance", "融资": "finance", "资金": "funding", "人才": "talent"},
    choices.PartyOrganization: {
        "无党组织": "none",
        "未建立": "none",
        "党总支部": "general_branch",
        "党委员会": "committee",
    },
    choices.EnterpriseStatus: {"正常": "operating", "在业": "operating", "存续": "operating", "迁出": "relocated"},
    choices.PolicyLevel: {"国家": "national", "省": "provincial", "市": "city", "县区": "county", "区县级": "county"},
    choices.VisitKind: {"实地": "on_site", "座谈会": "meeting", "电话走访": "phone", "线上走访": "online"},
}
TRUE_WORDS = {"是", "y", "yes", "true", "1", "√", "✓", "✔", "t", "对", "有"}
FALSE_WORDS = {"否", "n", "no", "false", "0", "×", "✗", "✘", "f", "不是", "无"}


def norm(value) -> str:
    """Compare spreadsheet text forgivingly: full-width → half-width, no surrounding or inner blanks."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value))).casefold()


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _error(message) -> ValueError:
    # Widgets report with ValueError: import_instance() turns it into a ValidationError on the column.
    return ValueError(str(message))


# --------------------------------------------------------------------------------------------- widgets


class TextWidget(widgets.CharWidget):
    """Text, stripped; numbers typed into a text column lose Excel's ``.0``; control characters refused."""

    def __init__(self, upper: bool = False, **kwargs):
        kwargs.setdefault("coerce_to_string", True)
        kwargs.setdefault("allow_blank", True)
        super().__init__(**kwargs)
        self.upper = upper

    def clean(self, value, row=None, **kwargs):
        if value is None:
            return ""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        elif isinstance(value, datetime):
            value = value.date().isoformat() if not (value.hour or value.minute) else value.isoformat(" ")
        elif isinstance(value, date):
            value = value.isoformat()
        text = cell_unescape(str(value).strip())
        try:
            validate_no_control_chars(text)
        except ValidationError as error:
            raise _error(error.messages[0]) from error
        if self.upper:
            text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).upper()
        return text

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else str(value)


class IntWidget(widgets.IntegerWidget):
    """Whole numbers, also ``1,234``, ``1，234`` or ``１２３``; Excel's ``120.0`` is 120."""

    def clean(self, value, row=None, **kwargs):
        number = _parse_number(value)
        if number is None:
            return None
        if number != number.to_integral_value():
            raise _error(_("“%(value)s” is not a whole number.") % {"value": value})
        return int(number)

    def render(self, value, obj=None, **kwargs):
        return value


class DecimalWidget(widgets.DecimalWidget):
    """Amounts in 万元, with or without thousands separators."""

    def clean(self, value, row=None, **kwargs):
        return _parse_number(value)

    def render(self, value, obj=None, **kwargs):
        return value


def _parse_number(value) -> Decimal | None:
    if value is None or isinstance(value, bool):
        if isinstance(value, bool):
            raise _error(_("“%(value)s” is not a number.") % {"value": value})
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        # Excel stores numbers as binary floats: 0.1 + 0.2 arrives as 0.30000000000000004.
        text = repr(round(value, 6))
        return Decimal(text.rstrip("0").rstrip(".") if "." in text and "e" not in text else text)
    if isinstance(value, Decimal):
        return value
    text = re.sub(r"[\s,'，_]", "", unicodedata.normalize("NFKC", cell_unescape(str(value))))
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise _error(_("“%(value)s” is not a number.") % {"value": str(value).strip()}) from None
    if not number.is_finite():
        raise _error(_("“%(value)s” is not a number.") % {"value": str(value).strip()})
    return number


DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$")


class DateWidget(widgets.DateWidget):
    """2026-03-01, 2026/3/1, 2026.3.1, 2026年3月1日, 20260301, or a date cell / serial number from Excel."""

    def clean(self, value, row=None, **kwargs):
        if is_blank(value):
            return None
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return _excel_serial(value)
        text = unicodedata.normalize("NFKC", str(value)).strip()
        match = DATE_RE.match(text)
        if not match and re.fullmatch(r"\d{8}", text):
            match = re.match(r"(\d{4})(\d{2})(\d{2})", text)
        if match:
            try:
                return date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                pass
        elif re.fullmatch(r"\d{5}(\.\d+)?", text):
            return _excel_serial(float(text))
        raise _error(_("“%(value)s” is not a date; write it like 2026-03-01.") % {"value": text})

    def render(self, value, obj=None, **kwargs):
        return value


def _excel_serial(number: float) -> date:
    # Excel's day 1 is 1900-01-01 and it counts a 29 February 1900 that never was.
    if not 1 <= number < 2958466:
        raise _error(_("“%(value)s” is not a date; write it like 2026-03-01.") % {"value": number})
    days = int(number)
    return date(1899, 12, 30) + timedelta(days=days) if days >= 61 else date(1899, 12, 31) + timedelta(days=days)


class BoolWidget(widgets.BooleanWidget):
    """是/否 (also yes/no, true/false, 1/0, √/×); an empty cell leaves the value as it is."""

    def clean(self, value, row=None, **kwargs):
        if is_blank(value):
            return None
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float):
            value = int(value) if float(value).is_integer() else value
        word = norm(value)
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise _error(_("“%(value)s” is not 是 or 否.") % {"value": value})

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        return "是" if value else "否"


class ChoiceWidget(widgets.Widget):
    """An enumeration by its Chinese label (§3.1), its value, or its English label."""

    def __init__(self, choices_class, blank: bool = False):
        super().__init__(coerce_to_string=True)
        self.choices_class = choices_class
        self.blank = blank

    # Labels are looked up on first use, not at import: translations are ready only once the apps are.
    @property
    def labels(self) -> dict[str, str]:
        return zh_labels(self.choices_class)

    @functools.cached_property
    def lookup(self) -> dict[str, str]:
        lookup = {}
        english = en_labels(self.choices_class)
        for value in self.choices_class.values:
            lookup[norm(value)] = value
            lookup[norm(english[value])] = value
            lookup[norm(self.labels[value])] = value
        for word, value in ZH_SYNONYMS.get(self.choices_class, {}).items():
            lookup.setdefault(norm(word), value)
        return lookup

    def value_for(self, text):
        value = self.lookup.get(norm(text))
        if value is None:
            # The UI language's labels too (a sheet exported from a translated page).
            for choice_value, label in self.choices_class.choices:
                if norm(gettext(str(label))) == norm(text):
                    return choice_value
            raise _error(
                _("“%(value)s” is not one of: %(choices)s.")
                % {"value": str(text).strip(), "choices": "、".join(self.labels.values())}
            )
        return value

    def clean(self, value, row=None, **kwargs):
        if is_blank(value):
            return "" if self.blank else None
        return self.value_for(cell_unescape(str(value).strip()))

    def render(self, value, obj=None, **kwargs):
        return self.labels.get(value, value or "")

    def allowed(self) -> str:
        return "、".join(self.labels.values())


class MultiChoiceWidget(ChoiceWidget):
    """A JSON list of enumeration values (need categories), written as labels separated by 、"""

    def clean(self, value, row=None, **kwargs):
        if is_blank(value):
            return []
        values = [self.value_for(part) for part in SEPARATORS.split(str(value)) if part.strip()]
        return list(dict.fromkeys(values))

    def render(self, value, obj=None, **kwargs):
        return "、".join(self.labels.get(v, v) for v in (value or []))


class CachedLookupWidget(widgets.ForeignKeyWidget):
    """A foreign key resolved through a dict built once per import (no query per row).

    ``keys(obj)`` gives the spellings that identify an object; a spelling shared by several objects is
    ambiguous and refused with ``ambiguous_message``.
    """

    unknown_message = _("“%(value)s” is unknown.")
    ambiguous_message = _("“%(value)s” matches several records; be more specific.")

    def __init__(self, model, **kwargs):
        super().__init__(model, **kwargs)
        self._index: dict[str, list] | None = None
        self.user = None

    def queryset(self):
        return self.model._default_manager.all()

    def keys(self, obj) -> list[str]:
        return [str(obj.pk)]

    def label(self, obj) -> str:
        return str(obj)

    def index(self) -> dict[str, list]:
        if self._index is None:
            self._index = {}
            for obj in self.queryset():
                self._add(obj)
        return self._index

    def _add(self, obj) -> None:
        for key in {norm(k) for k in self.keys(obj) if k}:
            bucket = self._index.setdefault(key, [])
            if obj not in bucket:
                bucket.append(obj)

    def find(self, text):
        text = cell_unescape(str(text).strip())
        found = self.index().get(norm(text), [])
        if not found:
            raise _error(self.unknown_message % {"value": text})
        if len(found) > 1:
            raise _error(self.ambiguous_message % {"value": text})
        return found[0]

    def clean(self, value, row=None, **kwargs):
        if is_blank(value):
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return self.find(value)

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else self.label(value)


class ReferenceWidget(CachedLookupWidget):
    """Region, industry chain or qualification by Chinese name or code."""

    def __init__(self, model, unknown_message, **kwargs):
        super().__init__(model, **kwargs)
        self.unknown_message = unknown_message

    def keys(self, obj):
        return [obj.code, obj.name]

    def label(self, obj):
        return obj.name


class UserWidget(CachedLookupWidget):
    """A person by user name (login) or by name; exported by name unless the name is shared."""

    unknown_message = _("No user has the user name or name “%(value)s”.")
    ambiguous_message = _("Several users are called “%(value)s”; use the user name (login) instead.")

    def __init__(self, **kwargs):
        super().__init__(User, **kwargs)
        self._name_counts: dict[str, int] | None = None

    def queryset(self):
        return User.objects.only("id", "username", "name", "first_name", "last_name")

    def keys(self, obj):
        return [obj.username, obj.name]

    def find(self, text):
        text = cell_unescape(str(text).strip())
        index = self.index()
        by_username = [u for u in index.get(norm(text), []) if norm(u.username) == norm(text)]
        if len(by_username) == 1:
            return by_username[0]
        return super().find(text)

    def label(self, obj):
        if self._name_counts is None:
            self._name_counts = {}
            for name in User.objects.exclude(name="").values_list("name", flat=True):
                self._name_counts[norm(name)] = self._name_counts.get(norm(name), 0) + 1
        if obj.name and self._name_counts.get(norm(obj.name)) == 1:
            return obj.name
        return obj.username


class DepartmentWidget(CachedLookupWidget):
    """A department by ``科技局·处室`` or by its name when that is unique (else within the user's bureau)."""

    unknown_message = _("No department is called “%(value)s”.")
    ambiguous_message = _("Several departments are called “%(value)s”; write it as 科技局·处室.")

    def __init__(self, **kwargs):
        super().__init__(Department, **kwargs)

    def queryset(self):
        return Department.objects.select_related("bureau")

    def keys(self, obj):
        return [obj.name, f"{obj.bureau.name}·{obj.name}", f"{obj.bureau.name}{obj.name}", str(obj)]

    def find(self, text):
        text = cell_unescape(str(text).strip())
        found = self.index().get(norm(text), [])
        if len(found) > 1 and self.user is not None and self.user.bureau_id:
            own = [d for d in found if d.bureau_id == self.user.bureau_id]
            if len(own) == 1:
                return own[0]
        return super().find(text)

    def label(self, obj):
        if len(self.index().get(norm(obj.name), [])) == 1:
            return obj.name
        return f"{obj.bureau.name}·{obj.name}"

    def by_id(self, department_id: int):
        """A department (with its bureau) from the per-import cache."""
        if not hasattr(self, "_by_id"):
            self._by_id = {d.pk: d for bucket in self.index().values() for d in bucket}
        return self._by_id.get(department_id)


class BureauWidget(CachedLookupWidget):
    unknown_message = _("No bureau is called “%(value)s”.")

    def __init__(self, **kwargs):
        super().__init__(Bureau, **kwargs)

    def keys(self, obj):
        return [obj.name]

    def label(self, obj):
        return obj.name


class OfferingWidget(CachedLookupWidget):
    unknown_message = _("No offering is called “%(value)s”.")
    ambiguous_message = _("Several offerings are called “%(value)s”.")

    def __init__(self, **kwargs):
        super().__init__(Offering, **kwargs)

    def queryset(self):
        return Offering.objects.visible_to(self.user) if self.user else Offering.objects.all()

    def keys(self, obj):
        return [obj.name]

    def label(self, obj):
        return obj.name


class PrefetchedWidget(CachedLookupWidget):
    """A large table (enterprises, projects, needs, visits): only the values in the file are fetched,
    in a few ``IN`` queries from ``before_import``, within the importing user's scope."""

    lookups: tuple[str, ...] = ()

    def scoped(self):
        qs = self.model._default_manager.all()
        return qs.visible_to(self.user) if self.user is not None else qs

    def prefetch(self, values) -> None:
        self._index = {}
        wanted = {cell_unescape(str(v).strip()) for v in values if not is_blank(v)}
        compact = {re.sub(r"\s+", "", unicodedata.normalize("NFKC", w)) for w in wanted}
        variants = sorted(wanted | compact | {w.upper() for w in compact})
        for start in range(0, len(variants), CHUNK):
            chunk = variants[start : start + CHUNK]
            condition = Q()
            for lookup in self.lookups:
                condition |= Q(**{f"{lookup}__in": chunk})
            for obj in self.scoped().filter(condition).only(*self.only_fields()):
                self._add(obj)

    def only_fields(self):
        return ["id", *self.lookups]

    def index(self):
        if self._index is None:
            self._index = {}
        return self._index


class EnterpriseWidget(PrefetchedWidget):
    """An enterprise by credit code (the 统一社会信用代码 column when the sheet has it) or by name."""

    lookups = ("credit_code", "name")
    unknown_message = _("No enterprise in your area has the name or credit code “%(value)s”.")
    ambiguous_message = _("Several enterprises are called “%(value)s”; give the credit code.")

    def __init__(self, code_column: str | None = None, **kwargs):
        super().__init__(Enterprise, **kwargs)
        self.code_column = code_column

    def only_fields(self):
        return ["id", "credit_code", "name", "region", "bureau"]

    def keys(self, obj):
        return [obj.credit_code, obj.name]

    def clean(self, value, row=None, **kwargs):
        if self.code_column and row is not None and not is_blank(row.get(self.code_column)):
            value = row[self.code_column]
        return super().clean(value, row=row, **kwargs)

    def label(self, obj):
        return obj.name


class ProjectWidget(PrefetchedWidget):
    lookups = ("name",)
    unknown_message = _("No project in your area is called “%(value)s”.")
    ambiguous_message = _("Several projects are called “%(value)s”.")

    def __init__(self, **kwargs):
        super().__init__(Project, **kwargs)

    def only_fields(self):
        return ["id", "name", "enterprise", "region"]

    def keys(self, obj):
        return [obj.name]

    def label(self, obj):
        return obj.name


class CodeWidget(PrefetchedWidget):
    """A visit or need by its code (ZF-2026-0001, SQ-2026-0001)."""

    lookups = ("code",)

    def __init__(self, model, unknown_message, **kwargs):
        super().__init__(model, **kwargs)
        self.unknown_message = unknown_message

    def only_fields(self):
        if self.model is Need:
            return ["id", "code", "enterprise", "project", "bureau"]
        return ["id", "code", "enterprise"]

    def keys(self, obj):
        return [obj.code]

    def label(self, obj):
        return obj.code


class ManyWidget(widgets.ManyToManyWidget):
    """Several references in one cell, separated by 、 , ， ; or ；, resolved through a single-value widget."""

    def __init__(self, single: CachedLookupWidget, **kwargs):
        super().__init__(single.model, **kwargs)
        self.single = single

    def clean(self, value, row=None, **kwargs):
        if is_blank(value):
            return []
        found, problems = [], []
        for part in SEPARATORS.split(cell_unescape(str(value))):
            if not part.strip():
                continue
            try:
                obj = self.single.find(part)
            except ValueError as error:
                problems.append(str(error))
                continue
            if obj not in found:
                found.append(obj)
        if problems:
            raise _error(" ".join(problems))
        return found

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        items = value.all() if hasattr(value, "all") else value
        return "、".join(self.single.label(item) for item in items)
