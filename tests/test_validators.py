import pytest
from django.core.exceptions import ValidationError

from crm.validators import (
    credit_code_check_char,
    normalize_credit_code,
    validate_credit_code,
    validate_mobile,
    validate_no_control_chars,
)


def test_valid_example_code_passes():
    validate_credit_code("914403001922038216")


def test_lowercase_and_spaces_are_normalised_before_checking():
    code = "91320812" + "MA1X2Y3Q"
    full = code + "0"
    full = full[:17] + credit_code_check_char(full[:17])
    assert normalize_credit_code(f"  {full.lower()} ") == full
    validate_credit_code(f"  {full.lower()} ")


def test_wrong_check_character_names_the_expected_one():
    with pytest.raises(ValidationError) as info:
        validate_credit_code("914403001922038217")
    assert info.value.code == "credit_code_check"
    assert "6" in str(info.value.messages[0])


@pytest.mark.parametrize("bad", ["91440300192203821I", "9144030019220382O6", "914403001922038S16"])
def test_letters_outside_the_alphabet_are_refused(bad):
    with pytest.raises(ValidationError) as info:
        validate_credit_code(bad)
    assert info.value.code == "credit_code_alphabet"


@pytest.mark.parametrize("bad", ["", "91440300192203821", "9144030019220382166"])
def test_wrong_length_is_refused(bad):
    with pytest.raises(ValidationError) as info:
        validate_credit_code(bad)
    assert info.value.code == "credit_code_length"


def test_region_part_must_be_digits():
    body = "91ABCDEF192203821"
    with pytest.raises(ValidationError) as info:
        validate_credit_code(body + credit_code_check_char(body))
    assert info.value.code == "credit_code_region"


@pytest.mark.parametrize("number", ["13812345678", "19912345678", ""])
def test_valid_mobiles(number):
    validate_mobile(number)


@pytest.mark.parametrize("number", ["12812345678", "1381234567", "138123456789", "+8613812345678", "1381234567a"])
def test_invalid_mobiles(number):
    with pytest.raises(ValidationError):
        validate_mobile(number)


def test_control_characters_are_refused():
    with pytest.raises(ValidationError):
        validate_no_control_chars("abc\x00def")
    validate_no_control_chars("正常文本\n第二行\t制表")
