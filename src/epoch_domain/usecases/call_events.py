"""Turning the voice platform's call events into calls and metered minutes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from epoch_domain.calls import Call, CallEvent, CallEventKind, CallStatus, final_status
from epoch_domain.ports import Clock, UnitOfWork, UnitOfWorkFactory

PROVIDER = "vapi"


@dataclass(frozen=True, slots=True)
class IngestResult:
    call_id: str | None
    organization_id: str | None
    metered_ms: int


def merge_event(call: Call, event: CallEvent, metered_ms: int | None = None) -> Call:
    """The call after `event`: known facts are never erased by a later event
    that lacks them, and a final status never goes back to a live one.

    Once a call is metered its times and duration are what was billed: a
    later report claiming another length changes neither, so the call shown
    always matches the minutes counted."""
    if metered_ms is not None:
        event = replace(event, started_at=None, ended_at=None)
    status = call.status
    if event.kind is CallEventKind.END_OF_CALL_REPORT:
        status = final_status(event.ended_reason)
    elif event.status is not None and not call.status.is_final:
        status = event.status
        if status is CallStatus.COMPLETED:
            status = final_status(event.ended_reason)
    duration = call.duration_ms
    report = event.kind is CallEventKind.END_OF_CALL_REPORT
    if metered_ms is not None:
        duration = metered_ms
    elif report and event.duration_ms is not None:
        duration = event.duration_ms
    return replace(
        call,
        status=status,
        started_at=event.started_at or call.started_at,
        ended_at=event.ended_at or call.ended_at,
        duration_ms=duration,
        ended_reason=event.ended_reason or call.ended_reason,
        customer_number=event.customer_number or call.customer_number,
        transcript=event.transcript or call.transcript,
        summary=event.summary or call.summary,
        recording_url=event.recording_url or call.recording_url,
        call_type=event.call_type or call.call_type,
    )


class CallEvents:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def store_raw(self, event_type: str, payload: Mapping[str, Any]) -> str:
        """Keep the event as received, before anything acts on it."""
        async with self._uow() as uow:
            event_id, _ = await uow.webhook_events.store(
                PROVIDER, event_type, payload, None, self._clock.now()
            )
            await uow.commit()
        return event_id

    async def ingest(self, event: CallEvent, raw_event_id: str | None) -> IngestResult:
        now = self._clock.now()
        async with self._uow() as uow:
            owner = await uow.assistants.organization_for(
                event.platform_assistant_id, event.platform_phone_number_id
            )
            org_id, assistant_id = owner if owner else (None, None)
            locked = await uow.calls.lock_or_create(
                event.platform_call_id, org_id, assistant_id, now
            )
            call = merge_event(locked.call, event, locked.metered_ms)
            await uow.calls.save(call, now)
            metered = 0
            ms = event.duration_ms
            if event.meters and locked.metered_ms is None and ms is not None:
                metered = await self._meter(uow, call, ms, now)
            if raw_event_id is not None:
                await uow.webhook_events.mark_processed(raw_event_id, now)
            await uow.commit()
        return IngestResult(call.id, call.organization_id, metered)

    @staticmethod
    async def _meter(uow: UnitOfWork, call: Call, ms: int, now: datetime) -> int:
        """Count a call's minutes once. The call row is locked, so the check of
        `metered_ms` and this write cannot interleave with a duplicate report."""
        if call.organization_id is None:
            return 0
        cycle_id = await uow.cycles.add_usage(call.organization_id, ms)
        if cycle_id is None:
            return 0
        await uow.calls.mark_metered(call.id, ms, cycle_id, now)
        return ms
