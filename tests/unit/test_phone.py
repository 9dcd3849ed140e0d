"""Phone numbers: E.164 normalisation and area codes; examples and properties."""

from __future__ import annotations

import re

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st
from phonenumbers import PhoneNumberFormat

from epoch_domain import phone
from epoch_domain.errors import ValidationFailed
from tests.unit.helpers import attempt

E164 = re.compile(r"^\+[1-9]\d{1,14}$")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("(415) 555-2671", "+14155552671"),
        ("415.555.2671", "+14155552671"),
        ("1 415 555 2671", "+14155552671"),
        (" +1 (212) 555-0100 ", "+12125550100"),
        ("+15559876543", "+15559876543"),  # the API reference's transfer number
        ("+14155551234", "+14155551234"),
        ("+44 20 7183 8750", "+442071838750"),
        ("011 44 20 7183 8750", "+442071838750"),
        ("+49 30 901820", "+4930901820"),
        (
            "\uff0b\uff11\uff14\uff11\uff15\uff15\uff15\uff15\uff12\uff16\uff17\uff11",
            "+14155552671",
        ),
    ],
)
def test_examples_normalise(raw: str, expected: str) -> None:
    assert phone.normalize_e164(raw) == expected


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("", "must not be empty"),
        ("   ", "must not be empty"),
        ("1-800-FLOWERS", "must not contain letters"),
        ("415 555 2671 ext 12", "must not contain letters"),
        ("555-1234", "is too short"),
        ("12", "is too short"),
        ("+1 415 555 267", "is too short"),
        ("+1 415 555 26710", "is too long"),
        ("+999 1234567", "has an unknown country code"),
        ("(123) 456-7890", "is not a valid phone number"),  # area code 1xx
        ("+44 12", "is too short"),
        (
            "415#555#2671",
            "may contain only digits, spaces, dashes, dots, brackets and +",
        ),
        (
            "4155552671+",
            "may contain only digits, spaces, dashes, dots, brackets and +",
        ),
        ("+", "must contain digits"),
        ("()-", "must contain digits"),
        ("1" * 41, "is too long to be a phone number"),
    ],
)
def test_bad_numbers_are_refused_naming_the_field(raw: str, problem: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        phone.normalize_e164(raw, field="transferNumber")
    assert caught.value.field == "transferNumber"
    assert caught.value.problem == problem


def test_optional_numbers_clear_on_blank() -> None:
    assert phone.normalize_optional(None) is None
    assert phone.normalize_optional("  ") is None
    assert phone.normalize_optional("4155552671") == "+14155552671"


@pytest.mark.parametrize("raw", ["415", " 212 ", "907"])
def test_area_codes(raw: str) -> None:
    assert phone.check_area_code(raw) == raw.strip()


@pytest.mark.parametrize(
    "raw", ["", "41", "4155", "015", "115", "4a5", "４１５", "41 5"]
)
def test_bad_area_codes(raw: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        phone.check_area_code(raw)
    assert caught.value.field == "areaCode"


def test_area_code_of_numbers() -> None:
    assert phone.area_code_of("+14155552671") == "415"
    assert phone.area_code_of("+442071838750") is None


# -- properties ---------------------------------------------------------------------

REGIONS = sorted(phonenumbers.SUPPORTED_REGIONS)
FORMATS = [
    PhoneNumberFormat.E164,
    PhoneNumberFormat.INTERNATIONAL,
    PhoneNumberFormat.RFC3966,
]


@st.composite
def valid_numbers(draw: st.DrawFn) -> phonenumbers.PhoneNumber:
    region = draw(st.sampled_from(REGIONS))
    example = phonenumbers.example_number(region)
    if example is None:
        example = phonenumbers.example_number("US")
    assert example is not None
    return example


nanp = st.tuples(
    st.integers(2, 9), st.integers(0, 99), st.integers(2, 9), st.integers(0, 999_999)
).map(lambda t: f"{t[0]}{t[1]:02d}{t[2]}{t[3]:06d}")
separators = st.sampled_from([" ", "-", ".", "", " - "])
phone_like = st.text(alphabet="0123456789 +-().x#abc\u0663", max_size=25)


@given(st.one_of(st.text(max_size=30), phone_like))
def test_output_is_always_e164_or_a_clear_error(raw: str) -> None:
    result, error = attempt(phone.normalize_e164, raw, "phoneNumber")
    if error is not None:
        assert error.field == "phoneNumber"
        assert error.problem
    else:
        assert result is not None
        assert E164.match(result)


@given(st.one_of(st.text(max_size=30), phone_like))
def test_normalising_a_normalised_number_is_a_no_op(raw: str) -> None:
    result, _ = attempt(phone.normalize_e164, raw)
    if result is not None:
        assert phone.normalize_e164(result) == result


@given(valid_numbers(), st.sampled_from(FORMATS))
def test_valid_numbers_of_every_region_normalise_in_any_format(
    number: phonenumbers.PhoneNumber, fmt: int
) -> None:
    expected = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    written = phonenumbers.format_number(number, fmt).removeprefix("tel:")
    assert phone.normalize_e164(written) == expected
    assert phone.normalize_e164(expected) == expected


@given(nanp, separators, st.booleans(), st.booleans())
def test_north_american_numbers_normalise_however_written(
    digits: str, sep: str, country: bool, brackets: bool
) -> None:
    area = f"({digits[:3]})" if brackets else digits[:3]
    written = ("+1" + sep if country else "") + sep.join(
        [area, digits[3:6], digits[6:]]
    )
    result = phone.normalize_e164(written)
    assert result == "+1" + digits
    assert phone.area_code_of(result) == digits[:3]
    assert phone.check_area_code(digits[:3]) == digits[:3]


@given(nanp, st.text(st.characters(whitelist_categories=("Lu", "Ll")), min_size=1))
def test_letters_anywhere_are_refused(digits: str, letters: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        phone.normalize_e164(digits[:5] + letters + digits[5:])
    assert caught.value.problem == "must not contain letters"
