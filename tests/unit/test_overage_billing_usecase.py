"""The overage job against in-memory ports: whatever the call lengths, and
however often the job is killed between a charge and its record, every
organization is charged once per week and the cents charged over the weeks
add up to what is owed."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
from hypothesis import given, settings
from hypothesis import strategies as st

from epoch_domain.billing import (
    BillingCandidate,
    Charge,
    ChargeAttempt,
    ChargeOutcome,
    ChargeResult,
    PendingCharge,
)
from epoch_domain.overage import (
    MIN_CHARGE_CENTS,
    CycleOverage,
    OverageRecord,
    OverageStatus,
    overage_ms,
    owed_cents,
)
from epoch_domain.plans import Tier, plan_for
from epoch_domain.usecases.overage_billing import OverageBilling

STARTER = plan_for(Tier.STARTER)
MONDAY = datetime(2026, 3, 2, tzinfo=UTC)


@dataclass
class Db:
    orgs: dict[str, bool] = field(default_factory=dict)  # id -> overage enabled
    # cycle id -> (org id, included minutes, billed mark, [(metered_at, ms)])
    cycles: dict[str, tuple[str, int, int, list[tuple[datetime, int]]]] = field(
        default_factory=dict
    )
    records: dict[str, OverageRecord] = field(default_factory=dict)
    attempts: list[ChargeAttempt] = field(default_factory=list)


class FakeBilling:
    def __init__(self, db: Db) -> None:
        self.db = db

    async def lock_candidates(
        self, cut_off: datetime, after: str | None, limit: int
    ) -> Sequence[BillingCandidate]:
        found: dict[str, list[CycleOverage]] = {}
        for cycle_id, (org, included, billed, calls) in sorted(self.db.cycles.items()):
            used_now = sum(ms for _, ms in calls)
            if overage_ms(used_now, included) <= billed:
                continue
            if after is not None and org <= after:
                continue
            used = sum(ms for at, ms in calls if at < cut_off)
            found.setdefault(org, []).append(
                CycleOverage(cycle_id, included, used, billed)
            )
        orgs = sorted(found)[:limit]
        return [
            BillingCandidate(org, Tier.STARTER, self.db.orgs[org], found[org])
            for org in orgs
        ]

    async def insert_records(self, records: Sequence[OverageRecord]) -> set[str]:
        inserted = set()
        for record in records:
            taken = any(
                r.organization_id == record.organization_id and r.week == record.week
                for r in self.db.records.values()
            )
            if not taken:
                self.db.records[record.id] = record
                inserted.add(record.organization_id)
        return inserted

    async def mark_billed(self, marks: Mapping[str, int]) -> None:
        for cycle_id, mark in marks.items():
            org, included, _, calls = self.db.cycles[cycle_id]
            self.db.cycles[cycle_id] = (org, included, mark, calls)

    async def lock_pending(
        self, limit: int, exclude: Sequence[str] = ()
    ) -> Sequence[PendingCharge]:
        pending = [
            r
            for r in self.db.records.values()
            if r.status is OverageStatus.PENDING and r.id not in exclude
        ]
        return [PendingCharge(r, f"cus_{r.organization_id}") for r in pending[:limit]]

    async def finish_charges(
        self, attempts: Sequence[ChargeAttempt], now: datetime
    ) -> None:
        status = {
            ChargeOutcome.SUCCEEDED: OverageStatus.PAID,
            ChargeOutcome.DECLINED: OverageStatus.FAILED,
            ChargeOutcome.ERROR: OverageStatus.PENDING,
        }
        for attempt in attempts:
            self.db.attempts.append(attempt)
            record = self.db.records[attempt.record.id]
            self.db.records[record.id] = replace(
                record,
                status=status[attempt.result.outcome],
                next_attempt_at=attempt.next_attempt_at,
                payment_id=attempt.result.payment_id,
            )

    async def requeue_failed(self, now: datetime, limit: int) -> Sequence[str]:
        due = []
        for record in list(self.db.records.values()):
            ready = record.next_attempt_at is not None and record.next_attempt_at <= now
            if (
                record.status is OverageStatus.FAILED
                and ready
                and record.attempts < limit
            ):
                self.db.records[record.id] = replace(
                    record,
                    status=OverageStatus.PENDING,
                    attempts=record.attempts + 1,
                    next_attempt_at=None,
                )
                due.append(record.id)
        return due

    async def count_organizations(self) -> int:
        return len(self.db.orgs)


class FakeUnitOfWork:
    """Works on a copy; `commit` publishes it, leaving without one drops it."""

    def __init__(self, world: dict[str, Db]) -> None:
        self.world = world

    async def __aenter__(self) -> FakeUnitOfWork:
        self.billing = FakeBilling(copy.deepcopy(self.world["db"]))
        return self

    async def __aexit__(self, *_: Any) -> None:
        return None

    async def commit(self) -> None:
        self.world["db"] = copy.deepcopy(self.billing.db)


class Killed(BaseException):
    """The job's process dies."""


