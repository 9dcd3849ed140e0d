"""The billing-reset job over the fakes: each ended cycle is rolled once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from epoch_domain.accounts import Organization
from epoch_domain.cycles import UsageCycle, cycle_at
from epoch_domain.plans import Tier, plan_for
from epoch_domain.usecases.cycle_reset import BATCH_SIZE, ResetBillingCycles
from tests.fakes import FakeClock, FakeSecrets, FakeUnitOfWorkFactory

pytestmark = pytest.mark.anyio

ANCHOR = datetime(2026, 1, 31, 8, 0, tzinfo=UTC)


class World:
    def __init__(self, now: datetime) -> None:
        self.uow = FakeUnitOfWorkFactory()
        self.db = self.uow.db
        self.clock = FakeClock(now)
        self.job = ResetBillingCycles(self.uow, self.clock, FakeSecrets())

    def organization(
        self, org_id: str, tier: Tier = Tier.PRO, cycle_index: int = 0
    ) -> None:
        self.db.tables.organizations[org_id] = Organization(
            org_id, "Org", tier, ANCHOR, ANCHOR
        )
        bounds = cycle_at(ANCHOR, cycle_index)
        self.db.tables.cycles[f"c-{org_id}"] = UsageCycle(
            f"c-{org_id}", org_id, bounds.starts_at, bounds.ends_at, 123_000, 30
        )


async def test_an_ended_cycle_is_closed_and_the_next_one_opened() -> None:
    # Cycle 0 runs Jan 31 .. Feb 28; the job runs on Feb 28 at noon.
    world = World(datetime(2026, 2, 28, 12, 0, tzinfo=UTC))
    world.organization("o1", Tier.PRO)
    counts = await world.job.run()
    assert counts.as_dict() == {"reset": 1, "skipped": 0, "errors": 0}
    ended, opened = world.db.cycles_of("o1")
    assert ended.closed_at == world.clock.now()
    assert ended.used_ms == 123_000
    assert (opened.starts_at, opened.ends_at) == (
        datetime(2026, 2, 28, 8, 0, tzinfo=UTC),
        datetime(2026, 3, 31, 8, 0, tzinfo=UTC),
    )
    assert opened.used_ms == 0
    assert opened.included_minutes == plan_for(Tier.PRO).included_minutes
    assert opened.closed_at is None


async def test_running_the_job_twice_rolls_each_cycle_once() -> None:
    """The second run finds only the cycle the first one opened, not due."""
    world = World(datetime(2026, 2, 28, 12, 0, tzinfo=UTC))
    world.organization("o1")
    await world.job.run()
    again = await world.job.run()
    assert again.as_dict() == {"reset": 0, "skipped": 1, "errors": 0}
    assert len(world.db.cycles_of("o1")) == 2


async def test_a_cycle_that_has_not_ended_is_skipped() -> None:
    world = World(datetime(2026, 2, 28, 7, 59, tzinfo=UTC))
    world.organization("o1")
    counts = await world.job.run()
    assert counts.as_dict() == {"reset": 0, "skipped": 1, "errors": 0}
    assert len(world.db.cycles_of("o1")) == 1


async def test_after_missed_resets_the_new_cycle_is_the_one_holding_today() -> None:
    world = World(datetime(2026, 5, 15, tzinfo=UTC))
    world.organization("o1")
    await world.job.run()
    ended, opened = world.db.cycles_of("o1")
    assert ended.closed_at is not None
    assert (opened.starts_at, opened.ends_at) == (
        datetime(2026, 4, 30, 8, 0, tzinfo=UTC),
        datetime(2026, 5, 31, 8, 0, tzinfo=UTC),
    )


async def test_the_new_cycle_gets_the_minutes_of_the_current_plan() -> None:
    world = World(datetime(2026, 3, 1, tzinfo=UTC))
    world.organization("o1", Tier.STARTER)
    await world.job.run()
    opened = world.db.cycles_of("o1")[-1]
    assert opened.included_minutes == plan_for(Tier.STARTER).included_minutes


async def test_one_broken_organization_is_counted_and_the_others_still_roll() -> None:
    world = World(datetime(2026, 3, 1, tzinfo=UTC))
    for org_id in ("o1", "o2", "o3"):
        world.organization(org_id)
    world.db.broken_cycle_open.add("o2")
    counts = await world.job.run()
    assert counts.as_dict() == {"reset": 2, "skipped": 0, "errors": 1}
    assert counts.failed_organizations == ["o2"]
    assert len(world.db.cycles_of("o1")) == 2
    assert len(world.db.cycles_of("o3")) == 2
    # The broken one is left exactly as it was: its open cycle is not closed.
    (kept,) = world.db.cycles_of("o2")
    assert kept.closed_at is None


async def test_more_organizations_than_one_batch_are_all_rolled() -> None:
    world = World(datetime(2026, 3, 1, tzinfo=UTC))
    for n in range(BATCH_SIZE + 3):
        world.organization(f"o{n}")
    counts = await world.job.run()
    assert counts.as_dict() == {"reset": BATCH_SIZE + 3, "skipped": 0, "errors": 0}
    open_cycles = [c for c in world.db.tables.cycles.values() if c.closed_at is None]
    assert len(open_cycles) == BATCH_SIZE + 3
