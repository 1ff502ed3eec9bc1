"""Widgets of the spreadsheet columns (DESIGN §8.4): text, numbers, dates, 是/否, enumerations by their Chinese
label, and references (regions, people, departments, enterprises…) resolved through dicts built once per import.
"""

from __future__ import annotations

import difflib
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
    Region,
    User,
)
from crm.querysets import key_chunks
from crm.sheets.files import cell_unescape
from crm.validators import EARLIEST_DATE, LATEST_DATE, validate_no_control_chars

CHANGE_REASON = "表格导入"
SEPARATORS = re.compile(r"[、,，;；\n]+")


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


WHITESPACE = re.compile(r"\s+")
QUOTES = re.compile(r"[\"'“”‘’„‟「」『』〝〞＂＇]")
OPEN_BRACKETS = str.maketrans(
    {"【": "(", "〔": "(", "[": "(", "［": "(", "〖": "(", "】": ")", "〕": ")", "]": ")", "］": ")", "〗": ")"}
)


def norm(value) -> str:
    """Compare spreadsheet text forgivingly — the one normalisation of names and labels: full-width →
    half-width (（） → ()), other brackets → (), quotes of any kind dropped (专精特新“小巨人”企业 =
    专精特新"小巨人"企业), no blanks, case-folded."""
    text = WHITESPACE.sub("", unicodedata.normalize("NFKC", str(value)).translate(OPEN_BRACKETS))
    return QUOTES.sub("", text).casefold()


def name_variants(value: str) -> set[str]:
    """Spellings of a name as it may be stored: as given, without blanks, with full- or half-width brackets."""
    text = cell_unescape(str(value).strip())
    compact = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text).translate(OPEN_BRACKETS))
    variants = {text, compact, compact.upper()}
    variants.add(compact.replace("(", "（").replace(")", "）"))
    variants.add(text.replace("（", "(").replace("）", ")"))
    return {v for v in variants if v}


# Excel's error values: a broken formula or look-up, never data.
ERROR_VALUES = re.compile(
    r"^#(N/A|REF!|VALUE!|DIV/0!|NAME\?|NUM!|NULL!|SPILL!|CALC!|GETTING_DATA|FIELD!|BLOCKED!|CONNECT!|BUSY!|UNKNOWN!)$",
    re.IGNORECASE,
)
LINE_BREAKS = re.compile(r"\s*(?:_x000[dDaA]_|\r\n|\r|\n|\u2028|\u2029)+\s*")
CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef（）【】、，。；：]")


def refuse_error_value(value) -> None:
    """An Excel error value (#N/A, #REF! …) that reached a widget as text is refused, naming the cause."""
    if isinstance(value, str) and "#" in value[:3] and ERROR_VALUES.match(value.strip()):
        raise _error(
            _("“%(value)s” is an Excel error value (a broken formula or look-up), not data; correct the cell.")
            % {"value": value.strip()}
        )


def one_line(text: str) -> str:
    """Line breaks (Alt+Enter, \\r, Excel's _x000D_) out of a one-line value: nothing between Chinese, a blank
    between Latin words."""

    def join(match):
        before, after = match.string[: match.start()][-1:], match.string[match.end() :][:1]
        if not before or not after or CJK.match(before) or CJK.match(after):
            return ""
        return " "

    if "\n" not in text and "\r" not in text and "_x000" not in text and "\u2028" not in text and "\u2029" not in text:
        return text  # the common case, without a regex
    return LINE_BREAKS.sub(join, text)


def multi_line(text: str) -> str:
    """Line breaks of a multi-line value kept, as \\n; Excel's _x000D_ leftovers and \\r\\n unified."""
    if "\r" not in text and "_x000" not in text:
        return text
    text = re.sub(r"_x000[dD]_(?:\r?\n|_x000[aA]_)?", "\n", text)
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("_x000A_", "\n").replace("_x000a_", "\n")


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _error(message) -> ValueError:
    # Widgets report with ValueError: import_instance() turns it into a ValidationError on the column.
    return ValueError(str(message))


# --------------------------------------------------------------------------------------------- widgets


class TextWidget(widgets.CharWidget):
    """Text, stripped; numbers typed into a text column lose Excel's ``.0``; control characters refused."""

    uses_row = False  # clean() reads the cell alone: the import remembers its result per distinct value

    def __init__(self, upper: bool = False, multiline: bool = False, **kwargs):
        kwargs.setdefault("coerce_to_string", True)
        kwargs.setdefault("allow_blank", True)
        super().__init__(**kwargs)
        self.upper = upper
        self.multiline = multiline  # set by the resource for the model's TextFields

    def clean(self, value, row=None, **kwargs):
        if value is None:
            return ""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        elif isinstance(value, datetime):
            value = value.date().isoformat() if not (value.hour or value.minute) else value.isoformat(" ")
        elif isinstance(value, date):
            value = value.isoformat()
        refuse_error_value(value)
        text = cell_unescape(str(value).strip())
        text = multi_line(text) if self.multiline else one_line(text)
        try:
            validate_no_control_chars(text)
        except ValidationError as error:
            raise _error(error.messages[0]) from error
        if self.upper:
            text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).upper()
        return text

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else str(value)


