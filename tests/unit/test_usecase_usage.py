"""The usage report over the fakes: snapshot, cycle, history, recent calls."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from epoch_domain.accounts import Organization
from epoch_domain.calls import Call, CallStatus
from epoch_domain.cycles import UsageCycle
from epoch_domain.errors import NotFound, ValidationFailed
from epoch_domain.plans import Tier
from epoch_domain.usecases.usage import RECENT_CALLS, Usage, fill_days
from tests.fakes import CallRow, FakeClock, FakeUnitOfWorkFactory

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 3, 15, 9, 0, tzinfo=UTC)
ANCHOR = datetime(2026, 1, 1, tzinfo=UTC)


class World:
    def __init__(self) -> None:
        self.uow = FakeUnitOfWorkFactory()
        self.db = self.uow.db
        self.clock = FakeClock(NOW)
        self.usage = Usage(self.uow, self.clock)
        self.org = Organization("o1", "Acme", Tier.PRO, ANCHOR, ANCHOR)
        self.db.tables.organizations["o1"] = self.org

    def cycle(self, used_ms: int) -> None:
        self.db.tables.cycles["c1"] = UsageCycle(
            "c1",
            "o1",
            datetime(2026, 3, 1, tzinfo=UTC),
            datetime(2026, 4, 1, tzinfo=UTC),
            used_ms,
            500,
        )

    def call(
        self, n: int, ended_at: datetime, ms: int | None, org_id: str = "o1"
    ) -> None:
        call = Call(
            id=f"call-{n}",
            organization_id=org_id,
            platform_call_id=f"vapi-{n}",
            status=CallStatus.COMPLETED,
            started_at=ended_at - timedelta(milliseconds=ms or 0),
            ended_at=ended_at,
            duration_ms=ms,
            ended_reason="customer-ended-call",
            customer_number="+15551234567",
            transcript=None,
            summary=None,
            recording_url=None,
        )
        self.db.tables.calls[call.id] = CallRow(
            call, created_at=ended_at, metered_ms=ms
        )


@pytest.fixture
def world() -> World:
    return World()


async def test_the_report_shows_the_spec_figures_for_142_5_of_500_minutes(
    world: World,
) -> None:
    world.cycle(used_ms=8_550_000)
    report = await world.usage.report(world.org, days=30)
    assert report.snapshot.minutes_used == 142.5
    assert report.snapshot.included_minutes == 500
    assert report.snapshot.percent_used == 28.5
    assert report.cycle_start == datetime(2026, 3, 1, tzinfo=UTC)
    assert report.cycle_end_display == datetime(2026, 3, 31, 23, 59, 59, tzinfo=UTC)
    assert report.plan.tier is Tier.PRO


async def test_without_a_stored_cycle_the_report_shows_the_anchors_cycle_empty(
    world: World,
) -> None:
    report = await world.usage.report(world.org, days=7)
    assert report.snapshot.used_ms == 0
    assert (report.cycle_start, report.cycle_end) == (
        datetime(2026, 3, 1, tzinfo=UTC),
        datetime(2026, 4, 1, tzinfo=UTC),
    )


async def test_history_has_one_entry_per_day_with_zeros_where_nothing_happened(
    world: World,
) -> None:
    world.cycle(0)
    world.call(1, NOW - timedelta(days=1), 60_000)
    world.call(2, NOW - timedelta(days=1, hours=1), 30_000)
    world.call(3, NOW - timedelta(days=20), 90_000)  # before the window
    world.call(4, NOW - timedelta(hours=1), 45_000, org_id="o2")  # not ours
    report = await world.usage.report(world.org, days=3)
    assert [(d.day, d.calls, d.used_ms) for d in report.history] == [
        (date(2026, 3, 13), 0, 0),
        (date(2026, 3, 14), 2, 90_000),
        (date(2026, 3, 15), 0, 0),
    ]


async def test_recent_calls_are_the_newest_twenty_of_the_organization(
    world: World,
) -> None:
    world.cycle(0)
    for n in range(RECENT_CALLS + 5):
        world.call(n, NOW - timedelta(minutes=n), 1000)
    world.call(99, NOW, 1000, org_id="o2")
    report = await world.usage.report(world.org, days=1)
    assert [c.id for c in report.recent_calls] == [
        f"call-{n}" for n in range(RECENT_CALLS)
    ]


@pytest.mark.parametrize("days", [0, -1, 366])
async def test_a_history_window_outside_1_to_365_days_is_refused(
    world: World, days: int
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        await world.usage.report(world.org, days=days)
    assert caught.value.field == "days"


async def test_a_call_of_the_organization_is_shown_with_its_plan(world: World) -> None:
    world.call(1, NOW, 60_000)
    detail = await world.usage.call_detail(world.org, "call-1")
    assert detail.call.id == "call-1"
    assert detail.plan.tier is Tier.PRO


async def test_another_organizations_call_is_not_found(world: World) -> None:
    world.call(1, NOW, 60_000, org_id="o2")
    with pytest.raises(NotFound):
        await world.usage.call_detail(world.org, "call-1")


days_back = st.integers(min_value=0, max_value=60)


@given(
    st.dictionaries(days_back, st.tuples(st.integers(1, 9), st.integers(0, 10**7))),
    st.integers(min_value=1, max_value=61),
)
def test_filled_days_cover_the_window_and_keep_every_figure_inside_it(
    rows: dict[int, tuple[int, int]], window: int
) -> None:
    last = date(2026, 3, 15)
    first = last - timedelta(days=window - 1)
    stored = sorted((last - timedelta(days=k), c, ms) for k, (c, ms) in rows.items())
    inside = [(d, c, ms) for d, c, ms in stored if first <= d <= last]
    filled = fill_days(inside, first, last)
    assert [d.day for d in filled] == [first + timedelta(days=k) for k in range(window)]
    assert sum(d.calls for d in filled) == sum(c for _, c, _ in inside)
    assert sum(d.used_ms for d in filled) == sum(ms for _, _, ms in inside)
