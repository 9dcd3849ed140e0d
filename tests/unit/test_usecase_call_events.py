"""Call events into calls and minutes, over the fakes; and the merge rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from epoch_domain.accounts import Organization
from epoch_domain.assistants import Assistant, AssistantStatus
from epoch_domain.calls import Call, CallEvent, CallEventKind, CallStatus
from epoch_domain.cycles import UsageCycle
from epoch_domain.plans import Tier
from epoch_domain.usecases.call_events import CallEvents, merge_event
from tests.fakes import FakeClock, FakeUnitOfWorkFactory

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
START = NOW - timedelta(minutes=10)


class World:
    def __init__(self) -> None:
        self.uow = FakeUnitOfWorkFactory()
        self.db = self.uow.db
        self.clock = FakeClock(NOW)
        self.events = CallEvents(self.uow, self.clock)

    def organization(self, org_id: str, phone_id: str | None = None) -> None:
        self.db.tables.organizations[org_id] = Organization(
            org_id, "Org", Tier.PRO, NOW, NOW, vapi_phone_number_id=phone_id
        )
        self.open_cycle(org_id)

    def open_cycle(self, org_id: str) -> None:
        cycle_id = f"cycle-{org_id}"
        self.db.tables.cycles[cycle_id] = UsageCycle(
            cycle_id, org_id, NOW - timedelta(days=9), NOW + timedelta(days=21), 0, 500
        )

    def assistant(self, org_id: str, platform_id: str) -> str:
        assistant_id = f"a-{platform_id}"
        self.db.tables.assistants[assistant_id] = Assistant(
            assistant_id, org_id, platform_id, "Desk", AssistantStatus.ACTIVE, NOW
        )
        return assistant_id

    def used_ms(self, org_id: str) -> int:
        return sum(c.used_ms for c in self.db.cycles_of(org_id))


@pytest.fixture
def world() -> World:
    w = World()
    w.organization("o1", phone_id="pn-1")
    w.assistant("o1", "asst_1")
    return w


def report(
    call_id: str = "call-1",
    assistant: str | None = "asst_1",
    seconds: float = 330,
    reason: str = "customer-ended-call",
    **extra: object,
) -> CallEvent:
    return CallEvent(
        kind=CallEventKind.END_OF_CALL_REPORT,
        platform_call_id=call_id,
        platform_assistant_id=assistant,
        started_at=START,
        ended_at=START + timedelta(seconds=seconds),
        ended_reason=reason,
        **extra,  # type: ignore[arg-type]
    )


def status(
    value: CallStatus, call_id: str = "call-1", assistant: str | None = "asst_1"
) -> CallEvent:
    return CallEvent(
        kind=CallEventKind.STATUS_UPDATE,
        platform_call_id=call_id,
        platform_assistant_id=assistant,
        status=value,
    )


async def test_a_raw_event_is_stored_and_committed_before_anything_acts(
    world: World,
) -> None:
    event_id = await world.events.store_raw("end-of-call-report", {"message": {}})
    row = world.db.tables.webhook_events[event_id]
    assert (row.provider, row.event_type, row.received_at) == (
        "vapi",
        "end-of-call-report",
        NOW,
    )
    assert row.processed_at is None


async def test_an_end_of_call_report_creates_the_call_and_meters_its_exact_duration(
    world: World,
) -> None:
    event_id = await world.events.store_raw("end-of-call-report", {})
    result = await world.events.ingest(
        report(transcript="AI: Hello", summary="Booked"), event_id
    )
    assert result.organization_id == "o1"
    assert result.metered_ms == 330_000
    assert world.used_ms("o1") == 330_000
    row = world.db.call_row("call-1")
    assert row is not None
    assert row.call.status is CallStatus.COMPLETED
    assert row.call.duration_ms == 330_000
    assert (row.call.transcript, row.call.summary) == ("AI: Hello", "Booked")
    assert row.call.assistant_id == "a-asst_1"
    assert (row.metered_ms, row.cycle_id) == (330_000, "cycle-o1")
    assert world.db.tables.webhook_events[event_id].processed_at == NOW


async def test_the_same_report_delivered_twice_meters_once(world: World) -> None:
    first = await world.events.ingest(report(), None)
    second = await world.events.ingest(report(), None)
    assert (first.metered_ms, second.metered_ms) == (330_000, 0)
    assert world.used_ms("o1") == 330_000
    assert len(world.db.tables.calls) == 1


async def test_status_updates_follow_the_call_but_never_meter(world: World) -> None:
    for value in (CallStatus.RINGING, CallStatus.IN_PROGRESS):
        result = await world.events.ingest(status(value), None)
        assert result.metered_ms == 0
    row = world.db.call_row("call-1")
    assert row is not None
    assert row.call.status is CallStatus.IN_PROGRESS
    assert world.used_ms("o1") == 0


async def test_a_late_status_update_does_not_bring_an_ended_call_back(
    world: World,
) -> None:
    await world.events.ingest(report(), None)
    await world.events.ingest(status(CallStatus.IN_PROGRESS), None)
    row = world.db.call_row("call-1")
    assert row is not None
    assert row.call.status is CallStatus.COMPLETED
    assert row.call.duration_ms == 330_000


@pytest.mark.parametrize(
    "reason", ["customer-busy", "customer-did-not-answer", "pipeline-error-openai"]
)
async def test_a_call_that_never_connected_is_failed(world: World, reason: str) -> None:
    await world.events.ingest(report(reason=reason, seconds=0), None)
    row = world.db.call_row("call-1")
    assert row is not None
    assert row.call.status is CallStatus.FAILED


async def test_a_call_found_by_phone_number_belongs_to_that_organization(
    world: World,
) -> None:
    event = replace(report(assistant=None), platform_phone_number_id="pn-1")
    result = await world.events.ingest(event, None)
    assert result.organization_id == "o1"
    assert world.used_ms("o1") == 330_000


async def test_a_call_of_an_unknown_assistant_is_kept_but_meters_nothing(
    world: World,
) -> None:
    result = await world.events.ingest(report(assistant="asst_unknown"), None)
    assert (result.organization_id, result.metered_ms) == (None, 0)
    row = world.db.call_row("call-1")
    assert row is not None
    assert row.metered_ms is None
    assert world.used_ms("o1") == 0


async def test_a_call_is_adopted_when_its_assistant_is_registered_later(
    world: World,
) -> None:
    world.organization("o2")
    await world.events.ingest(status(CallStatus.RINGING, assistant="asst_late"), None)
    world.assistant("o2", "asst_late")
    result = await world.events.ingest(report(assistant="asst_late"), None)
    assert result.organization_id == "o2"
    assert world.used_ms("o2") == 330_000


async def test_without_an_open_cycle_nothing_is_metered_and_a_later_report_can(
    world: World,
) -> None:
    world.db.tables.cycles.clear()
    first = await world.events.ingest(report(), None)
    assert first.metered_ms == 0
    row = world.db.call_row("call-1")
    assert row is not None
    assert row.metered_ms is None
    world.open_cycle("o1")
    again = await world.events.ingest(report(), None)
    assert again.metered_ms == 330_000


async def test_calls_of_two_organizations_meter_into_their_own_cycles(
    world: World,
) -> None:
    world.organization("o2")
    world.assistant("o2", "asst_2")
    await world.events.ingest(report("call-a", "asst_1", seconds=60), None)
    await world.events.ingest(report("call-b", "asst_2", seconds=90), None)
    assert (world.used_ms("o1"), world.used_ms("o2")) == (60_000, 90_000)


async def test_a_report_with_only_a_provider_duration_meters_that(
    world: World,
) -> None:
    event = CallEvent(
        kind=CallEventKind.END_OF_CALL_REPORT,
        platform_call_id="call-1",
        platform_assistant_id="asst_1",
        reported_duration_ms=45_500,
    )
    result = await world.events.ingest(event, None)
    assert result.metered_ms == 45_500


async def test_a_report_without_any_duration_meters_nothing(world: World) -> None:
    event = CallEvent(
        kind=CallEventKind.END_OF_CALL_REPORT,
        platform_call_id="call-1",
        platform_assistant_id="asst_1",
    )
    result = await world.events.ingest(event, None)
    assert result.metered_ms == 0
    assert world.used_ms("o1") == 0


# ---------------------------------------------------------------- merge rules

texts = st.one_of(st.none(), st.text(min_size=1, max_size=5))
times = st.one_of(
    st.none(),
    st.datetimes(
        min_value=datetime(2026, 1, 1),
        max_value=datetime(2026, 2, 1),
        timezones=st.just(UTC),
    ),
)
call_events = st.builds(
    CallEvent,
    kind=st.sampled_from(list(CallEventKind)),
    platform_call_id=st.just("call-1"),
    status=st.one_of(st.none(), st.sampled_from(list(CallStatus))),
    started_at=times,
    ended_at=times,
    reported_duration_ms=st.one_of(st.none(), st.integers(0, 10**7)),
    ended_reason=st.one_of(st.none(), st.sampled_from(["customer-busy", "hangup"])),
    customer_number=texts,
    transcript=texts,
    summary=texts,
    recording_url=texts,
    call_type=texts,
)
FIELDS = (
    "started_at",
    "ended_at",
    "ended_reason",
    "customer_number",
    "transcript",
    "summary",
    "recording_url",
    "call_type",
)


def blank_call() -> Call:
    return Call(
        "c1", "o1", "call-1", CallStatus.QUEUED, *([None] * 8), assistant_id="a1"
    )


@given(st.lists(call_events, max_size=8))
def test_a_known_fact_is_never_erased_by_a_later_event(
    sequence: list[CallEvent],
) -> None:
    call = blank_call()
    for event in sequence:
        merged = merge_event(call, event)
        for name in FIELDS:
            if getattr(call, name) is not None:
                assert getattr(merged, name) is not None
        if call.duration_ms is not None:
            assert merged.duration_ms is not None
        call = merged


@given(st.lists(call_events, max_size=8))
def test_a_final_status_only_changes_with_another_end_of_call_report(
    sequence: list[CallEvent],
) -> None:
    call = blank_call()
    for event in sequence:
        merged = merge_event(call, event)
        if call.status.is_final and event.kind is CallEventKind.STATUS_UPDATE:
            assert merged.status is call.status
        if event.kind is CallEventKind.END_OF_CALL_REPORT:
            assert merged.status.is_final
        call = merged


@given(call_events)
def test_merging_never_changes_who_the_call_belongs_to(event: CallEvent) -> None:
    call = blank_call()
    merged = merge_event(call, event)
    assert (merged.id, merged.organization_id, merged.assistant_id) == (
        call.id,
        call.organization_id,
        call.assistant_id,
    )
    assert merged.platform_call_id == call.platform_call_id
