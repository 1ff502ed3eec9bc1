"""Forms of the reports page (DESIGN §11.6): generate a report, return one with a note."""

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.choices import ReportKind
from crm.forms.base import BootstrapFormMixin


def last_month(today: dt.date | None = None) -> str:
    """The period a monthly report is usually made for: the month before ``today``."""
    first = (today or timezone.localdate()).replace(day=1)
    return f"{first - dt.timedelta(days=1):%Y-%m}"


class ReportGenerateForm(BootstrapFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Report"), choices=ReportKind.choices)
    period = forms.CharField(
        label=_("Period"),
        max_length=7,
        help_text=_("A month (2026-11), a quarter (2026Q4) or a year (2026)."),
    )


class ReportReturnForm(BootstrapFormMixin, forms.Form):
    note = forms.CharField(label=_("Why is it returned?"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
