"""Widgets of crm/sheets/resources/widgets.py: dates, numbers, 是/否, enumerations, text."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils.translation import override

from crm.choices import NeedCategory, NeedStatus, PolicyDelivery
from crm.sheets.resources import RESOURCES
from crm.sheets.resources.widgets import (
    BoolWidget,
    ChoiceWidget,
    DateWidget,
    DecimalWidget,
    IntWidget,
    TextWidget,
    en_labels,
    zh_labels,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


# ------------------------------------------------------------------------------------------ widgets


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-03-01", dt.date(2026, 3, 1)),
        ("2026/3/1", dt.date(2026, 3, 1)),
        ("2026.3.1", dt.date(2026, 3, 1)),
        ("2026年3月1日", dt.date(2026, 3, 1)),
        ("20260301", dt.date(2026, 3, 1)),
        ("２０２６－０３－０１", dt.date(2026, 3, 1)),
        (46082, dt.date(2026, 3, 1)),  # an Excel serial number
        (46082.0, dt.date(2026, 3, 1)),
        (dt.datetime(2026, 3, 1, 0, 0), dt.date(2026, 3, 1)),
        ("2026-03-01 00:00:00", dt.date(2026, 3, 1)),
        ("", None),
        (None, None),
    ],
)
def test_date_widget_reads_what_excel_users_write(value, expected):
    assert DateWidget().clean(value) == expected


@pytest.mark.parametrize("value", ["2026-02-30", "3/1/2026", "明天", "1"])
def test_date_widget_refuses_non_dates(value):
    with pytest.raises(ValueError, match="not a date"):
        DateWidget().clean(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1,234", 1234), ("1，234", 1234), (" 12 000 ", 12000), (120.0, 120), ("１２", 12), ("", None), (7, 7)],
)
def test_int_widget_takes_thousands_separators(value, expected):
    assert IntWidget().clean(value) == expected


def test_int_widget_refuses_fractions_and_text():
    with pytest.raises(ValueError, match="whole number"):
        IntWidget().clean("12.5")
    with pytest.raises(ValueError, match="not a number"):
        IntWidget().clean("十二")


def test_decimal_widget_keeps_cents_and_cleans_excel_float_noise():
    assert DecimalWidget().clean("1,234.56") == Decimal("1234.56")
    assert DecimalWidget().clean(0.1 + 0.2) == Decimal("0.3")
    assert DecimalWidget().clean(8000.0) == Decimal("8000")


@pytest.mark.parametrize(("value", "expected"), [("是", True), ("否", False), ("Y", True), ("0", False), (1, True)])
def test_bool_widget_reads_shi_and_fou(value, expected):
    assert BoolWidget().clean(value) is expected
    assert BoolWidget().render(expected) == ("是" if expected else "否")


def test_bool_widget_refuses_other_words():
    with pytest.raises(ValueError, match="是 or 否"):
        BoolWidget().clean("也许")


def test_choice_widget_takes_label_value_or_english_and_lists_the_labels():
    from crm.choices import EnterpriseStatus

    widget = ChoiceWidget(EnterpriseStatus)
    assert widget.clean("正常经营") == "operating"
    assert widget.clean("relocated") == "relocated"
    assert widget.clean("Closed") == "closed"
    assert widget.render("closed") == "已注销"
    with pytest.raises(ValueError, match="正常经营、已迁出、已注销"):
        widget.clean("倒闭")


def _choice_widgets():
    for resource_class in RESOURCES.values():
        for field in resource_class.fields.values():
            if isinstance(field.widget, ChoiceWidget):
                yield resource_class.kind, field.column_name, field.widget


def test_every_enumeration_of_the_sheets_has_its_chinese_label_in_the_translations():
    """The labels come from the .po file: a label without a translation would export in English."""
    seen = set()
    for kind, column, widget in _choice_widgets():
        seen.add(widget.choices_class)
        english = en_labels(widget.choices_class)
        for value, label in zh_labels(widget.choices_class).items():
            assert label != english[value], f"{kind} {column}: {value!r} has no Chinese label"
            assert any("\u4e00" <= ch <= "\u9fff" for ch in label), (kind, column, value, label)
    assert len(seen) == 17


def test_sheet_labels_do_not_follow_the_ui_language():
    widget = ChoiceWidget(NeedStatus)
    for language in ("en", "zh-hans"):
        with override(language):
            assert [widget.render(v) for v in NeedStatus.values] == [
                "待受理",
                "已受理",
                "已交办",
                "办理中",
                "已答复",
                "已办结",
                "不予受理",
            ]
            assert widget.clean("已办结") == widget.clean("Closed") == widget.clean("closed") == "closed"
    assert ChoiceWidget(PolicyDelivery).render("no_application") == "免申即享"
    assert ChoiceWidget(NeedCategory).clean("科技金融") == "finance"  # a synonym seen in real ledgers


def test_text_widget_strips_unescapes_and_refuses_control_characters():
    widget = TextWidget()
    assert widget.clean("  淮安  ") == "淮安"
    assert widget.clean("'=SUM(A1)") == "=SUM(A1)"
    assert widget.clean(13800000000.0) == "13800000000"
    with pytest.raises(ValueError, match="Control characters"):
        widget.clean("a\x00b")
