"""What an organization connects to the outside: its phone number, its
calendar and the embed tokens its web pages use."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from epoch_domain.errors import ValidationFailed
from epoch_domain.text import has_control

MAX_API_KEY_CHARS = 256
MAX_LOCALITY_CHARS = 64


@dataclass(frozen=True, slots=True)
class NumberProvisioning:
    """An organization's number, step by step: bought from the telephony
    provider (number and its id), then imported into the voice platform. A
    half-done provisioning is kept so that a retry resumes it."""

    organization_id: str
    phone_number: str | None = None
    number_id: str | None = None
    sip_trunk_id: str | None = None
    platform_phone_number_id: str | None = None

    @property
    def bought(self) -> bool:
        return self.phone_number is not None and self.number_id is not None

    @property
    def complete(self) -> bool:
        return self.bought and self.platform_phone_number_id is not None


class CalendarProviderName(enum.StrEnum):
    CAL_COM = "CAL_COM"

    @classmethod
    def parse(cls, raw: str) -> CalendarProviderName:
        try:
            return cls(raw.strip().upper())
        except ValueError:
            raise ValidationFailed("provider", "must be CAL_COM") from None


@dataclass(frozen=True, slots=True)
class CalendarConnection:
    organization_id: str
    provider: CalendarProviderName
    encrypted_api_key: str
    event_type_id: int
    tool_ids: Sequence[str]
    connected_at: datetime


def check_api_key(raw: str) -> str:
    key = raw.strip()
    if not key:
        raise ValidationFailed("apiKey", "must not be empty")
    if len(key) > MAX_API_KEY_CHARS or has_control(key) or " " in key:
        raise ValidationFailed(
            "apiKey", f"must be one word of at most {MAX_API_KEY_CHARS} characters"
        )
    return key


def check_event_type_id(raw: int) -> int:
    # bool is an int in Python; a JSON true is not an event type.
    if isinstance(raw, bool) or not 1 <= raw <= 2**31 - 1:
        raise ValidationFailed("eventTypeId", "must be a positive integer")
    return raw


def check_locality(raw: str | None) -> str | None:
    if raw is None or not raw.strip():
        return None
    locality = raw.strip()
    if len(locality) > MAX_LOCALITY_CHARS or has_control(locality):
        raise ValidationFailed(
            "locality", f"must be a place name of at most {MAX_LOCALITY_CHARS} chars"
        )
    return locality


@dataclass(frozen=True, slots=True)
class EmbedToken:
    """A stored embed token: never the raw token, only what `embed_tokens`
    says may be kept (its digest lives beside it in the repository)."""

    id: str
    organization_id: str
    label: str | None
    display_prefix: str
    allowed_domains: tuple[str, ...]
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None
