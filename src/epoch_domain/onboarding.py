"""Onboarding data: what the owner enters before the receptionist goes live.

* Data is saved step by step: each save merges its keys into what was saved
  before (a key given again replaces its value).
* Known keys are checked with the same rules as the settings routes and
  stored normalised; a problem names `onboardingData.<key>`. A known key
  left blank is stored as null, meaning "not given". Unknown keys are
  kept as given (the wizard's own state), at most `MAX_KEYS` keys in all.
* Completing needs a business name. It applies the data to the profile and
  rewrites every system-managed prompt section from it.
* The voice may be chosen on every plan while onboarding (the spec's example
  sends `voiceId`); the assistant name and the transfer number keep the plan
  gates of their settings routes.
* A website analysis is checked the same way: what does not pass is dropped
  with a warning rather than failing the analysis.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from epoch_domain import assistant_settings, business, hours, phone
from epoch_domain.assistant_settings import FirstMessageMode, GreetingSettings
from epoch_domain.business import BusinessInfo
from epoch_domain.errors import ValidationFailed
from epoch_domain.knowledge_base import KnowledgeSection
from epoch_domain.plans import FEATURE_GATES, ROUTE_GATES, Feature, Tier, require_tier
from epoch_domain.receptionist import ReceptionistProfile, refresh_sections
from epoch_domain.receptionist_ports import ExtractedBusiness

MAX_KEYS = 50


def _text(check: Callable[[str, str], object]) -> Callable[[object, str], object]:
    def checked(value: object, field: str) -> object:
        if not isinstance(value, str):
            raise ValidationFailed(field, "must be a string")
        return check(value, field)

    return checked


def _hours(value: object, _field: str) -> object:
    return hours.to_json(hours.parse_business_hours(value))


def _voice_id(value: object, field: str) -> object:
    if not isinstance(value, str):
        raise ValidationFailed(field, "must be a string")
    return assistant_settings.check_voice(value, None).voice_id


def _optional_url(value: str, field: str) -> str | None:
    return business.check_website_url(value, field) if value.strip() else None


_CHECKS: Mapping[str, Callable[[object, str], object]] = {
    "businessName": _text(business.check_business_name),
    "businessType": _text(business.check_business_type),
    "businessDescription": _text(business.check_description),
    "websiteUrl": _text(_optional_url),
    "businessHours": _hours,
    "timezone": _text(hours.check_timezone),
    "businessAddress": _text(business.check_address),
    "transferNumber": _text(phone.normalize_optional),
    "voiceId": _voice_id,
    "voiceName": _text(lambda v, f: v.strip() or None),
    "assistantName": _text(assistant_settings.check_assistant_name),
    "firstMessage": _text(assistant_settings.check_first_message),
    "areaCode": _text(phone.check_area_code),
}
_GATES: Mapping[str, Tier] = {
    "assistantName": FEATURE_GATES[Feature.ASSISTANT_NAME],
    "transferNumber": ROUTE_GATES[("PUT", "/api/transfer-number")],
}


def check_data(raw: Mapping[str, object], tier: Tier) -> dict[str, object]:
    """The data normalised, or the first problem found."""
    data: dict[str, object] = {}
    for key, value in raw.items():
        check = _CHECKS.get(key)
        if check is None:
            data[key] = value
        elif value is None or (isinstance(value, str) and not value.strip()):
            data[key] = None  # a form field left empty: not given
        else:
            if key in _GATES:
                require_tier(tier, _GATES[key])
            data[key] = check(value, _f(key))
    return data


def _f(key: str) -> str:
    return f"onboardingData.{key}"


def merge_data(
    saved: Mapping[str, object], new: Mapping[str, object]
) -> dict[str, object]:
    merged = {**saved, **new}
    if len(merged) > MAX_KEYS:
        raise ValidationFailed("onboardingData", f"must have at most {MAX_KEYS} keys")
    return merged


def _str(data: Mapping[str, object], key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) and value else None


def _given(data: Mapping[str, object], key: str, current: str | None) -> str | None:
    """The data's value when the key was saved (blank: None), else `current`."""
    return _str(data, key) if key in data else current


