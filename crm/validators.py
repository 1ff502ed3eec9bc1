"""Validators for the unified social credit code (GB 32100-2015, DESIGN §6) and mainland mobile numbers."""

import datetime
import re

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
# The largest primary key a database can hold: a larger posted id must be refused before it reaches a query.
MAX_ID = 2**63 - 1


def is_valid_id(value) -> bool:
    """A whole number 1 … MAX_ID, given as int or digits."""
    text = str(value).strip()
    return text.isdigit() and 1 <= int(text) <= MAX_ID


def normalize_credit_code(value: str) -> str:
    return (value or "").strip().upper()


def credit_code_check_char(first17: str) -> str:
    total = sum(CREDIT_CODE_ALPHABET.index(c) * w for c, w in zip(first17, CREDIT_CODE_WEIGHTS, strict=True))
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def validate_credit_code(value: str) -> None:
    """Refuse an invalid code with a message naming the rule that failed."""
    code = normalize_credit_code(value)
    if len(code) != 18:
        raise ValidationError(
            _("A unified social credit code has 18 characters; this one has %(n)d."),
            code="credit_code_length",
            params={"n": len(code)},
        )
    bad = sorted({c for c in code if c not in CREDIT_CODE_ALPHABET})
    if bad:
        raise ValidationError(
            _("Character(s) %(chars)s are not allowed in a credit code (digits and letters except I, O, S, V, Z)."),
            code="credit_code_alphabet",
            params={"chars": "、".join(bad)},
        )
    if not code[2:8].isdigit():
        raise ValidationError(
            _("Positions 3 to 8 of a credit code are the region code and must be 6 digits; got %(part)s."),
            code="credit_code_region",
            params={"part": code[2:8]},
        )
    expected = credit_code_check_char(code[:17])
    if code[17] != expected:
        raise ValidationError(
            _("The check character of the credit code is wrong: expected %(expected)s, got %(got)s."),
            code="credit_code_check",
            params={"expected": expected, "got": code[17]},
        )


def validate_mobile(value: str) -> None:
    if value and not MOBILE_RE.match(value.strip()):
        raise ValidationError(
            _("Enter a valid mainland mobile number: 11 digits starting with 13–19."),
            code="mobile",
        )


_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def validate_no_control_chars(value: str) -> None:
    """NUL bytes and control characters break PostgreSQL and spreadsheets; refuse them everywhere."""
    if isinstance(value, str) and _CONTROL_RE.search(value):
        raise ValidationError(_("Control characters (such as NUL) are not allowed."), code="control_chars")


# The earliest date a record of the bureau can carry (the People's Republic; no enterprise registered today
# was founded earlier): dates before it are typos or a year typed as a number into a date cell.
EARLIEST_DATE = datetime.date(1949, 1, 1)


def validate_established_on(value) -> None:
    """成立日期: not before 1949-01-01 and not in the future (model, forms, API and imports alike)."""
    if value is None:
        return
    if value < EARLIEST_DATE:
        raise ValidationError(
            _("The date of establishment cannot be before %(earliest)s."),
            code="established_on_too_early",
            params={"earliest": EARLIEST_DATE.isoformat()},
        )
    if value > timezone.localdate():
        raise ValidationError(_("The date of establishment cannot be in the future."), code="established_on_future")