SCIENTIFIC = re.compile(r"^\d(?:\.\d+)?E\+?\d+$")
CREDIT_CODE_MANGLED = _(
    "The credit code was turned into a number by Excel (scientific notation, only 15 digits kept); "
    "format the column as text and type the codes again."
)


def credit_code_mangled(value) -> bool:
    """A credit code Excel turned into a number: a number cell of 15 digits or more, or its text 9.13208E+17."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float | Decimal):
        return abs(value) >= 1e14
    text = str(value).strip()
    if len(text) < 3 or text[1] not in ".eE" or not text[0].isdigit():  # the common case: a real code
        return False
    return bool(SCIENTIFIC.match(unicodedata.normalize("NFKC", text).upper().replace(" ", "")))


class CreditCodeWidget(TextWidget):
    """统一社会信用代码: upper-cased, blanks removed; a code mangled by Excel is refused with the cause."""

    def __init__(self, **kwargs):
        super().__init__(upper=True, **kwargs)

    def clean(self, value, row=None, **kwargs):
        if value is not None and credit_code_mangled(value):
            raise _error(CREDIT_CODE_MANGLED)
        return super().clean(value, row=row, **kwargs)


class IntWidget(widgets.IntegerWidget):
    """Whole numbers, also ``1,234``, ``1，234`` or ``１２３``; Excel's ``120.0`` is 120."""

    uses_row = False  # clean() reads the cell alone: the import remembers its result per distinct value

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

    uses_row = False  # clean() reads the cell alone: the import remembers its result per distinct value

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
    refuse_error_value(value)
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

    uses_row = False  # clean() reads the cell alone: the import remembers its result per distinct value

    def clean(self, value, row=None, **kwargs):
        if is_blank(value):
            return None
        if isinstance(value, datetime):
            value = value.date()
        if isinstance(value, date):
            return _plausible(value)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return _excel_serial(value)
        refuse_error_value(value)
        text = unicodedata.normalize("NFKC", str(value)).strip()
        match = DATE_RE.match(text)
        if not match and re.fullmatch(r"\d{8}", text):
            match = re.match(r"(\d{4})(\d{2})(\d{2})", text)
        if match:
            try:
                parsed = date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                parsed = None
            if parsed is not None:
                return _plausible(parsed)
        elif re.fullmatch(r"\d{4}\s*年?", text):
            raise _error(YEAR_ONLY % {"value": text})
        elif re.fullmatch(r"\d{5}(\.\d+)?", text):
            return _excel_serial(float(text))
        raise _error(_("“%(value)s” is not a date; write it like 2026-03-01.") % {"value": text})

    def render(self, value, obj=None, **kwargs):
        return value


YEAR_ONLY = _("“%(value)s” is only a year; write the full date, e.g. 2011-05-01.")
# Dates a ledger plausibly holds: from EARLIEST_DATE (1949) to the end of this century. An Excel serial number
# outside them is something else (a year, an amount) typed into a date column.


def _serial_date(days: int) -> date:
    # Excel's day 1 is 1900-01-01 and it counts a 29 February 1900 that never was.
    return date(1899, 12, 30) + timedelta(days=days) if days >= 61 else date(1899, 12, 31) + timedelta(days=days)


def _excel_serial(number: float) -> date:
    if float(number).is_integer() and 1900 <= number <= 2099:
        raise _error(YEAR_ONLY % {"value": int(number)})
    if not 1 <= number < 2958466:
        raise _error(_("“%(value)s” is not a date; write it like 2026-03-01.") % {"value": number})
    return _plausible(_serial_date(int(number)), serial=number)


def _plausible(value: date, serial=None) -> date:
    """A date before 1949 in a ledger is a year typed as a number (2011 shows as 1905-07-03) or a typo."""
    if value >= EARLIEST_DATE and value <= LATEST_DATE:
        return value
    days = (value - date(1899, 12, 30)).days if value >= date(1900, 3, 1) else None
    if days is not None and 1900 <= days <= 2099:
        raise _error(
            _("“%(value)s” is the year %(year)s typed as a number into a date cell; write the full date.")
            % {"value": value.isoformat(), "year": days}
        )
    raise _error(
        _("“%(value)s” is not a plausible date (before %(earliest)s or after %(latest)s).")
        % {
            "value": serial if serial is not None else value.isoformat(),
            "earliest": EARLIEST_DATE,
            "latest": LATEST_DATE,
        }
    )