def apply_data(
    profile: ReceptionistProfile,
    data: Mapping[str, object],
    kb: Sequence[KnowledgeSection] = (),
) -> ReceptionistProfile:
    """The profile the checked, merged data describes, its prompt refreshed.
    What the data does not mention keeps the profile's value (a setting made
    through its own route before completing)."""
    business_name = _str(data, "businessName")
    if business_name is None:
        raise ValidationFailed(_f("businessName"), "is required to complete")
    info = profile.info
    raw_hours = data.get("businessHours", _KEEP)
    voice_id = _str(data, "voiceId")
    updated = replace(
        profile,
        business_name=business_name,
        assistant_name=_str(data, "assistantName") or profile.assistant_name,
        info=BusinessInfo(
            _given(data, "businessType", info.business_type),
            _given(data, "businessDescription", info.description),
            _given(data, "websiteUrl", info.website_url),
        ),
        business_hours=(
            profile.business_hours
            if raw_hours is _KEEP
            else hours.parse_business_hours(raw_hours)
            if raw_hours is not None
            else None
        ),
        timezone=_str(data, "timezone") or profile.timezone,
        address=_given(data, "businessAddress", profile.address),
        transfer_number=_given(data, "transferNumber", profile.transfer_number),
        voice=(
            assistant_settings.VoiceChoice(voice_id, _str(data, "voiceName"))
            if voice_id
            else profile.voice
        ),
    )
    greeting = _greeting(profile, updated, _str(data, "firstMessage"))
    updated = replace(updated, greeting=greeting)
    return replace(updated, system_prompt=refresh_sections(updated, kb))


_KEEP = object()


def _greeting(
    before: ReceptionistProfile, after: ReceptionistProfile, first_message: str | None
) -> GreetingSettings:
    """The given first message; else the default greeting for the new names,
    unless the owner had already chosen another greeting."""
    if first_message is not None:
        return GreetingSettings(FirstMessageMode.SPEAKS_FIRST, first_message)
    untouched = assistant_settings.default_greeting(before.name, before.business_name)
    if before.greeting == untouched:
        return assistant_settings.default_greeting(after.name, after.business_name)
    return assistant_settings.rename_greeting(before.greeting, before.name, after.name)


def area_code(data: Mapping[str, object]) -> str | None:
    """Where to look for a number: the chosen area code, else the transfer
    number's, else anywhere."""
    chosen = _str(data, "areaCode")
    transfer = _str(data, "transferNumber")
    return chosen or (phone.area_code_of(transfer) if transfer else None)


def _kept(
    label: str, value: object, check: Callable[[object], object], warnings: list[str]
) -> object:
    if value is None:
        return None
    try:
        return check(value)
    except ValidationFailed:
        warnings.append(f"The {label} found on the website could not be used")
        return None


def clean_extraction(found: ExtractedBusiness) -> tuple[dict[str, object], list[str]]:
    """What the analysis reports (`extractedData`), each value checked like
    onboarding data; what fails a check is dropped with a warning."""
    warnings: list[str] = []
    fields: dict[str, tuple[str, object, Callable[[object], object]]] = {
        "businessName": ("business name", found.business_name, _as("businessName")),
        "businessType": ("business type", found.business_type, _as("businessType")),
        "description": (
            "description",
            found.description,
            _as("businessDescription"),
        ),
        "hours": ("opening hours", found.hours, _as("businessHours")),
        "timezone": ("time zone", found.timezone, _as("timezone")),
        "address": ("address", found.address, _as("businessAddress")),
        "phone": ("phone number", found.phone, _as("transferNumber")),
    }
    data = {
        key: _kept(label, value, check, warnings)
        for key, (label, value, check) in fields.items()
    }
    return {k: v for k, v in data.items() if v is not None}, warnings


def _as(key: str) -> Callable[[object], object]:
    return lambda value: _CHECKS[key](value, _f(key))
