"""Ports of telephony, messaging, calendar and widget use cases.

The outside systems here are the telephony and SMS carrier (Twilio), the voice
platform for the narrow things these use cases need from it (dialing out,
importing a number, the calendar tools on an assistant), the calendar
(Cal.com), the payment provider for one-off fees, and the box that encrypts
provider credentials at rest. The repositories are reached through the unit
of work (`ports.UnitOfWork`). Fakes: `tests/fakes.py`.

Every provider method raises `errors.ProviderUnavailable` when the provider
cannot be reached or fails; a refusal that is an answer (a rejected API key, a
slot already taken) is a return value instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from epoch_domain.a2p_application import A2PApplication, A2PRecord, CampaignInfo
from epoch_domain.accounts import Organization
from epoch_domain.calls import Call, CallStatus
from epoch_domain.errors import EpochError
from epoch_domain.integrations import (
    CalendarConnection,
    EmbedToken,
    NumberProvisioning,
)
from epoch_domain.sms import SmsDirection, SmsMessage, SmsStatus

# ---------------------------------------------------------------- telephony


@dataclass(frozen=True, slots=True)
class NumberQuery:
    area_code: str | None
    locality: str | None
    limit: int


@dataclass(frozen=True, slots=True)
class AvailableNumber:
    phone_number: str
    locality: str | None
    region: str | None


@dataclass(frozen=True, slots=True)
class ProvisionedNumber:
    phone_number: str
    number_id: str
    sip_trunk_id: str | None = None


class VoiceTokens(Protocol):
    """The one part of `Telephony` a browser caller needs: signed voice
    access tokens."""

    async def voice_access_token(self, identity: str, ttl_seconds: int) -> str:
        """A signed access token letting `identity` place and take calls."""


class Telephony(Protocol):
    async def voice_access_token(self, identity: str, ttl_seconds: int) -> str:
        """A signed access token letting `identity` place and take calls."""

    async def search_numbers(self, query: NumberQuery) -> Sequence[AvailableNumber]: ...

    async def provision_number(self, area_code: str | None) -> ProvisionedNumber:
        """Buy a number (in the area code when given) and route it to the
        voice platform's SIP trunk."""


@dataclass(frozen=True, slots=True)
class OutboundCallRequest:
    organization_id: str
    platform_assistant_id: str
    platform_phone_number_id: str
    customer_number: str


@dataclass(frozen=True, slots=True)
class PlacedCall:
    platform_call_id: str
    status: CallStatus = CallStatus.QUEUED


class OutboundDialer(Protocol):
    """The voice platform, as far as dialing out goes."""

    async def place_call(self, request: OutboundCallRequest) -> PlacedCall: ...


class NumberImporter(Protocol):
    """The voice platform, as far as taking in a bought number goes."""

    async def import_number(
        self, number: ProvisionedNumber, platform_assistant_id: str
    ) -> str:
        """The platform's id of the imported number."""


# ---------------------------------------------------------------- messaging


@dataclass(frozen=True, slots=True)
class OutgoingSms:
    message_id: str  # ours, so a status callback can find the message
    organization_id: str
    messaging_service_id: str
    from_number: str | None
    to_number: str
    body: str


@dataclass(frozen=True, slots=True)
class SmsReceipt:
    provider_id: str
    status: SmsStatus


@dataclass(frozen=True, slots=True)
class ProviderReview:
    """A registration the carrier is reviewing: its id and its raw status."""

    provider_id: str
    status: str


class SmsCarrier(Protocol):
    async def send(self, sms: OutgoingSms) -> SmsReceipt: ...

    async def create_messaging_service(
        self, organization_id: str, number_id: str | None
    ) -> str:
        """A messaging service holding the organization's number; its id."""

    async def submit_brand_registration(
        self, organization_id: str, application: A2PApplication
    ) -> ProviderReview: ...

    async def submit_campaign(
        self, messaging_service_id: str, brand_id: str, campaign: CampaignInfo
    ) -> ProviderReview: ...

    async def brand_status(self, brand_id: str) -> str: ...

    async def campaign_status(
        self, messaging_service_id: str, campaign_id: str
    ) -> str: ...


# ---------------------------------------------------------------- calendar


@dataclass(frozen=True, slots=True)
class BookingRequest:
    event_type_id: int
    start: datetime  # aware
    time_zone: str
    attendee_name: str
    attendee_email: str
    attendee_phone: str | None = None
    notes: str | None = None


@dataclass(frozen=True, slots=True)
class BookingOutcome:
    booked: bool
    booking_id: str | None = None
    start: datetime | None = None
    reason: str | None = None  # why not, in the provider's words


