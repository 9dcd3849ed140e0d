"""What an organization tells us to register for SMS, checked, and the record
the registration keeps (its state machine is in `a2p.py`).

* Business: a name (2 to 120 characters) and a brand type, SOLE_PROPRIETOR or
  STANDARD. A STANDARD brand needs an EIN of nine digits, stored as
  `12-3456789`; a sole proprietor may leave it out.
* Representative: first and last name, an email address and an E.164 phone.
* Campaign: a known use case (`USE_CASES`) and 1 to 5 sample messages of 20
  to 1024 characters each, as the carrier requires; a description and a
  message flow are optional and default to text derived from the use case.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from epoch_domain.a2p import A2PRegistration, A2PStatus
from epoch_domain.accounts import check_name, normalize_email
from epoch_domain.errors import ValidationFailed
from epoch_domain.phone import normalize_e164

USE_CASES: frozenset[str] = frozenset(
    {
        "appointment_reminders",
        "customer_care",
        "account_notification",
        "delivery_notification",
        "marketing",
        "mixed",
        "low_volume",
    }
)
MIN_SAMPLE_CHARS = 20
MAX_SAMPLE_CHARS = 1024
MAX_SAMPLES = 5
MAX_TEXT_CHARS = 2048


class BrandType(enum.StrEnum):
    SOLE_PROPRIETOR = "SOLE_PROPRIETOR"
    STANDARD = "STANDARD"


@dataclass(frozen=True, slots=True)
class BusinessInfo:
    business_name: str
    business_type: str
    ein: str | None = None


@dataclass(frozen=True, slots=True)
class RepresentativeInfo:
    first_name: str
    last_name: str
    email: str
    phone: str


@dataclass(frozen=True, slots=True)
class CampaignInfo:
    use_case: str
    sample_messages: Sequence[str]
    description: str | None = None
    message_flow: str | None = None


@dataclass(frozen=True, slots=True)
class A2PApplication:
    """Checked and normalized; `business.business_type` is a `BrandType`."""

    business: BusinessInfo
    representative: RepresentativeInfo
    campaign: CampaignInfo

    @property
    def brand_type(self) -> BrandType:
        return BrandType(self.business.business_type)


@dataclass(frozen=True, slots=True)
class A2PRecord:
    """An organization's registration as stored."""

    organization_id: str
    status: A2PStatus = A2PStatus.NOT_STARTED
    application: A2PApplication | None = None
    messaging_service_id: str | None = None
    brand_id: str | None = None
    campaign_id: str | None = None
    paid_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def registration(self) -> A2PRegistration:
        return A2PRegistration(self.status)


def check_business(info: BusinessInfo) -> BusinessInfo:
    name = check_name(info.business_name, "businessInfo.businessName")
    if len(name) < 2:
        raise ValidationFailed(
            "businessInfo.businessName", "must be at least 2 characters"
        )
    try:
        brand = BrandType(info.business_type.strip().upper())
    except ValueError:
        raise ValidationFailed(
            "businessInfo.businessType", "must be SOLE_PROPRIETOR or STANDARD"
        ) from None
    ein = _check_ein(info.ein)
    if brand is BrandType.STANDARD and ein is None:
        raise ValidationFailed("businessInfo.ein", "is required for a STANDARD brand")
    return BusinessInfo(name, brand.value, ein)


def _check_ein(raw: str | None) -> str | None:
    if raw is None or not raw.strip():
        return None
    digits = raw.strip().replace("-", "")
    if len(digits) != 9 or not digits.isdecimal() or not digits.isascii():
        raise ValidationFailed("businessInfo.ein", "must be 9 digits, as 12-3456789")
    return f"{digits[:2]}-{digits[2:]}"


def check_representative(info: RepresentativeInfo) -> RepresentativeInfo:
    prefix = "representativeInfo."
    return RepresentativeInfo(
        check_name(info.first_name, prefix + "firstName"),
        check_name(info.last_name, prefix + "lastName"),
        _email(info.email, prefix + "email"),
        normalize_e164(info.phone, prefix + "phone"),
    )


def _email(raw: str, field: str) -> str:
    try:
        return normalize_email(raw)
    except ValidationFailed as error:
        raise ValidationFailed(field, error.problem) from None


def check_campaign(info: CampaignInfo) -> CampaignInfo:
    use_case = info.use_case.strip().lower()
    if use_case not in USE_CASES:
        raise ValidationFailed(
            "campaignInfo.useCase", f"must be one of {', '.join(sorted(USE_CASES))}"
        )
    samples = [s.strip() for s in info.sample_messages]
    if not 1 <= len(samples) <= MAX_SAMPLES:
        raise ValidationFailed(
            "campaignInfo.sampleMessages", f"must hold 1 to {MAX_SAMPLES} messages"
        )
    for sample in samples:
        if not MIN_SAMPLE_CHARS <= len(sample) <= MAX_SAMPLE_CHARS:
            raise ValidationFailed(
                "campaignInfo.sampleMessages",
                f"each must be {MIN_SAMPLE_CHARS} to {MAX_SAMPLE_CHARS} characters",
            )
    label = use_case.replace("_", " ")
    return CampaignInfo(
        use_case,
        tuple(samples),
        _text(info.description, "description") or f"Messages for {label}.",
        _text(info.message_flow, "messageFlow")
        or "Customers give their number when they call or book and agree to "
        f"receive {label} by text.",
    )


def _text(raw: str | None, name: str) -> str | None:
    if raw is None or not raw.strip():
        return None
    if len(raw) > MAX_TEXT_CHARS:
        raise ValidationFailed(
            f"campaignInfo.{name}", f"must be at most {MAX_TEXT_CHARS} characters"
        )
    return raw.strip()


def check_application(
    business: BusinessInfo, representative: RepresentativeInfo, campaign: CampaignInfo
) -> A2PApplication:
    return A2PApplication(
        check_business(business),
        check_representative(representative),
        check_campaign(campaign),
    )
