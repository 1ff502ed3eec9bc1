"""Number formats of the web UI: amounts in 万元 and percentages.

``{{ enterprise.revenue|wan }}`` → ``86,500`` (thousands separators, no trailing zeros: 12.50 → ``12.5``);
``{{ kpi.percent|percent }}`` → ``4.27%`` (no space before the sign). Both render an empty value as ``—``.
"""

from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()

EMPTY = "—"


def _decimal(value) -> Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _plain(number: Decimal, grouping: bool) -> str:
    """``number`` in fixed notation without trailing zeros (``-0`` as ``0``), optionally with thousands separators."""
    if number == number.to_integral_value():
        number = number.quantize(Decimal(1))
    else:
        number = number.normalize()
    if number == 0:
        number = abs(number)
    return f"{number:,f}" if grouping else f"{number:f}"


@register.filter
def wan(value, empty: str = EMPTY) -> str:
    """An amount in 万元: ``86500.00`` → ``86,500``; ``12.50`` → ``12.5``; ``None`` → ``—``."""
    number = _decimal(value)
    if number is None:
        return empty if value in (None, "") else str(value)
    return _plain(number, grouping=True)


@register.filter
def percent(value, empty: str = EMPTY) -> str:
    """A percentage: ``4.27`` → ``4.27%``; ``50.0`` → ``50%``; ``None`` → ``—``."""
    number = _decimal(value)
    if number is None:
        return empty if value in (None, "") else str(value)
    return f"{_plain(number, grouping=False)}%"
