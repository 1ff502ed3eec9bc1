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
    CreditCodeWidget,
    DateWidget,
    DecimalWidget,
    IntWidget,
    TextWidget,
    credit_code_mangled,
    en_labels,
    name_variants,
    nearest,
    norm,
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
    assert len(seen) == 18  # ActivityKind since the activities ledger


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


# ------------------------------------------------------------------- cells as offices type them (issue 10)


@pytest.mark.parametrize(
    ("value", "mangled"),
    [
        (9.13208123456789e17, True),
        (913208123456789000, True),
        (Decimal("913208123456789000"), True),
        ("9.13208E+17", True),
        ("9.13208E＋17", True),
        ("９.１３２０８Ｅ＋１７", True),
        ("9.13208e17", True),
        ("91320812MA1X8Y9Q0X", False),
        ("913208001234567890", False),  # an all-digit code typed as text is a code
        (12345, False),
        (True, False),
    ],
)
def test_credit_codes_excel_turned_into_numbers_are_recognised(value, mangled):
    assert credit_code_mangled(value) is mangled
    if mangled:
        with pytest.raises(ValueError, match="turned into a number by Excel"):
            CreditCodeWidget().clean(value)


def test_the_mangled_message_names_the_cause_in_chinese():
    with override("zh-hans"), pytest.raises(ValueError) as error:
        CreditCodeWidget().clean("9.13208E+17")
    assert "被 Excel 转成了数字（科学计数法" in str(error.value) and "设为文本后重新录入" in str(error.value)
    assert "校验位" not in str(error.value)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (2011, "only a year"),
        (2011.0, "only a year"),
        ("2011", "only a year"),
        (dt.datetime(1905, 7, 3), "the year 2011 typed as a number"),
        (dt.date(1900, 1, 1), "not a plausible date"),
        (dt.date(2100, 1, 1), "not a plausible date"),
        (300, "not a plausible date"),
    ],
)
def test_date_widget_refuses_years_and_implausible_dates(value, message):
    with pytest.raises(ValueError, match=message):
        DateWidget().clean(value)


def test_date_widget_year_message_in_chinese():
    with override("zh-hans"), pytest.raises(ValueError) as error:
        DateWidget().clean(2011)
    assert str(error.value) == "“2011”只是年份，请填写完整日期，如 2011-05-01。"


def test_one_line_and_multi_line_text():
    one, many = TextWidget(), TextWidget(multiline=True)
    assert one.clean("淮安示例\n科技有限公司") == "淮安示例科技有限公司"
    assert one.clean("淮安示例\r\n 科技_x000D_\n有限公司") == "淮安示例科技有限公司"
    assert one.clean("Huai'an\nTech Co.") == "Huai'an Tech Co."
    assert many.clean("一、融资_x000D_\n二、用地\r\n三、人才") == "一、融资\n二、用地\n三、人才"


@pytest.mark.parametrize("value", ["#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", " #n/a ", "#NUM!", "#NULL!"])
def test_excel_error_values_are_refused_by_every_widget(value):
    for widget in (TextWidget(), IntWidget(), DecimalWidget(), DateWidget(), BoolWidget(), ChoiceWidget(NeedStatus)):
        with pytest.raises(ValueError, match="Excel error value"):
            widget.clean(value)
    assert TextWidget().clean("#1 号楼") == "#1 号楼"  # a hash that is not an error value is text


def test_norm_is_the_one_normalisation_of_brackets_quotes_and_blanks():
    assert norm("专精特新“小巨人”企业") == norm('专精特新"小巨人"企业') == norm("专精特新「小巨人」企业")
    assert norm("淮安某某有限公司（二期）") == norm("淮安某某有限公司(二期)") == norm("淮安某某有限公司 【二期】")
    assert "淮安某某有限公司（二期）" in name_variants("淮安某某有限公司(二期)")


def test_nearest_names_are_close_ones_only():
    names = ["清江浦区", "淮阴区", "淮安区", "金湖县"]
    assert nearest("清江", names) == ["清江浦区"]
    assert nearest("火星", names) == []