class BoolWidget(widgets.BooleanWidget):
    """是/否 (also yes/no, true/false, 1/0, √/×); an empty cell leaves the value as it is."""

    uses_row = False  # clean() reads the cell alone: the import remembers its result per distinct value

    def clean(self, value, row=None, **kwargs):
        if is_blank(value):
            return None
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float):
            value = int(value) if float(value).is_integer() else value
        refuse_error_value(value)
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

    uses_row = False  # clean() reads the cell alone: the import remembers its result per distinct value

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
        refuse_error_value(value)
        return self.value_for(one_line(cell_unescape(str(value).strip())))

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

    uses_row = False  # clean() reads the cell alone: the import remembers its result per distinct value

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
        refuse_error_value(text)
        text = one_line(cell_unescape(str(text).strip()))
        found = self.index().get(norm(text), [])
        if not found:
            found = self.loose_match(text)
        if not found:
            raise _error(self.unknown_text(text))
        if len(found) > 1:
            raise _error(self.ambiguous_message % {"value": text})
        return found[0]

    def loose_match(self, text: str) -> list:
        """Objects a looser spelling names (e.g. a region without its 区/县 suffix); none by default."""
        return []

    def unknown_text(self, text: str) -> str:
        return str(self.unknown_message % {"value": text})

    def by_pk(self, pk):
        """An object of the per-import cache by primary key (for showing a stored value), or None."""
        if getattr(self, "_pk_index", None) is None or len(self._pk_index) < len(self.index()):
            self._pk_index = {o.pk: o for bucket in self.index().values() for o in bucket}
        return self._pk_index.get(pk)

    def clean(self, value, row=None, **kwargs):
        if is_blank(value):
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return self.find(value)

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else self.label(value)


# Prefixes and suffixes a region's name is written with or without: 淮安市清江浦区, 清江浦.
REGION_PREFIXES = ("江苏省淮安市", "江苏省", "淮安市")
REGION_SUFFIXES = ("区", "县", "市")


def _region_unprefixed(text: str) -> str:
    key = norm(text)
    for prefix in REGION_PREFIXES:
        if key.startswith(prefix) and len(key) > len(prefix):
            return key[len(prefix) :]
    return key


def _region_loose(text: str) -> str:
    key = _region_unprefixed(text)
    return key[:-1] if len(key) > 2 and key.endswith(REGION_SUFFIXES) else key


def nearest(text: str, names: list[str], limit: int = 3, key=norm) -> list[str]:
    """The valid names closest to ``text`` (shared characters and difflib's ratio), best first."""
    mine = key(text)
    scored = []
    for name in names:
        other = key(name)
        ratio = difflib.SequenceMatcher(None, mine, other).ratio()
        shared = len(set(mine) & set(other)) / max(1, min(len(set(mine)), len(set(other))))
        score = max(ratio, shared * 0.8)
        if score >= 0.4:
            scored.append((-score, name))
    scored.sort()
    # Only the names about as close as the closest one.
    return [name for score, name in scored[:limit] if -score >= -scored[0][0] - 0.15]


class ReferenceWidget(CachedLookupWidget):
    """Region, industry chain or qualification by Chinese name, code or one of its other names (``aliases``,
    kept with the reference data and editable in the admin); a region also with or without 淮安市 and its
    区/县 suffix. An unknown value is answered with the nearest valid names."""

    def __init__(self, model, unknown_message, **kwargs):
        super().__init__(model, **kwargs)
        self.unknown_message = unknown_message
        self._loose: dict[str, list] | None = None

    def keys(self, obj):
        return [obj.code, obj.name, *obj.alias_list()]

    def label(self, obj):
        return obj.name

    def loose_match(self, text):
        if self.model is not Region:
            return []
        if self._loose is None:
            self._loose = {}
            for bucket in self.index().values():
                for obj in bucket:
                    for key in {_region_loose(k) for k in [obj.name, *obj.alias_list()]}:
                        if obj not in self._loose.setdefault(key, []):
                            self._loose[key].append(obj)
        return self.index().get(_region_unprefixed(text)) or self._loose.get(_region_loose(text), [])

    def names(self) -> list[str]:
        seen = {o.pk: o for bucket in self.index().values() for o in bucket}
        return [o.name for o in sorted(seen.values(), key=lambda o: (o.sort_order, o.code))]

    def unknown_text(self, text):
        message = super().unknown_text(text)
        suggestions = nearest(text, self.names(), key=_region_loose if self.model is Region else norm)
        if suggestions:
            return gettext("%(message)s Did you mean: %(names)s?") % {
                "message": message,
                "names": "、".join(suggestions),
            }
        return message


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
        variants = sorted({variant for v in values if not is_blank(v) for variant in name_variants(one_line(str(v)))})
        for chunk in key_chunks(variants):
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
    uses_row = True  # reads the credit-code column of the row too
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
            if credit_code_mangled(value):
                raise _error(CREDIT_CODE_MANGLED)
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

    uses_row = False  # clean() reads the cell alone: the import remembers its result per distinct value

    def __init__(self, single: CachedLookupWidget, **kwargs):
        super().__init__(single.model, **kwargs)
        self.single = single

    def clean(self, value, row=None, **kwargs):
        if is_blank(value):
            return []
        refuse_error_value(value)
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
