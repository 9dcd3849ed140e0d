"""Phone numbers: E.164 normalisation and area codes.

* Input may be written any usual way ("(415) 555-2671", "+44 20 7183 8750",
  "011 44 ..."); a number without a country code is read as a US number.
* Letters are refused (no vanity "1-800-FLOWERS" translation), as are
  characters that are not part of a written number and extensions.
* The number must have a possible length for its country. North American
  (+1) numbers must also have the North American shape: a 3-digit area code
  and a 3-digit exchange, neither starting with 0 or 1, then 4 digits.
  Numbers outside +1 must be valid for their country per the `phonenumbers`
  metadata. The fictional +1 555 numbers of the API reference are accepted,
  so the examples there work as written.
* The result is E.164 ("+14155552671"); normalising it again returns it.
"""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, ValidationResult

from epoch_domain.errors import ValidationFailed

DEFAULT_REGION = "US"
E164 = re.compile(r"\+[1-9][0-9]{1,14}")
_NANP = re.compile(r"[2-9][0-9]{2}[2-9][0-9]{6}")
_AREA_CODE = re.compile(r"[2-9][0-9]{2}")
# Separators people type between digits: spaces, dots, slashes, brackets and
# the dash family.
_SEPARATORS = frozenset(" \t.-/()\u00a0\u2010\u2011\u2012\u2013\u2014\u2015\u2212")
MAX_INPUT = 40

_TOO_SHORT = (
    ValidationResult.TOO_SHORT,
    ValidationResult.INVALID_LENGTH,
    ValidationResult.IS_POSSIBLE_LOCAL_ONLY,
)


def normalize_e164(
    raw: str, field: str = "phoneNumber", region: str = DEFAULT_REGION
) -> str:
    """`raw` as an E.164 number, or ValidationFailed naming `field`."""
    text = raw.strip()
    if not text:
        raise ValidationFailed(field, "must not be empty")
    if any(c.isalpha() for c in text):
        raise ValidationFailed(field, "must not contain letters")
    if len(text) > MAX_INPUT:
        raise ValidationFailed(field, "is too long to be a phone number")
    body = text[1:] if text.startswith(("+", "\uff0b")) else text
    if any(not (c.isdecimal() or c in _SEPARATORS) for c in body):
        raise ValidationFailed(
            field, "may contain only digits, spaces, dashes, dots, brackets and +"
        )
    if not any(c.isdecimal() for c in body):
        raise ValidationFailed(field, "must contain digits")
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException as error:
        if error.error_type == NumberParseException.INVALID_COUNTRY_CODE:
            raise ValidationFailed(field, "has an unknown country code") from None
        if error.error_type in (
            NumberParseException.TOO_SHORT_NSN,
            NumberParseException.TOO_SHORT_AFTER_IDD,
        ):
            raise ValidationFailed(field, "is too short") from None
        if error.error_type == NumberParseException.TOO_LONG:
            raise ValidationFailed(field, "is too long") from None
        raise ValidationFailed(field, "is not a phone number") from None
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason in _TOO_SHORT:
        raise ValidationFailed(field, "is too short")
    if reason == ValidationResult.TOO_LONG:
        raise ValidationFailed(field, "is too long")
    if reason == ValidationResult.INVALID_COUNTRY_CODE:
        raise ValidationFailed(field, "has an unknown country code")
    national = str(number.national_number)
    if number.country_code == 1:
        acceptable = _NANP.fullmatch(national) is not None
    else:
        acceptable = phonenumbers.is_valid_number(number)
    if not acceptable or number.extension:
        raise ValidationFailed(field, "is not a valid phone number")
    result = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    if E164.fullmatch(result) is None:  # a guard on the library, never expected
        raise ValidationFailed(field, "is not a valid phone number")
    return result


def normalize_optional(raw: str | None, field: str = "phoneNumber") -> str | None:
    """None or blank clears (e.g. the transfer number); else `normalize_e164`."""
    if raw is None or not raw.strip():
        return None
    return normalize_e164(raw, field)


def check_area_code(raw: str, field: str = "areaCode") -> str:
    """A North American area code for number search: three digits, 2-9 first."""
    code = raw.strip()
    if _AREA_CODE.fullmatch(code) is None or not code.isascii():
        raise ValidationFailed(
            field, "must be a 3-digit North American area code not starting with 0 or 1"
        )
    return code


def area_code_of(e164: str) -> str | None:
    """The area code of a +1 number, or None for other countries."""
    if e164.startswith("+1") and _NANP.fullmatch(e164[2:]):
        return e164[2:5]
    return None