class CalendarProvider(Protocol):
    async def verify_api_key(self, api_key: str) -> bool:
        """False when the provider rejects the key."""

    async def available_slots(
        self,
        api_key: str,
        event_type_id: int,
        first_day: date,
        last_day: date,
        time_zone: str,
    ) -> Sequence[datetime]:
        """Start instants (aware) of the free slots, in order."""

    async def book(self, api_key: str, request: BookingRequest) -> BookingOutcome: ...


class AssistantCalendarTools(Protocol):
    """The voice platform, as far as the calendar tools of an assistant go."""

    async def add_calendar_tools(
        self, platform_assistant_id: str, event_type_id: int
    ) -> Sequence[str]:
        """Create the availability and booking tools on the assistant; their
        ids."""

    async def remove_tools(
        self, platform_assistant_id: str, tool_ids: Sequence[str]
    ) -> None:
        """Detach and delete; tools already gone are not an error."""


class PromptSectionWriter(Protocol):
    """Writes one section of the organization's stored system prompt (and
    pushes it to the platform); None removes the section. The receptionist's
    `SystemPrompt.set_section` is one."""

    async def set_section(
        self, org: Organization, key: str, body: str | None
    ) -> object: ...


class SecretUnreadable(EpochError):
    """A stored secret that no current key can decrypt."""


class SecretBox(Protocol):
    """Encryption of credentials at rest, with rotatable keys."""

    def encrypt(self, plaintext: str) -> str: ...

    def decrypt(self, ciphertext: str) -> str:
        """Raises `SecretUnreadable`."""


# ---------------------------------------------------------------- payments


@dataclass(frozen=True, slots=True)
class FeeCheckoutRequest:
    organization_id: str
    purpose: str
    amount_cents: int
    description: str
    customer_email: str | None
    success_url: str
    cancel_url: str
    metadata: dict[str, str] = field(default_factory=dict)


class FeeCheckout(Protocol):
    """A one-off payment page (the A2P registration fee)."""

    async def create_fee_checkout(self, request: FeeCheckoutRequest) -> str:
        """The checkout page's URL."""


# ---------------------------------------------------------------- repositories


class CallLookup(Protocol):
    async def by_platform_id(
        self, org_id: str, platform_call_id: str
    ) -> Call | None: ...


class SmsLogRepository(Protocol):
    async def add(self, message: SmsMessage) -> bool:
        """Insert; False when a message with its provider id already exists."""

    async def get(self, org_id: str, message_id: str) -> SmsMessage | None: ...

    async def lock_for_report(
        self, provider_id: str | None, message_id: str | None
    ) -> SmsMessage | None:
        """The message a carrier report is about, by the carrier's id or, when
        that is unknown yet, ours; held until the unit of work ends."""

    async def save(self, message: SmsMessage) -> None: ...

    async def page(
        self, org_id: str, direction: SmsDirection | None, offset: int, limit: int
    ) -> tuple[Sequence[SmsMessage], int]:
        """Newest first, and the total that match."""

    async def count_outbound(self, org_id: str) -> int: ...


class PhoneNumberRepository(Protocol):
    async def get(self, org_id: str) -> NumberProvisioning:
        """The organization's provisioning, empty when nothing was bought."""

    async def save(self, provisioning: NumberProvisioning) -> None: ...

    async def organization_for_number(self, phone_number: str) -> str | None: ...


class CalendarRepository(Protocol):
    async def get(self, org_id: str) -> CalendarConnection | None: ...

    async def save(self, connection: CalendarConnection) -> None: ...

    async def delete(self, org_id: str) -> bool: ...


class EmbedTokenRepository(Protocol):
    async def add(self, token: EmbedToken, token_digest: str) -> None: ...

    async def active(self, org_id: str) -> Sequence[EmbedToken]:
        """Unrevoked tokens, newest first."""

    async def by_digest(self, token_digest: str) -> EmbedToken | None: ...

    async def revoke(self, org_id: str, token_id: str, now: datetime) -> bool:
        """False when absent, another organization's, or already revoked."""

    async def touch(self, token_id: str, now: datetime) -> None: ...


class A2PRepository(Protocol):
    async def get(self, org_id: str, lock: bool = False) -> A2PRecord:
        """The registration, NOT_STARTED when nothing was stored."""

    async def save(self, record: A2PRecord) -> None: ...

    async def to_check(self, after: str | None, limit: int) -> Sequence[A2PRecord]:
        """Registrations the carrier's word can still change (`a2p_registration.
        CHECKED_STATES`), by organization id after `after`."""
