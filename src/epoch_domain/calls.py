"""Calls as the voice platform reports them, once translated into our terms."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from epoch_domain.metering import duration_ms, plausible_duration


class CallStatus(enum.StrEnum):
    QUEUED = "QUEUED"
    RINGING = "RINGING"
    IN_PROGRESS = "IN_PROGRESS"
    FORWARDING = "FORWARDING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"

    @classmethod
    def from_platform(cls, status: str | None) -> CallStatus | None:
        return _PLATFORM_STATUS.get((status or "").lower())

    @property
    def is_final(self) -> bool:
        return self in (CallStatus.COMPLETED, CallStatus.FAILED)


_PLATFORM_STATUS = {
    "scheduled": CallStatus.QUEUED,
    "queued": CallStatus.QUEUED,
    "ringing": CallStatus.RINGING,
    "in-progress": CallStatus.IN_PROGRESS,
    "forwarding": CallStatus.FORWARDING,
    "ended": CallStatus.COMPLETED,
}

# Ended reasons that mean no conversation took place.
_FAILED_REASON_PREFIXES = (
    "pipeline-error",
    "call.start.error",
    "twilio-failed",
    "sip-",
    "customer-busy",
    "customer-did-not-answer",
)


def final_status(ended_reason: str | None) -> CallStatus:
    reason = (ended_reason or "").lower()
    if reason.startswith(_FAILED_REASON_PREFIXES):
        return CallStatus.FAILED
    return CallStatus.COMPLETED


class CallEventKind(enum.StrEnum):
    STATUS_UPDATE = "status-update"
    END_OF_CALL_REPORT = "end-of-call-report"


@dataclass(frozen=True, slots=True)
class CallEvent:
    """One platform event about one call, whatever payload shape it came in."""

    kind: CallEventKind
    platform_call_id: str
    platform_assistant_id: str | None = None
    platform_phone_number_id: str | None = None
    status: CallStatus | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    # Only a provider's own duration figure, used when the times are missing.
    reported_duration_ms: int | None = None
    ended_reason: str | None = None
    customer_number: str | None = None
    transcript: str | None = None
    summary: str | None = None
    recording_url: str | None = None
    call_type: str | None = None

    @property
    def claimed_duration_ms(self) -> int | None:
        """What the payload says, before any plausibility check."""
        measured = duration_ms(self.started_at, self.ended_at)
        return measured if measured is not None else self.reported_duration_ms

    @property
    def duration_ms(self) -> int | None:
        return plausible_duration(self.claimed_duration_ms)

    @property
    def has_implausible_duration(self) -> bool:
        return self.claimed_duration_ms is not None and self.duration_ms is None

    @property
    def meters(self) -> bool:
        """Whether this event can put minutes on a bill: a final report with
        a known duration."""
        return (
            self.kind is CallEventKind.END_OF_CALL_REPORT
            and self.duration_ms is not None
        )


@dataclass(frozen=True, slots=True)
class Call:
    id: str
    organization_id: str | None
    platform_call_id: str
    status: CallStatus
    started_at: datetime | None
    ended_at: datetime | None
    duration_ms: int | None
    ended_reason: str | None
    customer_number: str | None
    transcript: str | None
    summary: str | None
    recording_url: str | None
    assistant_id: str | None = None
    call_type: str | None = None
