"""The billing-reset job: close every ended cycle and open the next one."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from epoch_domain.cycles import UsageCycle, next_cycle_bounds
from epoch_domain.plans import plan_for
from epoch_domain.ports import Clock, DueCycle, Secrets, UnitOfWork, UnitOfWorkFactory

# Cycles rolled per transaction: locks stay short, and ten thousand
# organizations still take only fifty transactions.
BATCH_SIZE = 200


@dataclass(slots=True)
class ResetCounts:
    reset: int = 0
    skipped: int = 0
    errors: int = 0
    failed_organizations: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {"reset": self.reset, "skipped": self.skipped, "errors": self.errors}


class ResetBillingCycles:
    """Safe to run twice or on two machines at once: due cycles are locked with
    SKIP LOCKED and re-checked inside the lock, so each is rolled once."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, secrets: Secrets) -> None:
        self._uow = uow
        self._clock = clock
        self._secrets = secrets

    async def run(self) -> ResetCounts:
        counts = ResetCounts()
        now = self._clock.now()
        # Counted first: the cycles this run opens are not "skipped" ones.
        async with self._uow() as uow:
            counts.skipped = await uow.cycles.count_not_due(now)
        while True:
            try:
                rolled = await self._roll_batch(now, counts.failed_organizations)
            except Exception:
                rolled = await self._roll_one_by_one(now, counts)
            counts.reset += rolled
            if rolled < BATCH_SIZE:
                break
        return counts

    async def _roll_batch(self, now: datetime, exclude: list[str]) -> int:
        async with self._uow() as uow:
            due = await uow.cycles.lock_due(now, BATCH_SIZE, exclude)
            for item in due:
                await self._roll(uow, item, now)
            await uow.commit()
        return len(due)

    async def _roll_one_by_one(self, now: datetime, counts: ResetCounts) -> int:
        rolled = 0
        while True:
            async with self._uow() as uow:
                due = await uow.cycles.lock_due(now, 1, counts.failed_organizations)
                if not due:
                    return rolled
                try:
                    await self._roll(uow, due[0], now)
                    await uow.commit()
                    rolled += 1
                except Exception:
                    counts.errors += 1
                    counts.failed_organizations.append(due[0].cycle.organization_id)

    async def _roll(self, uow: UnitOfWork, due: DueCycle, now: datetime) -> None:
        bounds = next_cycle_bounds(due.anchor, due.cycle, now)
        await uow.cycles.close(due.cycle.id, now)
        await uow.cycles.open(
            UsageCycle(
                id=self._secrets.new_id(),
                organization_id=due.cycle.organization_id,
                starts_at=bounds.starts_at,
                ends_at=bounds.ends_at,
                used_ms=0,
                included_minutes=plan_for(due.tier).included_minutes,
            )
        )