class FakeStripe:
    """One result per idempotency key, like Stripe; a decline or a kill is
    chosen by the call's number."""

    def __init__(self, kill_after: set[int], declines: set[int]) -> None:
        self.by_key: dict[str, ChargeResult] = {}
        self.amounts: dict[str, int] = {}
        self.calls = 0
        self.kill_after = kill_after
        self.declines = declines

    async def charge(self, charge: Charge) -> ChargeResult:
        self.calls += 1
        if charge.idempotency_key not in self.by_key:
            declined = self.calls in self.declines
            outcome = ChargeOutcome.DECLINED if declined else ChargeOutcome.SUCCEEDED
            self.by_key[charge.idempotency_key] = ChargeResult(
                outcome, f"pi_{len(self.by_key)}"
            )
            self.amounts[charge.idempotency_key] = charge.amount_cents
        if self.calls in self.kill_after:
            raise Killed()
        return self.by_key[charge.idempotency_key]


class Clock:
    def __init__(self, now: datetime) -> None:
        self.instant = now

    def now(self) -> datetime:
        return self.instant


class Ids:
    def __init__(self) -> None:
        self.n = 0

    def new_id(self) -> str:
        self.n += 1
        return f"id-{self.n:06d}"

    def token(self, prefix: str = "") -> str:
        return prefix + self.new_id()


async def _run_until_done(job: OverageBilling, retry: bool = False) -> None:
    for _ in range(200):
        try:
            await (job.retry() if retry else job.bill())
            return
        except Killed:
            continue
    raise AssertionError("the job never finished")


call_lengths = st.lists(st.integers(0, 3 * 3600 * 1000), max_size=6)


@settings(max_examples=60, deadline=None)
@given(
    weeks=st.lists(
        st.lists(call_lengths, min_size=1, max_size=3), min_size=1, max_size=3
    ),
    kills=st.sets(st.integers(1, 30), max_size=8),
    declines=st.sets(st.integers(1, 30), max_size=4),
)
def test_killed_and_declined_runs_still_charge_each_week_once(weeks, kills, declines):
    """`weeks[w][o]` are the calls of organization o in week w."""
    orgs = max(len(w) for w in weeks)
    world = {"db": Db()}
    for o in range(orgs):
        org = f"org-{o}"
        world["db"].orgs[org] = True
        world["db"].cycles[f"cyc-{o}"] = (org, STARTER.included_minutes, 0, [])
    # Each organization starts at its included minutes, so calls are overage.
    for o in range(orgs):
        org, inc, billed, calls = world["db"].cycles[f"cyc-{o}"]
        calls.append((MONDAY - timedelta(days=1), inc * 60_000))
    stripe = FakeStripe(kills, declines)
    ids = Ids()
    clock = Clock(MONDAY)
    job = OverageBilling(
        uow=lambda: FakeUnitOfWork(world),  # type: ignore[arg-type,return-value]
        clock=clock,
        payments=stripe,  # type: ignore[arg-type]
        secrets=ids,
    )
    for w, week_calls in enumerate(weeks):
        week_start = MONDAY + timedelta(weeks=w)
        for o, lengths in enumerate(week_calls):
            _, _, _, calls = world["db"].cycles[f"cyc-{o}"]
            for k, ms in enumerate(lengths):
                calls.append((week_start + timedelta(hours=k), ms))
        clock.instant = week_start + timedelta(days=7, hours=11)
        anyio.run(_run_until_done, job)
        # Retries until every declined week is paid or out of attempts.
        for _ in range(4):
            clock.instant += timedelta(days=3)
            anyio.run(_run_until_done, job, True)
        clock.instant = week_start + timedelta(days=7, hours=11)

    db = world["db"]
    for o in range(orgs):
        org = f"org-{o}"
        _, included, billed, calls = db.cycles[f"cyc-{o}"]
        records = [r for r in db.records.values() if r.organization_id == org]
        # One record per week at most.
        assert len({r.week for r in records}) == len(records)
        # Each record was charged successfully at most once (one key paid).
        for record in records:
            paid_keys = {
                a.key
                for a in db.attempts
                if a.record.id == record.id
                and a.result.outcome is ChargeOutcome.SUCCEEDED
            }
            assert len(paid_keys) <= 1
            assert (record.status is OverageStatus.PAID) == (len(paid_keys) == 1)
            for key in paid_keys:
                assert stripe.amounts[key] == record.amount_cents
            # And on the provider's side: at most one successful payment for
            # the week, whatever was killed and re-sent.
            provider_paid = [
                key
                for key, result in stripe.by_key.items()
                if key.startswith(record.idempotency_key)
                and result.outcome is ChargeOutcome.SUCCEEDED
            ]
            assert len(provider_paid) == (record.status is OverageStatus.PAID)
        # The cents on records telescope to what the billed mark owes.
        total = overage_ms(sum(ms for _, ms in calls), included)
        assert billed <= total
        assert sum(r.amount_cents for r in records) == owed_cents(billed, 40)
        # What is not on a record is only a carried sub-minimum remainder.
        assert owed_cents(total, 40) - owed_cents(billed, 40) < MIN_CHARGE_CENTS
