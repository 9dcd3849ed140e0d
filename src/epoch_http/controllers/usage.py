"""Usage and calls: the minutes snapshot, daily history and call details."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import msgspec
from litestar import Request, get
from litestar.params import FromPath, QueryParameter

from epoch_domain.calls import Call
from epoch_domain.metering import display_minutes
from epoch_domain.plans import Feature
from epoch_domain.usecases.usage import MAX_HISTORY_DAYS
from epoch_http.ids import parse_id
from epoch_http.schemas import errors
from epoch_http.security import CurrentSession, SessionController


class SnapshotOut(msgspec.Struct):
    minutesUsed: float  # noqa: N815
    minutesLimit: int  # noqa: N815
    percentUsed: float  # noqa: N815
    currentCycleStart: datetime  # noqa: N815
    currentCycleEnd: datetime  # noqa: N815


class AssistantRef(msgspec.Struct):
    id: str
    name: str


class DayOut(msgspec.Struct):
    date: date
    calls: int
    minutes: float


class CallSummaryOut(msgspec.Struct):
    id: str
    vapiCallId: str  # noqa: N815
    status: str
    startedAt: datetime | None  # noqa: N815
    endedAt: datetime | None  # noqa: N815
    durationMinutes: float | None  # noqa: N815
    customerNumber: str | None  # noqa: N815

    @classmethod
    def of(cls, call: Call) -> CallSummaryOut:
        return cls(
            id=call.id,
            vapiCallId=call.platform_call_id,
            status=call.status.value,
            startedAt=call.started_at,
            endedAt=call.ended_at,
            durationMinutes=_minutes(call.duration_ms),
            customerNumber=call.customer_number,
        )


class UsageOut(msgspec.Struct):
    snapshot: SnapshotOut
    plan: str
    phoneNumber: str | None  # noqa: N815
    assistant: AssistantRef | None
    features: dict[str, bool]
    history: list[DayOut]
    recentCalls: list[CallSummaryOut]  # noqa: N815


class CallDetailOut(msgspec.Struct):
    id: str
    vapiCallId: str  # noqa: N815
    status: str
    startedAt: datetime | None  # noqa: N815
    endedAt: datetime | None  # noqa: N815
    durationMinutes: float | None  # noqa: N815
    customerNumber: str | None  # noqa: N815
    endedReason: str | None  # noqa: N815
    transcript: str | None
    summary: str | None
    recordingUrl: str | None  # noqa: N815


class CallFeaturesOut(msgspec.Struct):
    transcripts: bool
    recordings: bool


class CallEnvelope(msgspec.Struct):
    call: CallDetailOut
    plan: str
    features: CallFeaturesOut


def _minutes(ms: int | None) -> float | None:
    return None if ms is None else display_minutes(ms)


class UsageController(SessionController):
    path = "/api"
    tags = ["Usage & Billing"]

    @get("/usage", responses=errors(400, 401))
    async def usage(
        self,
        request: Request[Any, Any, Any],
        ctx: CurrentSession,
        days: Annotated[
            int,
            QueryParameter(ge=1, le=MAX_HISTORY_DAYS, description="Days of history"),
        ] = 30,
    ) -> UsageOut:
        report = await request.app.state.container.usage().report(
            ctx.organization, days
        )
        snap = report.snapshot
        return UsageOut(
            snapshot=SnapshotOut(
                minutesUsed=snap.minutes_used,
                minutesLimit=snap.included_minutes,
                percentUsed=snap.percent_used,
                currentCycleStart=report.cycle_start,
                currentCycleEnd=report.cycle_end_display,
            ),
            plan=report.plan.tier.name,
            phoneNumber=report.organization.phone_number,
            assistant=(
                AssistantRef(report.assistant.id, report.assistant.name)
                if report.assistant
                else None
            ),
            features=report.plan.feature_flags(),
            history=[
                DayOut(d.day, d.calls, display_minutes(d.used_ms))
                for d in report.history
            ],
            recentCalls=[CallSummaryOut.of(c) for c in report.recent_calls],
        )


class CallsController(SessionController):
    path = "/api/calls"
    tags = ["Calls"]

    @get("/{call_id:str}", responses=errors(401, 404))
    async def call_detail(
        self,
        request: Request[Any, Any, Any],
        ctx: CurrentSession,
        call_id: FromPath[str],
    ) -> CallEnvelope:
        detail = await request.app.state.container.usage().call_detail(
            ctx.organization, parse_id(call_id, "call")
        )
        call, plan = detail.call, detail.plan
        transcripts = plan.has(Feature.TRANSCRIPTS)
        recordings = plan.has(Feature.RECORDINGS)
        return CallEnvelope(
            call=CallDetailOut(
                id=call.id,
                vapiCallId=call.platform_call_id,
                status=call.status.value,
                startedAt=call.started_at,
                endedAt=call.ended_at,
                durationMinutes=_minutes(call.duration_ms),
                customerNumber=call.customer_number,
                endedReason=call.ended_reason,
                transcript=call.transcript if transcripts else None,
                summary=call.summary,
                recordingUrl=call.recording_url if recordings else None,
            ),
            plan=plan.tier.name,
            features=CallFeaturesOut(transcripts, recordings),
        )
