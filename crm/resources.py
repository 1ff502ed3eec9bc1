"""django-import-export resources of every ledger kind (DESIGN §8.4), shared by the commands, /imports/,
the list-page exports and the admin.

The column headers are plain Chinese strings: they are a data contract with the bureau's spreadsheets,
not UI text, so they are not translated. Enumerations are written with their Chinese label (§3.1) and
read by label or value; regions, chains and qualifications by name or code; people by user name or name.

Import speed (≤ 10 s for 10 000 enterprises): ``use_bulk`` with a batch size, ``skip_diff``, existing
records fetched by key in ``before_import`` into a dict, reference look-ups cached per import, foreign keys
resolved from those caches (and left out of ``full_clean``, whose FK check would query once per cell),
uniqueness checked against the dicts instead of per row, and saves through
``bulk_create_with_history`` / ``bulk_update_with_history`` so imported changes appear in the history.
Many-to-many columns are written in bulk through their through tables after the rows are saved.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import connections, models, router, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources, widgets
from import_export.results import RowResult
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from crm import choices
from crm.models import (
    ActionItem,
    Bureau,
    CodeSequence,
    Department,
    Enterprise,
    IndustryChain,
    Need,
    Offering,
    Policy,
    Project,
    Qualification,
    Region,
    User,
    Visit,
)
from crm.querysets import scope_region
from crm.services.exports import cell_unescape, dataset_escape
from crm.validators import validate_no_control_chars

CHANGE_REASON = "表格导入"
SEPARATORS = re.compile(r"[、,，;；\n]+")
CHUNK = 2000  # ids per IN (...) query: well under SQLite's variable limit

# Chinese labels of every enumeration (DESIGN §3.1): the spreadsheet contract, independent of the UI language.
ZH_LABELS: dict[type, dict[str, str]] = {
    choices.EnterpriseStatus: {"operating": "正常经营", "relocated": "已迁出", "closed": "已注销"},
    choices.PartyOrganization: {"none": "无", "branch": "党支部", "general_branch": "党总支", "committee": "党委"},
    choices.ProjectKind: {
        "investment": "招商引资",
        "tech": "科技项目",
        "industrialisation": "产业化",
        "platform": "平台载体",
    },
    choices.ProjectStage: {
        "negotiating": "洽谈",
        "signed": "签约",
        "under_construction": "开工在建",
        "completed": "竣工",
        "in_production": "投产",
    },
    choices.ProjectStatus: {"active": "推进中", "paused": "暂缓", "finished": "已结束"},
    choices.VisitKind: {"on_site": "实地走访", "meeting": "座谈", "phone": "电话", "online": "线上"},
    choices.VisitFlag: {"green": "正常", "yellow": "关注", "red": "预警"},
    choices.NeedCategory: {
        "funding": "资金支持",
        "talent": "人才引进",
        "rd": "技术攻关",
        "cooperation": "产学研合作",
        "finance": "科技金融/融资",
        "platform": "平台载体",
        "ip": "知识产权",
        "qualification": "资质认定",
        "consultation": "政策咨询",
        "land": "用地用房",
        "labour": "用工",
        "energy": "用能",
        "approval": "审批手续",
        "market": "市场拓展",
        "other": "其他",
    },
    choices.NeedStatus: {
        "new": "待受理",
        "accepted": "已受理",
        "assigned": "已交办",
        "in_progress": "办理中",
        "answered": "已答复",
        "closed": "已办结",
        "rejected": "不予受理",
    },
    choices.Urgency: {"normal": "一般", "urgent": "紧急", "critical": "特急"},
    choices.NeedSource: {"visit": "走访", "phone": "电话", "letter": "来函", "meeting": "座谈会", "platform": "平台"},
    choices.Satisfaction: {"satisfied": "满意", "basically_satisfied": "基本满意", "unsatisfied": "不满意"},
    choices.PolicyLevel: {"national": "国家级", "provincial": "省级", "city": "市级", "county": "县区级"},
    choices.PolicyKind: {
        "funding": "资金奖补",
        "tax": "税收优惠",
        "finance": "金融支持",
        "talent": "人才支持",
        "platform": "平台载体",
        "qualification": "资质认定",
        "other": "其他",
    },
    choices.PolicyDelivery: {"no_application": "免申即享", "instant": "即申即享", "application": "申报制"},
    choices.OfferingKind: {
        "funding_programme": "资金项目",
        "platform": "平台载体",
        "expert_team": "专家团队",
        "commissioner": "科技特派员",
        "finance_product": "金融产品",
        "service_event": "服务活动",
        "policy_coaching": "政策辅导",
        "talent_programme": "人才计划",
    },
    choices.ActionStatus: {"planned": "待办", "in_progress": "进行中", "done": "已完成", "cancelled": "已取消"},
}
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
        self.labels = ZH_LABELS[choices_class]
        lookup = {}
        for value, label in choices_class.choices:
            lookup[norm(value)] = value
            lookup[norm(str(label))] = value
            lookup[norm(self.labels[value])] = value
        for word, value in ZH_SYNONYMS.get(choices_class, {}).items():
            lookup.setdefault(norm(word), value)
        self.lookup = lookup

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

    def bureau_of(self, department_id: int):
        if not hasattr(self, "_bureaus"):
            self._bureaus = {d.pk: d.bureau_id for bucket in self.index().values() for d in bucket}
        return self._bureaus.get(department_id)


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


# ------------------------------------------------------------------------------------------- resources


def col(header: str, attribute: str, widget, **kwargs) -> fields.Field:
    return fields.Field(attribute=attribute, column_name=header, widget=widget, **kwargs)


def text(header: str, attribute: str, upper: bool = False, **kwargs) -> fields.Field:
    return col(header, attribute, TextWidget(upper=upper), **kwargs)


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
        self._update_fields: list[str] = []
        self._failed = False
        self._header_failed = False
        self._code_only: list[tuple[str, fields.Field]] = []
        self._plan: list[tuple] = []
        self._snapshot: list = []
        self._bind_user()

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
        self._plan = [
            (f.column_name, f.attribute, f.widget, f.saves_null_values)
            for name, f in self._present
            if name not in code_only
        ]
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
            keys = set()
            for value in self._column(dataset, key_field.column_name):
                try:
                    cleaned = key_field.widget.clean(value)
                except ValueError:
                    continue
                if not is_blank(cleaned):
                    keys.add(cleaned)
            keys = sorted(keys)
            model = self._meta.model
            for start in range(0, len(keys), CHUNK):
                chunk = keys[start : start + CHUNK]
                for obj in model._default_manager.filter(**{f"{self.key_lookup}__in": chunk}):
                    self._existing[getattr(obj, self.key_lookup)] = obj
            self._visible = None
            if self.user is not None and hasattr(model._default_manager.all(), "visible_to"):
                ids = [obj.pk for obj in self._existing.values()]
                self._visible = set()
                for start in range(0, len(ids), CHUNK):
                    self._visible.update(
                        model._default_manager.visible_to(self.user)
                        .filter(pk__in=ids[start : start + CHUNK])
                        .values_list("pk", flat=True)
                    )
        self._m2m_current = {}
        existing_ids = [obj.pk for obj in self._existing.values()]
        for _name, field in self._present_m2m:
            through, source, target = self._through(field.attribute)
            current: dict[int, dict] = {}  # owner id → {target id: through row id}
            for start in range(0, len(existing_ids), CHUNK):
                rows = through.objects.filter(**{f"{source}__in": existing_ids[start : start + CHUNK]})
                for link_id, owner_id, target_id in rows.values_list("pk", source, target):
                    current.setdefault(owner_id, {})[target_id] = link_id
            self._m2m_current[field.attribute] = current

    def _through(self, attribute: str):
        m2m = self._meta.model._meta.get_field(attribute)
        return m2m.remote_field.through, m2m.m2m_field_name() + "_id", m2m.m2m_reverse_field_name() + "_id"

    # --- one row ---------------------------------------------------------------------------------

    def import_row(self, row, instance_loader, **kwargs):
        self._current = kwargs.get("row_number", 0)
        if self.progress and self._current % 500 == 0:
            self.progress(self._current)
        if self._header_failed or all(is_blank(v) for v in row.values()):
            result = self.get_row_result_class()()
            result.import_type = RowResult.IMPORT_TYPE_SKIP
            return result
        row_result = super().import_row(row, instance_loader, **kwargs)
        if row_result.import_type in (RowResult.IMPORT_TYPE_INVALID, RowResult.IMPORT_TYPE_ERROR):
            self._failed = True
        return row_result

    def get_instance(self, instance_loader, row):
        if not self.key:
            return None
        key_field = self.fields[self.key]
        if key_field.column_name not in row:
            return None
        try:
            key = key_field.clean(row)
        except ValueError:
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
        instance = self._meta.model()
        if self.user is not None:
            instance.created_by = self.user
            if hasattr(instance, "bureau_id") and self.user.bureau_id:
                instance.bureau_id = self.user.bureau_id
        return instance

    def import_instance(self, instance, row, **kwargs):
        errors = {}
        instance._import_snapshot = (
            {f.attname: getattr(instance, f.attname) for f in self._snapshot} if instance.pk else None
        )
        # The library's field loop, without its per-cell overhead (this runs 200 000 times for 10 000 rows).
        for column, attribute, widget, saves_null in self._plan:
            try:
                value = widget.clean(row[column], row=row)
            except ValueError as error:
                errors[attribute] = [ValidationError(str(error), code="invalid")]
                continue
            if value is not None or saves_null:
                setattr(instance, attribute, value)
        for _name, field in self._code_only:
            try:
                setattr(instance, field.attribute, field.widget.clean(None, row=row))
            except ValueError as error:
                errors.setdefault(field.attribute, []).append(str(error))
        pending = {}
        for _name, field in self._present_m2m:
            try:
                pending[field.attribute] = field.clean(row)
            except ValueError as error:
                errors.setdefault(field.attribute, []).append(str(error))
        instance._import_m2m = pending
        self.row_checks(instance, row, errors)
        if errors:
            raise ValidationError(errors)

    def row_checks(self, instance, row, errors: dict) -> None:
        """Rules beyond the model's own validation; add messages to ``errors`` by field name."""

    def skip_row(self, instance, original, row, import_validation_errors=None):
        # An existing record whose cells all equal what is stored is left alone (no history entry).
        snapshot = getattr(instance, "_import_snapshot", None)
        if import_validation_errors or snapshot is None:
            return False
        if any(getattr(instance, attname) != value for attname, value in snapshot.items()):
            return False
        for attribute, objs in instance._import_m2m.items():
            if {o.pk for o in objs} != set(self._m2m_current.get(attribute, {}).get(instance.pk, {})):
                return False
        return True

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        model_fields = instance._meta.concrete_fields
        relations = [f for f in model_fields if f.is_relation]
        # Foreign keys come from the per-import caches, so they exist: ForeignKey.validate() would query
        # once per cell. Only the "required" part of their validation is kept, here.
        exclude = set(errors) | {f.name for f in relations}
        try:
            instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        for field in relations:
            if field.name not in errors and not field.blank and getattr(instance, field.attname) is None:
                errors[field.name] = [ValidationError(_("This cell is required."), code="required")]
        if errors:
            raise ValidationError(friendly_errors(errors))

    # --- saving in bulk --------------------------------------------------------------------------

    def before_save_instance(self, instance, row, **kwargs):
        if instance.pk:
            instance.updated_at = timezone.now()

    def prepare_create(self, objs: list) -> None:
        """Fill what ``save()`` would have filled (codes, derived fields): bulk_create skips save()."""
        prefix = getattr(self._meta.model, "CODE_PREFIX", "")
        if prefix:
            without = [o for o in objs if not o.code]
            for obj, code in zip(without, _codes_reserve(prefix, len(without)), strict=True):
                obj.code = code

    def extra_update_fields(self) -> list[str]:
        return ["updated_at"]

    def bulk_create(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        objs = self.create_instances
        try:
            if objs and not self._failed:
                with transaction.atomic():
                    self.prepare_create(objs)
                    bulk_create_with_history(
                        objs,
                        self._meta.model,
                        batch_size=self._meta.batch_size,
                        default_user=self.user,
                        default_change_reason=CHANGE_REASON,
                    )
                    self.save_m2m_bulk(objs)
        except Exception as error:  # reported as a problem of the whole file; nothing is kept
            self._failed = True
            self.handle_import_error(result, error, raise_errors)
        finally:
            objs.clear()

    def bulk_update(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        objs = self.update_instances
        try:
            if objs and not self._failed:
                with transaction.atomic():
                    # Django's bulk_update() compiles a CASE WHEN per field and row: ~30 s for 10 000
                    # enterprises. The same values go out as one parameterised UPDATE run with executemany;
                    # bulk_update_with_history(fields=[]) then writes the history rows in bulk.
                    self._rows_update(objs, [*self._update_fields, *self.extra_update_fields()])
                    bulk_update_with_history(
                        objs,
                        self._meta.model,
                        [],
                        batch_size=self._meta.batch_size,
                        default_user=self.user,
                        default_change_reason=CHANGE_REASON,
                    )
                    self.save_m2m_bulk(objs)
        except Exception as error:
            self._failed = True
            self.handle_import_error(result, error, raise_errors)
        finally:
            objs.clear()

    def _rows_update(self, objs: list, names: list[str]) -> None:
        model = self._meta.model
        connection = connections[router.db_for_write(model)]
        model_fields = [model._meta.get_field(name) for name in dict.fromkeys(names)]
        quote = connection.ops.quote_name
        assignments = ", ".join(f"{quote(f.column)} = %s" for f in model_fields)
        sql = f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE {quote(model._meta.pk.column)} = %s"
        params = [
            [f.get_db_prep_save(getattr(obj, f.attname), connection=connection) for f in model_fields] + [obj.pk]
            for obj in objs
        ]
        with connection.cursor() as cursor:
            cursor.executemany(sql, params)

    def save_m2m_bulk(self, objs: list) -> None:
        by_attribute: dict[str, list] = {}
        for obj in objs:
            for attribute in getattr(obj, "_import_m2m", {}):
                by_attribute.setdefault(attribute, []).append(obj)
        for attribute, owners in by_attribute.items():
            through, source, target = self._through(attribute)
            current = self._m2m_current.get(attribute, {})
            new_rows, removed = [], []
            for obj in owners:
                wanted = [o.pk for o in obj._import_m2m[attribute]]
                have = current.get(obj.pk, {})
                removed += [link_id for target_id, link_id in have.items() if target_id not in set(wanted)]
                new_rows += [(obj.pk, pk) for pk in wanted if pk not in have]
            for start in range(0, len(removed), CHUNK):
                through.objects.filter(pk__in=removed[start : start + CHUNK]).delete()
            if new_rows:
                self._links_insert(through, source, target, new_rows)

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

    def after_import(self, dataset, result, **kwargs):
        if not self._failed:
            super().after_import(dataset, result, **kwargs)

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
        for _name, field in self.ordered_fields():
            parts = []
            if field.column_name in self.required_headers:
                parts.append(gettext("Required column."))
            if field.readonly and field.column_name != (self.fields[self.key].column_name if self.key else None):
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


def friendly_errors(errors: dict) -> dict:
    """Django's "cannot be null/blank" become one message a spreadsheet user understands."""
    out = {}
    for key, items in errors.items():
        messages = []
        for item in items if isinstance(items, list) else [items]:
            if isinstance(item, ValidationError):
                if getattr(item, "code", None) in ("null", "blank", "required"):
                    messages.append(str(_("This cell is required.")))
                else:
                    messages.extend(item.messages)
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


def _scope_check(resource: LedgerResource, instance, errors: dict) -> None:
    """A county bureau imports records of its own county only (DESIGN §5)."""
    sees_all, region = scope_region(resource.user) if resource.user is not None else (True, None)
    if sees_all or "region" in errors or not getattr(instance, "region_id", None):
        return
    if instance.region_id != region:
        errors["region"] = [_("Your bureau can only import records of its own county.")]


def example_credit_code() -> str:
    """A valid, clearly fictional credit code for the templates (region 320812)."""
    from crm.validators import credit_code_check_char

    body = "91320812MA1X8Y9Q0"
    return body + credit_code_check_char(body)


def _first(model, **filters):
    return model._default_manager.filter(**filters).order_by("pk").first()


# ------------------------------------------------------------------------------------------- the kinds


class EnterpriseResource(LedgerResource):
    kind = "enterprises"
    title = "企业台账"
    key = "credit_code"
    key_lookup = "credit_code"
    key_required = True
    required_headers = ("企业名称", "统一社会信用代码")
    aliases = {
        "企业全称": "企业名称",
        "单位名称": "企业名称",
        "公司名称": "企业名称",
        "社会信用代码": "统一社会信用代码",
        "信用代码": "统一社会信用代码",
        "统一信用代码": "统一社会信用代码",
        "区县": "所属区县",
        "所在区县": "所属区县",
        "所属地区": "所属区县",
        "产业链": "所属产业链",
        "资质": "企业资质",
        "营业收入(万元)": "上年营业收入(万元)",
        "研发投入(万元)": "上年研发投入(万元)",
        "法人代表": "法定代表人",
        "法人": "法定代表人",
        "企业地址": "地址",
        "注册地址": "地址",
    }
    export_select_related = ("region", "industry_chain", "liaison_leader")
    export_prefetch_related = ("qualifications", "liaison_officers")

    name = text("企业名称", "name")
    credit_code = text("统一社会信用代码", "credit_code", upper=True)
    region = region_col()
    industry_chain = chain_col()
    qualifications = qualifications_many("企业资质", "qualifications")
    employees = col("从业人数", "employees", IntWidget())
    rd_staff = col("研发人员数", "rd_staff", IntWidget())
    revenue = col("上年营业收入(万元)", "revenue", DecimalWidget())
    rd_expense = col("上年研发投入(万元)", "rd_expense", DecimalWidget())
    established_on = col("成立日期", "established_on", DateWidget())
    legal_representative = text("法定代表人", "legal_representative")
    address = text("地址", "address")
    main_products = text("主要产品", "main_products")
    is_linked = flag("挂钩联系企业", "is_linked")
    is_assisted = flag("挂钩帮办企业", "is_assisted")
    liaison_officers = col("挂钩联系人", "liaison_officers", ManyWidget(UserWidget()))
    liaison_leader = col("挂钩局领导", "liaison_leader", UserWidget())
    party_organization = choice("党组织", "party_organization", choices.PartyOrganization)
    party_members = col("党员人数", "party_members", IntWidget())
    status = choice("经营状态", "status", choices.EnterpriseStatus)

    class Meta(LedgerResource.Meta):
        model = Enterprise
        fields = (
            "name",
            "credit_code",
            "region",
            "industry_chain",
            "qualifications",
            "employees",
            "rd_staff",
            "revenue",
            "rd_expense",
            "established_on",
            "legal_representative",
            "address",
            "main_products",
            "is_linked",
            "is_assisted",
            "liaison_officers",
            "liaison_leader",
            "party_organization",
            "party_members",
            "status",
        )

    def not_found_message(self, key, exists: bool):
        return _("An enterprise with this credit code exists outside your bureau's area.")

    def row_checks(self, instance, row, errors):
        _scope_check(self, instance, errors)
        if instance.rd_staff is not None and instance.employees is not None and instance.rd_staff > instance.employees:
            errors.setdefault("rd_staff", []).append(_("There are more R&D staff than employees."))

    def example_row(self):
        region = _first(Region)
        chain = _first(IndustryChain)
        quals = list(Qualification.objects.order_by("sort_order", "code")[:2])
        return {
            "企业名称": "淮安示例科技有限公司",
            "统一社会信用代码": example_credit_code(),
            "所属区县": region.name if region else "清江浦区",
            "所属产业链": chain.name if chain else "",
            "企业资质": "、".join(q.name for q in quals),
            "从业人数": 120,
            "研发人员数": 18,
            "上年营业收入(万元)": Decimal("8000.00"),
            "上年研发投入(万元)": Decimal("320.50"),
            "成立日期": date(2015, 5, 1),
            "法定代表人": "张三",
            "地址": "淮安市清江浦区示例路1号",
            "主要产品": "示例产品",
            "挂钩联系企业": "是",
            "挂钩帮办企业": "否",
            "挂钩联系人": self.user.username if self.user else "",
            "挂钩局领导": "",
            "党组织": "党支部",
            "党员人数": 12,
            "经营状态": "正常经营",
        }


class ProjectResource(LedgerResource):
    kind = "projects"
    title = "项目台账"
    key = "id"
    key_lookup = "pk"
    required_headers = ("项目名称",)
    aliases = {"名称": "项目名称", "区县": "所属区县", "产业链": "所属产业链", "计划总投资(万元)": "计划投资(万元)"}
    export_select_related = ("enterprise", "region", "industry_chain", "liaison_leader")
    export_prefetch_related = ("liaison_officers",)
    notes = {"系统编号": _("Leave empty for a new project; keep it to update an exported project.")}

    id = col("系统编号", "id", IntWidget(), readonly=True)
    name = text("项目名称", "name")
    enterprise = col("企业名称", "enterprise", EnterpriseWidget(code_column="统一社会信用代码"))
    enterprise_code = text("统一社会信用代码", "enterprise__credit_code", readonly=True)
    region = region_col()
    industry_chain = chain_col()
    kind_ = choice("项目类型", "kind", choices.ProjectKind)
    stage = choice("项目阶段", "stage", choices.ProjectStage)
    planned_investment = col("计划投资(万元)", "planned_investment", DecimalWidget())
    description = text("项目简介", "description")
    is_assisted = flag("挂钩帮办项目", "is_assisted")
    liaison_officers = col("挂钩联系人", "liaison_officers", ManyWidget(UserWidget()))
    liaison_leader = col("挂钩局领导", "liaison_leader", UserWidget())
    status = choice("项目状态", "status", choices.ProjectStatus)

    class Meta(LedgerResource.Meta):
        model = Project
        fields = (
            "id",
            "name",
            "enterprise",
            "enterprise_code",
            "region",
            "industry_chain",
            "kind_",
            "stage",
            "planned_investment",
            "description",
            "is_assisted",
            "liaison_officers",
            "liaison_leader",
            "status",
        )

    def row_checks(self, instance, row, errors):
        if instance.region_id is None and instance.enterprise_id and "region" not in errors:
            instance.region_id = instance.enterprise.region_id
        _scope_check(self, instance, errors)

    def example_row(self):
        region = _first(Region)
        return {
            "项目名称": "年产10万套新能源汽车零部件项目",
            "所属区县": region.name if region else "清江浦区",
            "项目类型": "招商引资",
            "项目阶段": "签约",
            "计划投资(万元)": Decimal("50000"),
            "挂钩帮办项目": "是",
            "项目状态": "推进中",
        }


class PolicyResource(LedgerResource):
    kind = "policies"
    title = "惠企政策"
    key = "id"
    key_lookup = "pk"
    required_headers = ("政策名称",)
    aliases = {"标题": "政策名称", "政策标题": "政策名称", "发文机关": "发文单位", "发文字号": "文号"}
    export_select_related = ("department__bureau",)
    export_prefetch_related = ("regions", "industry_chains", "required_qualifications")
    notes = {"系统编号": _("Leave empty for a new policy; keep it to update an exported policy.")}

    id = col("系统编号", "id", IntWidget(), readonly=True)
    title_ = text("政策名称", "title")
    issuer = text("发文单位", "issuer")
    doc_number = text("文号", "doc_number")
    level = choice("政策层级", "level", choices.PolicyLevel)
    kind_ = choice("政策类型", "kind", choices.PolicyKind)
    delivery = choice("兑现方式", "delivery", choices.PolicyDelivery)
    published_on = col("发布日期", "published_on", DateWidget())
    apply_from = col("申报开始日期", "apply_from", DateWidget())
    apply_until = col("申报截止日期", "apply_until", DateWidget())
    summary = text("政策摘要", "summary")
    conditions_text = text("申报条件", "conditions_text")
    support_text = text("扶持标准", "support_text")
    max_amount = col("最高扶持金额(万元)", "max_amount", DecimalWidget())
    department = col("责任处室", "department", DepartmentWidget())
    url = text("政策链接", "url")
    need_categories = col("适用诉求类别", "need_categories", MultiChoiceWidget(choices.NeedCategory))
    keywords = text("关键词", "keywords")
    is_active = flag("是否有效", "is_active")
    regions = regions_many("适用区县", "regions")
    industry_chains = chains_many("适用产业链", "industry_chains")
    required_qualifications = qualifications_many("所需资质", "required_qualifications")
    min_employees = col("最少从业人数", "min_employees", IntWidget())
    max_employees = col("最多从业人数", "max_employees", IntWidget())
    min_revenue = col("最低营业收入(万元)", "min_revenue", DecimalWidget())
    max_revenue = col("最高营业收入(万元)", "max_revenue", DecimalWidget())
    min_rd_expense = col("最低研发投入(万元)", "min_rd_expense", DecimalWidget())
    min_rd_ratio = col("最低研发投入占比(%)", "min_rd_ratio", DecimalWidget())
    min_years_established = col("最短成立年限", "min_years_established", IntWidget())
    linked_only = flag("仅限挂钩企业", "linked_only")

    class Meta(LedgerResource.Meta):
        model = Policy
        fields = (
            "id",
            "title_",
            "issuer",
            "doc_number",
            "level",
            "kind_",
            "delivery",
            "published_on",
            "apply_from",
            "apply_until",
            "summary",
            "conditions_text",
            "support_text",
            "max_amount",
            "department",
            "url",
            "need_categories",
            "keywords",
            "is_active",
            "regions",
            "industry_chains",
            "required_qualifications",
            "min_employees",
            "max_employees",
            "min_revenue",
            "max_revenue",
            "min_rd_expense",
            "min_rd_ratio",
            "min_years_established",
            "linked_only",
        )

    def example_row(self):
        return {
            "政策名称": "关于支持高新技术企业发展的若干政策",
            "发文单位": "淮安市科学技术局",
            "文号": "淮科发〔2026〕1号",
            "政策层级": "市级",
            "政策类型": "资金奖补",
            "兑现方式": "申报制",
            "发布日期": date(2026, 1, 15),
            "申报截止日期": date(2026, 6, 30),
            "最高扶持金额(万元)": Decimal("30"),
            "适用诉求类别": "资金支持、资质认定",
            "是否有效": "是",
        }


class OfferingResource(LedgerResource):
    kind = "offerings"
    title = "资源清单"
    key = "id"
    key_lookup = "pk"
    required_headers = ("资源名称",)
    aliases = {"名称": "资源名称", "处室": "提供处室", "责任处室": "提供处室"}
    export_select_related = ("department__bureau",)
    notes = {"系统编号": _("Leave empty for a new offering; keep it to update an exported offering.")}

    id = col("系统编号", "id", IntWidget(), readonly=True)
    name = text("资源名称", "name")
    department = col("提供处室", "department", DepartmentWidget())
    kind_ = choice("资源类型", "kind", choices.OfferingKind)
    description = text("资源说明", "description")
    need_categories = col("适用诉求类别", "need_categories", MultiChoiceWidget(choices.NeedCategory))
    contact_name = text("联系人", "contact_name")
    contact_phone = text("联系电话", "contact_phone")
    available_until = col("有效期至", "available_until", DateWidget())
    is_active = flag("是否有效", "is_active")

    class Meta(LedgerResource.Meta):
        model = Offering
        fields = (
            "id",
            "name",
            "department",
            "kind_",
            "description",
            "need_categories",
            "contact_name",
            "contact_phone",
            "available_until",
            "is_active",
        )

    def init_instance(self, row=None):
        instance = super().init_instance(row)
        if self.user is not None and self.user.department_id:
            instance.department_id = self.user.department_id
        return instance

    def row_checks(self, instance, row, errors):
        # A county manager keeps the offerings of its own bureau's departments (as offering_update does).
        if self.user is None or self.user.sees_everything or "department" in errors:
            return
        bureaus = self.fields["department"].widget.bureau_of
        before = (instance._import_snapshot or {}).get("department_id")
        for department_id in {instance.department_id, before} - {None}:
            if bureaus(department_id) != self.user.bureau_id:
                errors["department"] = [_("Choose a department of your own bureau.")]
                break

    def example_row(self):
        department = self.user.department if self.user is not None and self.user.department_id else None
        return {
            "资源名称": "高企认定辅导",
            "提供处室": department.name if department else "",
            "资源类型": "政策辅导",
            "适用诉求类别": "资质认定、政策咨询",
            "联系人": "李四",
            "联系电话": "0517-80000000",
            "是否有效": "是",
        }


class VisitResource(LedgerResource):
    kind = "visits"
    title = "走访记录"
    key = "code"
    key_lookup = "code"
    aliases = {"编号": "走访编号", "日期": "走访日期", "走访时间": "走访日期", "走访人": "走访人员"}
    export_select_related = ("enterprise", "project", "lead")
    export_prefetch_related = ("officers",)
    notes = {"走访编号": _("Leave empty for a new record; keep it to update an exported record.")}

    code = text("走访编号", "code", upper=True, readonly=True)
    enterprise = col("企业名称", "enterprise", EnterpriseWidget(code_column="统一社会信用代码"))
    enterprise_code = text("统一社会信用代码", "enterprise__credit_code", readonly=True)
    project = col("项目名称", "project", ProjectWidget())
    visited_on = col("走访日期", "visited_on", DateWidget())
    kind_ = choice("走访方式", "kind", choices.VisitKind)
    lead = col("带队领导", "lead", UserWidget())
    officers = col("走访人员", "officers", ManyWidget(UserWidget()))
    interviewee = text("受访人", "interviewee")
    interviewee_title = text("受访人职务", "interviewee_title")
    q_needs = text("问需", "q_needs")
    q_difficulties = text("问难", "q_difficulties")
    q_suggestions = text("问计", "q_suggestions")
    party_notes = text("党建情况", "party_notes")
    policies_briefed = text("宣讲政策", "policies_briefed")
    resolved_on_site = text("现场解决事项", "resolved_on_site")
    flag_ = choice("预警标识", "flag", choices.VisitFlag)
    next_visit_on = col("下次走访日期", "next_visit_on", DateWidget())

    class Meta(LedgerResource.Meta):
        model = Visit
        fields = (
            "code",
            "enterprise",
            "enterprise_code",
            "project",
            "visited_on",
            "kind_",
            "lead",
            "officers",
            "interviewee",
            "interviewee_title",
            "q_needs",
            "q_difficulties",
            "q_suggestions",
            "party_notes",
            "policies_briefed",
            "resolved_on_site",
            "flag_",
            "next_visit_on",
        )

    def row_checks(self, instance, row, errors):
        if not (instance.q_needs or instance.q_difficulties or instance.q_suggestions):
            if not {"q_needs", "q_difficulties", "q_suggestions"} & set(errors):
                errors.setdefault("q_needs", []).append(
                    _("Fill in at least one of the three questions: needs, difficulties, suggestions.")
                )
        if instance.pk is None and not instance._import_m2m.get("officers") and self.user is not None:
            instance._import_m2m["officers"] = [self.user]  # a visit's officers default to its creator

    def example_row(self):
        return {
            "企业名称": "淮安示例科技有限公司",
            "统一社会信用代码": example_credit_code(),
            "走访日期": timezone.localdate(),
            "走访方式": "实地走访",
            "走访人员": self.user.username if self.user else "",
            "受访人": "王五",
            "受访人职务": "总经理",
            "问需": "希望对接高校研发团队",
            "问难": "研发人才招引难",
            "问计": "建议组织产学研对接会",
            "预警标识": "正常",
        }


# Fields of an existing need that only the transitions of DESIGN §4.1 change.
WORKFLOW_ATTRIBUTES = (
    ("lead_department_id", "lead_department"),
    ("handler_id", "handler"),
    ("due_on", "due_on"),
    ("resolution", "resolution"),
    ("satisfaction", "satisfaction"),
)


class NeedResource(LedgerResource):
    kind = "needs"
    title = "诉求清单"
    key = "code"
    key_lookup = "code"
    aliases = {"编号": "诉求编号", "标题": "诉求标题", "诉求内容": "诉求描述", "类别": "诉求类别", "状态": "办理状态"}
    export_select_related = ("enterprise", "project", "visit", "bureau", "lead_department__bureau", "handler")
    export_prefetch_related = ("assisting_departments__bureau",)
    notes = {"诉求编号": _("Leave empty for a new record; keep it to update an exported record.")}

    code = text("诉求编号", "code", upper=True, readonly=True)
    enterprise = col("企业名称", "enterprise", EnterpriseWidget(code_column="统一社会信用代码"))
    enterprise_code = text("统一社会信用代码", "enterprise__credit_code", readonly=True)
    project = col("项目名称", "project", ProjectWidget())
    visit = col("走访编号", "visit", CodeWidget(Visit, _("No visit in your area has the code “%(value)s”.")))
    source = choice("诉求来源", "source", choices.NeedSource)
    category = choice("诉求类别", "category", choices.NeedCategory)
    title_ = text("诉求标题", "title")
    description = text("诉求描述", "description")
    urgency = choice("紧急程度", "urgency", choices.Urgency)
    status = choice("办理状态", "status", choices.NeedStatus)
    bureau = col("承办科技局", "bureau", BureauWidget())
    lead_department = col("主办处室", "lead_department", DepartmentWidget())
    assisting_departments = col("协办处室", "assisting_departments", ManyWidget(DepartmentWidget()))
    handler = col("经办人", "handler", UserWidget())
    due_on = col("办理时限", "due_on", DateWidget())
    resolution = text("办理结果", "resolution")
    satisfaction = choice("满意度", "satisfaction", choices.Satisfaction, blank=True)

    class Meta(LedgerResource.Meta):
        model = Need
        fields = (
            "code",
            "enterprise",
            "enterprise_code",
            "project",
            "visit",
            "source",
            "category",
            "title_",
            "description",
            "urgency",
            "status",
            "bureau",
            "lead_department",
            "assisting_departments",
            "handler",
            "due_on",
            "resolution",
            "satisfaction",
        )

    def row_checks(self, instance, row, errors):
        if instance.pk is None:
            source_present = "诉求来源" in row and not is_blank(row.get("诉求来源"))
            if not source_present:
                instance.source = choices.NeedSource.VISIT if instance.visit_id else choices.NeedSource.PHONE
            if instance.visit_id and not instance.enterprise_id and "enterprise" not in errors:
                instance.enterprise_id = instance.visit.enterprise_id
            if not instance.bureau_id:
                enterprise = instance.enterprise if instance.enterprise_id else None
                instance.bureau_id = (enterprise.bureau_id if enterprise else None) or getattr(
                    _first(Bureau, level=choices.BureauLevel.CITY), "pk", None
                )
        if not instance.enterprise_id and not instance.project_id and not {"enterprise", "project"} & set(errors):
            errors.setdefault("enterprise", []).append(
                _("A need belongs to an enterprise or a project; give at least one.")
            )
        snapshot = instance._import_snapshot or {}
        # The closed loop (DESIGN §4.1) moves an existing need only through its verbs, each logged on the
        # timeline; an import may set the status of new needs (an old ledger) but not move existing ones.
        if "status" in snapshot and instance.status != snapshot["status"] and "status" not in errors:
            errors["status"] = [_("Change the status of an existing need on its page, not by import.")]
        if "bureau_id" in snapshot and instance.bureau_id != snapshot["bureau_id"] and "bureau" not in errors:
            errors["bureau"] = [_("Transfer an existing need on its page, not by import.")]
        # Likewise assignment, deadline, answer and rating: the verbs log them (an extension needs a reason).
        for attname, name in WORKFLOW_ATTRIBUTES:
            if attname in snapshot and getattr(instance, attname) != snapshot[attname] and name not in errors:
                errors[name] = [_("Change this on the need's page (assign, extend, answer), not by import.")]

    def before_save_instance(self, instance, row, **kwargs):
        super().before_save_instance(instance, row, **kwargs)
        if instance.pk:
            instance.version += 1  # optimistic locking: an open form on this need must reload

    def extra_update_fields(self):
        return ["updated_at", "version"]

    def example_row(self):
        return {
            "企业名称": "淮安示例科技有限公司",
            "统一社会信用代码": example_credit_code(),
            "诉求来源": "走访",
            "诉求类别": "人才引进",
            "诉求标题": "引进高端研发人才",
            "诉求描述": "企业急需电池管理系统方向的研发人才",
            "紧急程度": "一般",
        }


class ActionItemResource(LedgerResource):
    kind = "action-items"
    title = "行动清单"
    key = "code"
    key_lookup = "code"
    aliases = {"编号": "行动编号", "事项": "行动事项", "责任人员": "责任人", "时限": "完成时限", "状态": "办理状态"}
    export_select_related = ("need", "project", "enterprise", "offering", "owner", "department__bureau")
    notes = {"行动编号": _("Leave empty for a new record; keep it to update an exported record.")}

    code = text("行动编号", "code", upper=True, readonly=True)
    title_ = text("行动事项", "title")
    need = col("诉求编号", "need", CodeWidget(Need, _("No need in your area has the code “%(value)s”.")))
    project = col("项目名称", "project", ProjectWidget())
    enterprise = text("企业名称", "enterprise__name", readonly=True)
    offering = col("资源名称", "offering", OfferingWidget())
    owner = col("责任人", "owner", UserWidget())
    department = col("责任处室", "department", DepartmentWidget())
    due_on = col("完成时限", "due_on", DateWidget())
    status = choice("办理状态", "status", choices.ActionStatus)
    result = text("办理结果", "result")
    completed_on = col("完成日期", "completed_on", DateWidget())

    class Meta(LedgerResource.Meta):
        model = ActionItem
        fields = (
            "code",
            "title_",
            "need",
            "project",
            "enterprise",
            "offering",
            "owner",
            "department",
            "due_on",
            "status",
            "result",
            "completed_on",
        )

    def row_checks(self, instance, row, errors):
        if not instance.need_id and not instance.project_id and not {"need", "project"} & set(errors):
            errors.setdefault("need", []).append(_("An action item belongs to a need or a project; give at least one."))
        if not instance.enterprise_id:
            if instance.need_id and instance.need.enterprise_id:
                instance.enterprise_id = instance.need.enterprise_id
            elif instance.project_id and instance.project.enterprise_id:
                instance.enterprise_id = instance.project.enterprise_id

    def example_row(self):
        return {
            "行动事项": "组织高企认定辅导",
            "诉求编号": "",
            "责任人": self.user.username if self.user else "",
            "完成时限": timezone.localdate() + timedelta(days=30),
            "办理状态": "待办",
        }


RESOURCES: dict[str, type[LedgerResource]] = {
    "enterprises": EnterpriseResource,
    "projects": ProjectResource,
    "policies": PolicyResource,
    "offerings": OfferingResource,
    "visits": VisitResource,
    "needs": NeedResource,
    "action-items": ActionItemResource,
}
KIND_BY_MODEL: dict[type[models.Model], str] = {cls._meta.model: kind for kind, cls in RESOURCES.items()}


def resource_for(kind: str, user=None) -> LedgerResource:
    try:
        resource_class = RESOURCES[kind]
    except KeyError:
        raise KeyError(kind) from None
    return resource_class(user=user)
