"""Text messages: what may be sent, how delivery status moves, how logs page.

* A message goes to an E.164 number (`phone.normalize_e164`) and its body is
  1 to 1600 characters (the carrier's limit for a concatenated message), with
  no NUL or other control characters except line breaks and tabs.
* Delivery status only moves forward. Each status has a rank: queued (and
  accepted, scheduled) < sending < sent < delivered, undelivered, failed <
  read. A report applies only when its rank is above the current one, so a
  late "sent" never overwrites "delivered", and the first final answer stands.
  Whatever order callbacks arrive in, the stored rank is the highest reported.
* Logs are read a page at a time: page >= 1, 1 <= limit <= 100 (default 20);
  total pages = ceil(total / limit), 0 when there is nothing.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, replace
from datetime import datetime

from epoch_domain.errors import Forbidden, ValidationFailed

MAX_BODY_CHARS = 1600
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
_FORBIDDEN_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class SmsNotAllowed(Forbidden):
    """SMS needs an approved A2P campaign (CAMPAIGN_APPROVED)."""

    def __init__(self, a2p_status: str) -> None:
        super().__init__(
            "Sending SMS requires an approved A2P registration "
            f"(CAMPAIGN_APPROVED); the registration is {a2p_status}"
        )
        self.a2p_status = a2p_status


class SmsDirection(enum.StrEnum):
    INBOUND = "INBOUND"
    OUTBOUND = "OUTBOUND"

    @classmethod
    def parse(cls, raw: str | None) -> SmsDirection | None:
        """None for no filter; ValidationFailed for anything but the two."""
        if raw is None or not raw.strip():
            return None
        try:
            return cls[raw.strip().upper()]
        except KeyError:
            raise ValidationFailed("direction", "must be INBOUND or OUTBOUND") from None


class SmsStatus(enum.StrEnum):
    """The carrier's delivery statuses, as the API shows them (lower case)."""

    ACCEPTED = "accepted"
    SCHEDULED = "scheduled"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    READ = "read"
    RECEIVED = "received"

    @classmethod
    def from_carrier(cls, raw: str | None) -> SmsStatus | None:
        """The status a carrier reports; None for one we do not know."""
        try:
            return cls((raw or "").strip().lower())
        except ValueError:
            return None

    @property
    def rank(self) -> int:
        return _RANK[self]

    @property
    def is_failure(self) -> bool:
        return self in (SmsStatus.UNDELIVERED, SmsStatus.FAILED)


_RANK = {
    SmsStatus.ACCEPTED: 0,
    SmsStatus.SCHEDULED: 0,
    SmsStatus.QUEUED: 0,
    SmsStatus.SENDING: 1,
    SmsStatus.SENT: 2,
    SmsStatus.DELIVERED: 3,
    SmsStatus.UNDELIVERED: 3,
    SmsStatus.FAILED: 3,
    SmsStatus.READ: 4,
    # An inbound message is final as soon as we have it.
    SmsStatus.RECEIVED: 5,
}


@dataclass(frozen=True, slots=True)
class SmsMessage:
    id: str
    organization_id: str
    direction: SmsDirection
    from_number: str
    to_number: str
    body: str
    status: SmsStatus
    created_at: datetime
    provider_id: str | None = None
    error_code: str | None = None
    updated_at: datetime | None = None


def advance_status(
    message: SmsMessage,
    reported: SmsStatus,
    error_code: str | None,
    now: datetime,
) -> SmsMessage:
    """`message` after a carrier report: unchanged unless the report moves it
    forward. A failure keeps its error code; any other status clears none."""
    if reported.rank <= message.status.rank:
        return message
    code = error_code if reported.is_failure and error_code else message.error_code
    return replace(message, status=reported, error_code=code, updated_at=now)


def check_body(raw: str, field: str = "body") -> str:
    if _FORBIDDEN_CONTROLS.search(raw):
        raise ValidationFailed(field, "must not contain control characters")
    body = raw.strip()
    if not body:
        raise ValidationFailed(field, "must not be empty")
    if len(body) > MAX_BODY_CHARS:
        raise ValidationFailed(field, f"must be at most {MAX_BODY_CHARS} characters")
    return body


@dataclass(frozen=True, slots=True)
class PageRequest:
    page: int
    limit: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit


def check_page(page: int | None, limit: int | None) -> PageRequest:
    page = 1 if page is None else page
    limit = DEFAULT_PAGE_SIZE if limit is None else limit
    if page < 1:
        raise ValidationFailed("page", "must be at least 1")
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise ValidationFailed("limit", f"must be between 1 and {MAX_PAGE_SIZE}")
    return PageRequest(page, limit)


def total_pages(total: int, limit: int) -> int:
    return -(-total // limit) if total > 0 else 0
