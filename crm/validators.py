"""Validators for the unified social credit code (GB 32100-2015, DESIGN §6), mainland mobile numbers, date ranges
and text lengths."""

import datetime as dt
import re
import time

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils import timezone
from django.utils.deconstruct import deconstructible
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


_CREDIT_CODE_VALUE = {c: i for i, c in enumerate(CREDIT_CODE_ALPHABET)}


def credit_code_check_char(first17: str) -> str:
    if len(first17) != len(CREDIT_CODE_WEIGHTS):
        raise ValueError("A credit code's check character is computed from its first 17 characters.")
    value = _CREDIT_CODE_VALUE
    try:
        total = sum(value[c] * w for c, w in zip(first17, CREDIT_CODE_WEIGHTS, strict=True))
    except KeyError as error:
        raise ValueError(f"{error.args[0]!r} is not a credit-code character.") from None
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


# ---------------------------------------------------------------------------------------------------------
# Date ranges: every date field names one of these validators, so forms, the API, the admin and the imports
# (which all reach ``full_clean``) refuse the same dates. 1949 is the earliest date the bureau records (an
# enterprise's establishment, a visit); 2099-12-31 keeps 0001-01-01 / 9999-12-31 typos out of the database.
# Deadlines (a need's or an action item's ``due_on``) have their own, narrower rule in the need clock.
# ---------------------------------------------------------------------------------------------------------

EARLIEST_DATE = dt.date(1949, 1, 1)
LATEST_DATE = dt.date(2099, 12, 31)


_RECENT = [0.0, 0.0, EARLIEST_DATE]  # computed at, valid until (time.time()), the cut-off date


def _recent_cutoff() -> dt.date:
    """A date three days before today: every date that can be after today in the site's time zone is on or
    after it. Worked out again every ten minutes (and when the clock goes back), not per call: date.today()
    costs microseconds, and an import of 50 000 rows checks tens of thousands of distinct dates."""
    now = time.time()
    if not _RECENT[0] <= now < _RECENT[1]:
        _RECENT[:] = [now, now + 600, dt.date.today() - dt.timedelta(days=3)]  # noqa: DTZ011 - a pre-filter
    return _RECENT[2]


@deconstructible
class DateRangeValidator:
    """A date from ``EARLIEST_DATE`` to ``LATEST_DATE``; with ``past=True`` (a date on which something happened:
    a visit, an establishment, a certification, a completion) not after today either."""

    def __init__(self, *, past: bool = False, future_message: str | None = None):
        self.past = past
        self.future_message = future_message

    def __call__(self, value) -> None:
        if not isinstance(value, dt.date):
            return
        if isinstance(value, dt.datetime):
            value = value.date()
        if value < EARLIEST_DATE:
            raise ValidationError(
                _("Enter a date on or after %(date)s."), code="date_too_early", params={"date": EARLIEST_DATE}
            )
        # Only a date near today is compared with timezone.localdate() (an import checks tens of thousands).
        if self.past and value >= _recent_cutoff() and value > timezone.localdate():
            raise ValidationError(self.future_message or _("The date cannot be in the future."), code="date_in_future")
        if value > LATEST_DATE:
            raise ValidationError(
                _("Enter a date on or before %(date)s."), code="date_too_late", params={"date": LATEST_DATE}
            )

    def __eq__(self, other) -> bool:
        return (
            isinstance(other, DateRangeValidator)
            and self.past == other.past
            and str(self.future_message) == str(other.future_message)
        )


validate_date = DateRangeValidator()
validate_happened_date = DateRangeValidator(past=True)


# ---------------------------------------------------------------------------------------------------------
# Text lengths: one limit per kind of text, applied by the model (``text_limit`` gives a TextField its
# ``max_length`` for the forms and the API and a validator for ``full_clean``) and by the transition inputs.
# ---------------------------------------------------------------------------------------------------------

COMMENT_MAX_LENGTH = 2000  # a comment, reason or note typed with a transition, a follow-up, a match note
TEXT_MAX_LENGTH = 5000  # the free text of a record: a description, a visit's answers, a resolution, a result
DOCUMENT_MAX_LENGTH = 20000  # the original text of a policy document (conditions, support standard)


def text_limit(max_length: int) -> dict:
    """Keyword arguments of a ``TextField`` limited to ``max_length`` characters."""
    return {"max_length": max_length, "validators": [MaxLengthValidator(max_length)]}
