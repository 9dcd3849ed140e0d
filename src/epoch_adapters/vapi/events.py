"""Reading VAPI server messages, in every payload shape VAPI has used.

VAPI moved fields over the years: times and transcript lived on `call` and on
the message itself before `artifact` and `analysis` existed, and `timestamp`
went from an ISO string to epoch milliseconds. Each reader below tries the
current place first, then the older ones.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from epoch_domain.calls import CallEvent, CallEventKind, CallStatus
from epoch_domain.metering import MAX_CALL_MS

_KINDS = {
    "status-update": CallEventKind.STATUS_UPDATE,
    "call.started": CallEventKind.STATUS_UPDATE,
    "end-of-call-report": CallEventKind.END_OF_CALL_REPORT,
    "call.ended": CallEventKind.END_OF_CALL_REPORT,
}


class UnreadableEvent(ValueError):
    """A payload that cannot be tied to a call."""


def _dig(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)
    return data


def _first(message: Mapping[str, Any], *paths: tuple[str, ...]) -> Any:
    for path in paths:
        value = _dig(message, *path)
        if value not in (None, ""):
            return value
    return None


def _text(value: Any, limit: int = 200_000) -> str | None:
    if isinstance(value, str) and value.strip():
        return value[:limit]
    return None


def parse_instant(value: Any) -> datetime | None:
    """An ISO-8601 string, or epoch seconds or milliseconds, as UTC."""
    if isinstance(value, bool):
        return None
    try:
        if isinstance(value, int | float):
            seconds = value / 1000 if value > 10_000_000_000 else value
            return datetime.fromtimestamp(seconds, UTC)
        if isinstance(value, str) and value:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (ValueError, OverflowError, OSError):
        return None
    return None


def _reported_duration_ms(message: Mapping[str, Any]) -> int | None:
    """Only third-party payloads carry these; used when the times are absent."""
    for key, factor in (
        ("durationMs", 1),
        ("durationSeconds", 1000),
        ("durationMinutes", 60_000),
    ):
        for source in (message, message.get("call")):
            value = _dig(source, key)
            is_number = isinstance(value, int | float) and not isinstance(value, bool)
            if is_number and math.isfinite(value) and value >= 0:
                # Capped before rounding: 1e300 must not become a 300-digit
                # integer. The domain refuses anything past its call ceiling.
                return round(min(value * factor, MAX_CALL_MS + 1))
    return None


def event_type(body: Any) -> str | None:
    kind = _dig(body, "message", "type")
    return kind if isinstance(kind, str) else None


def read_call_event(body: Any) -> CallEvent | None:
    """The call event in a webhook body; None for message types we don't
    meter (tool calls, transcripts, speech updates and so on)."""
    message = _dig(body, "message")
    if not isinstance(message, Mapping):
        raise UnreadableEvent("the body has no message object")
    kind = _KINDS.get(str(message.get("type")))
    if kind is None:
        return None
    call_id = _first(message, ("call", "id"), ("callId",))
    if not isinstance(call_id, str) or not call_id.strip():
        raise UnreadableEvent("the message names no call id")
    status = message.get("status") or _dig(message, "call", "status")
    return CallEvent(
        kind=kind,
        platform_call_id=call_id.strip()[:128],
        platform_assistant_id=_text(
            _first(
                message, ("call", "assistantId"), ("assistant", "id"), ("assistantId",)
            ),
            128,
        ),
        platform_phone_number_id=_text(
            _first(message, ("call", "phoneNumberId"), ("phoneNumber", "id")), 128
        ),
        status=CallStatus.from_platform(status if isinstance(status, str) else None),
        started_at=parse_instant(
            _first(message, ("startedAt",), ("call", "startedAt"))
        ),
        ended_at=parse_instant(_first(message, ("endedAt",), ("call", "endedAt"))),
        reported_duration_ms=_reported_duration_ms(message),
        ended_reason=_text(
            _first(message, ("endedReason",), ("call", "endedReason")), 200
        ),
        customer_number=_text(
            _first(message, ("customer", "number"), ("call", "customer", "number")), 40
        ),
        transcript=_text(_first(message, ("artifact", "transcript"), ("transcript",))),
        summary=_text(_first(message, ("analysis", "summary"), ("summary",))),
        recording_url=_text(
            _first(
                message,
                ("artifact", "recordingUrl"),
                ("artifact", "recording", "mono", "combinedUrl"),
                ("recordingUrl",),
            ),
            2000,
        ),
        call_type=_text(_dig(message, "call", "type"), 40),
    )
