"""The weekly overage job and the payment retry, over the fakes: each week is
charged once, declines are retried with their own key, unknown outcomes are
re-sent with the same key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from epoch_domain.accounts import Organization
from epoch_domain.calls import Call, CallStatus
from epoch_domain.cycles import UsageCycle
from epoch_domain.overage import OverageStatus
from epoch_domain.plans import Tier
from epoch_domain.subscription import SubscriptionState
from epoch_domain.usecases.overage_billing import OverageBilling
from tests.fakes import (
    CallRow,
    FakeClock,
    FakeDatabase,
    FakePayments,
    FakeSecrets,
    FakeUnitOfWorkFactory,
)

pytestmark = pytest.mark.anyio

# Monday morning: the last complete week is Mar 9 .. Mar 15.
NOW = datetime(2026, 3, 16, 11, 0, tzinfo=UTC)
INCLUDED_MS = 500 * 60_000


class World:
    def __init__(self, overage_enabled: bool = True) -> None:
        self.clock = FakeClock(NOW)
        self.db = FakeDatabase(clock=self.clock)
        self.uow = FakeUnitOfWorkFactory(self.db)
        self.payments = FakePayments()
        self.job = OverageBilling(self.uow, self.clock, self.payments, FakeSecrets())
        tables = self.db.tables
        tables.organizations["o1"] = Organization(
            "o1",
            "Acme",
            Tier.PRO,
            NOW - timedelta(days=20),
            datetime(2026, 3, 1, tzinfo=UTC),
            overage_enabled=overage_enabled,
        )
        tables.subscriptions["o1"] = SubscriptionState(Tier.PRO, customer_id="cus_1")
        tables.cycles["c1"] = UsageCycle(
            "c1",
            "o1",
            datetime(2026, 3, 1, tzinfo=UTC),
            datetime(2026, 4, 1, tzinfo=UTC),
            0,
            500,
        )
        self.calls = 0

    def metered_call(self, ms: int, at: datetime) -> None:
        self.calls += 1
        call = Call(
            f"call-{self.calls}",
            "o1",
            f"vapi-{self.calls}",
            CallStatus.COMPLETED,
            *([None] * 8),
        )
        tables = self.db.tables
        tables.calls[call.id] = CallRow(call, at, ms, at, "c1")
        cycle = tables.cycles["c1"]
        tables.cycles["c1"] = UsageCycle(
            "c1", "o1", cycle.starts_at, cycle.ends_at, cycle.used_ms + ms, 500
        )

    def records(self) -> list[object]:
        return [r.record for r in self.db.tables.overage_records.values()]


def with_overage(world: World, overage_ms: int) -> None:
    world.metered_call(INCLUDED_MS, datetime(2026, 3, 5, tzinfo=UTC))
    world.metered_call(overage_ms, datetime(2026, 3, 12, tzinfo=UTC))


async def test_a_weeks_overage_is_recorded_and_charged_once() -> None:
    world = World()
    with_overage(world, 750_000)  # 12.5 minutes at 30 c/min
    counts = await world.job.bill()
    assert counts.as_dict() == {"billed": 1, "skipped": 0, "errors": 0}
    (row,) = world.db.tables.overage_records.values()
    assert row.record.amount_cents == 375
    assert row.record.status is OverageStatus.PAID
    assert row.record.idempotency_key == "overage-o1-2026-03-09"
    assert world.payments.charged_cents == 375
    assert world.db.tables.billed_overage["c1"] == 750_000


async def test_running_the_job_again_charges_nothing_more() -> None:
    world = World()
    with_overage(world, 750_000)
    await world.job.bill()
    again = await world.job.bill()
    assert again.as_dict() == {"billed": 0, "skipped": 1, "errors": 0}
    assert len(world.payments.charge_calls) == 1
    assert len(world.db.tables.overage_records) == 1


async def test_calls_metered_after_the_week_wait_for_next_week() -> None:
    world = World()
    with_overage(world, 750_000)
    world.metered_call(600_000, datetime(2026, 3, 16, 9, tzinfo=UTC))
    await world.job.bill()
    assert world.payments.charged_cents == 375


async def test_a_declined_charge_is_retried_after_a_day_with_a_new_key() -> None:
    world = World()
    world.payments.declining.add("cus_1")
    with_overage(world, 750_000)
    counts = await world.job.bill()
    assert counts.errors == 1
    (row,) = world.db.tables.overage_records.values()
    assert row.record.status is OverageStatus.FAILED
    assert row.record.next_attempt_at == NOW + timedelta(days=1)

    early = await world.job.retry()
    assert early.as_dict() == {"retried": 0, "succeeded": 0, "failed": 0}

    world.payments.declining.clear()
    world.clock.advance(timedelta(days=1))
    late = await world.job.retry()
    assert late.as_dict() == {"retried": 1, "succeeded": 1, "failed": 0}
    (row,) = world.db.tables.overage_records.values()
    assert row.record.status is OverageStatus.PAID
    keys = [c.idempotency_key for c in world.payments.charge_calls]
    assert keys == ["overage-o1-2026-03-09", "overage-o1-2026-03-09-retry-2"]
    assert world.payments.charged_cents == 375


async def test_an_unknown_outcome_is_sent_again_with_the_same_key() -> None:
    world = World()
    world.payments.uncertain = True
    with_overage(world, 750_000)
    await world.job.bill()
    (row,) = world.db.tables.overage_records.values()
    assert row.record.status is OverageStatus.PENDING
    world.payments.uncertain = False
    await world.job.bill()
    keys = {c.idempotency_key for c in world.payments.charge_calls}
    assert keys == {"overage-o1-2026-03-09"}
    (row,) = world.db.tables.overage_records.values()
    assert row.record.status is OverageStatus.PAID
    assert world.payments.charged_cents == 375


async def test_with_overage_disabled_nothing_is_charged_and_the_overage_is_waived() -> (
    None
):
    world = World(overage_enabled=False)
    with_overage(world, 750_000)
    await world.job.bill()
    assert world.db.tables.overage_records == {}
    assert world.payments.charge_calls == []
    assert world.db.tables.billed_overage["c1"] == 750_000


async def test_a_week_below_the_minimum_charge_rolls_into_the_next() -> None:
    world = World()
    with_overage(world, 60_000)  # one minute: 30 cents
    await world.job.bill()
    assert world.db.tables.overage_records == {}
    assert world.db.tables.billed_overage.get("c1", 0) == 0
    # A week later one more minute makes 60 cents: billed together.
    world.metered_call(60_000, datetime(2026, 3, 18, tzinfo=UTC))
    world.clock.advance(timedelta(days=7))
    await world.job.bill()
    (row,) = world.db.tables.overage_records.values()
    assert row.record.amount_cents == 60
    assert world.payments.charged_cents == 60
