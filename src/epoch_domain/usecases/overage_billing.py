"""The two money jobs: weekly overage billing and the daily payment retry.

Exactly once, in three steps per organization and week:

1. record: under the cycles' row locks, compute the week's bill and insert its
   record (PENDING, unique per organization and week, idempotency key derived
   from both) together with the cycles' billed marks, in one transaction;
2. charge: lock PENDING records (SKIP LOCKED, so a concurrent run takes
   others) and charge each with its key;
3. mark the record PAID or FAILED and record the try, in the same transaction
   as the lock.

A run killed between 2 and 3 leaves the record PENDING: the next run charges
again with the same key and the provider answers with the first result. An
unknown outcome (timeout, provider error) also keeps the record PENDING with
its key; only a definite decline makes it FAILED, and a later retry is a new
payment with its own key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from epoch_domain.billing import (
    BillingCandidate,
    Charge,
    ChargeAttempt,
    ChargeOutcome,
    ChargeResult,
    PendingCharge,
)
from epoch_domain.overage import (
    MAX_ATTEMPTS,
    OverageRecord,
    OverageStatus,
    Week,
    bill_week,
    idempotency_key,
    last_complete_week,
    next_attempt_after,
)
from epoch_domain.plans import plan_for
from epoch_domain.ports import Clock, Payments, Secrets, UnitOfWorkFactory

# Organizations recorded per transaction, and charges per transaction.
RECORD_BATCH = 200
CHARGE_BATCH = 20


@dataclass(slots=True)
class BillingCounts:
    billed: int = 0
    skipped: int = 0
    errors: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"billed": self.billed, "skipped": self.skipped, "errors": self.errors}


@dataclass(slots=True)
class RetryCounts:
    retried: int = 0
    succeeded: int = 0
    failed: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "retried": self.retried,
            "succeeded": self.succeeded,
            "failed": self.failed,
        }


@dataclass(slots=True)
class _ChargeRun:
    attempts: list[ChargeAttempt] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)


class OverageBilling:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        payments: Payments,
        secrets: Secrets,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._payments = payments
        self._secrets = secrets

    async def bill(self) -> BillingCounts:
        """Bill the last complete week's overage of every organization."""
        now = self._clock.now()
        week = last_complete_week(now)
        counts = BillingCounts()
        cursor: str | None = None
        while True:
            try:
                batch = await self._record_batch(week, cursor, RECORD_BATCH)
            except Exception:
                batch, failed = await self._record_one_by_one(week, cursor)
                counts.errors += failed
            if not batch:
                break
            cursor = batch[-1]
            if len(batch) < RECORD_BATCH:
                break
        run = await self._charge_pending(now)
        for attempt in run.attempts:
            if attempt.result.outcome is ChargeOutcome.SUCCEEDED:
                counts.billed += 1
            else:
                counts.errors += 1
        async with self._uow() as uow:
            total = await uow.billing.count_organizations()
        counts.skipped = max(total - counts.billed - counts.errors, 0)
        return counts

    async def retry(self) -> RetryCounts:
        """Try declined charges again once their spacing has passed."""
        now = self._clock.now()
        async with self._uow() as uow:
            await uow.billing.requeue_failed(now, MAX_ATTEMPTS)
            await uow.commit()
        run = await self._charge_pending(now)
        counts = RetryCounts(retried=len(run.attempts))
        for attempt in run.attempts:
            if attempt.result.outcome is ChargeOutcome.SUCCEEDED:
                counts.succeeded += 1
            else:
                counts.failed += 1
        return counts

    async def _record_batch(
        self, week: Week, cursor: str | None, limit: int
    ) -> list[str]:
        """Record one batch; returns the organization ids it went through."""
        async with self._uow() as uow:
            candidates = await uow.billing.lock_candidates(week.ends_at, cursor, limit)
            records, marks_by_org, waived = self._bills(week, candidates)
            inserted = await uow.billing.insert_records(records)
            marks = dict(waived)
            for org_id in inserted:
                marks.update(marks_by_org[org_id])
            await uow.billing.mark_billed(marks)
            await uow.commit()
        return [c.organization_id for c in candidates]

    async def _record_one_by_one(
        self, week: Week, cursor: str | None
    ) -> tuple[list[str], int]:
        """After a failed batch: the same organizations one at a time, so one
        organization's trouble does not stop the others."""
        seen: list[str] = []
        failed = 0
        for _ in range(RECORD_BATCH):
            try:
                done = await self._record_batch(week, cursor, 1)
            except Exception:
                failed += 1
                skipped = await self._next_candidate(week, cursor)
                if skipped is None:
                    break
                done = [skipped]
            if not done:
                break
            cursor = done[-1]
            seen.extend(done)
        return seen, failed

    async def _next_candidate(self, week: Week, cursor: str | None) -> str | None:
        async with self._uow() as uow:
            found = await uow.billing.lock_candidates(week.ends_at, cursor, 1)
        return found[0].organization_id if found else None

    def _bills(
        self, week: Week, candidates: Sequence[BillingCandidate]
    ) -> tuple[list[OverageRecord], dict[str, dict[str, int]], dict[str, int]]:
        records: list[OverageRecord] = []
        marks_by_org: dict[str, dict[str, int]] = {}
        waived: dict[str, int] = {}
        for candidate in candidates:
            plan = plan_for(candidate.tier)
            enabled = candidate.overage_enabled and plan.overage_allowed
            bill = bill_week(
                week, candidate.cycles, plan.overage_cents_per_minute, enabled
            )
            if bill.waived:
                waived.update(bill.billed_through)
                continue
            if not bill.chargeable:
                continue
            records.append(
                OverageRecord(
                    id=self._secrets.new_id(),
                    organization_id=candidate.organization_id,
                    week=week,
                    overage_ms=bill.overage_ms,
                    amount_cents=bill.amount_cents,
                    rate_cents_per_minute=bill.rate_cents_per_minute,
                    status=OverageStatus.PENDING,
                    idempotency_key=idempotency_key(candidate.organization_id, week),
                    attempts=1,
                )
            )
            marks_by_org[candidate.organization_id] = dict(bill.billed_through)
        return records, marks_by_org, waived

    async def _charge_pending(self, now: datetime) -> _ChargeRun:
        run = _ChargeRun()
        while True:
            async with self._uow() as uow:
                pending = await uow.billing.lock_pending(CHARGE_BATCH, run.broken)
                if not pending:
                    return run
                attempts = [await self._try(item, now) for item in pending]
                await uow.billing.finish_charges(attempts, now)
                await uow.commit()
            for attempt in attempts:
                run.attempts.append(attempt)
                if attempt.result.outcome is ChargeOutcome.ERROR:
                    # Still PENDING with the same key: the next run sends it
                    # again; this run leaves it alone.
                    run.broken.append(attempt.record.id)

    async def _try(self, item: PendingCharge, now: datetime) -> ChargeAttempt:
        record = item.record
        key = record.charge_key
        if item.customer_id is None:
            result = ChargeResult(
                ChargeOutcome.DECLINED, error="no payment method on file"
            )
        else:
            try:
                result = await self._payments.charge(
                    Charge(
                        organization_id=record.organization_id,
                        customer_id=item.customer_id,
                        amount_cents=record.amount_cents,
                        idempotency_key=key,
                        description=(
                            f"Overage {record.week.start.isoformat()} to "
                            f"{record.week.end.isoformat()}"
                        ),
                        metadata={
                            "organization_id": record.organization_id,
                            "overage_record_id": record.id,
                            "week_start": record.week.start.isoformat(),
                        },
                    )
                )
            except Exception as err:
                result = ChargeResult(ChargeOutcome.ERROR, error=type(err).__name__)
        next_at = None
        if result.outcome is ChargeOutcome.DECLINED:
            next_at = next_attempt_after(record.attempts, now)
        return ChargeAttempt(record, key, result, next_at)
