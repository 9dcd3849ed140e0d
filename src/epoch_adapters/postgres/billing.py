"""The billing repository: subscription state on the organization row,
overage records, payment attempts and the cycles' billed marks."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from epoch_adapters.postgres.tables import (
    calls,
    organizations,
    overage_records,
    payment_attempts,
    usage_cycles,
    webhook_events,
)
from epoch_domain.billing import (
    BillingCandidate,
    ChargeAttempt,
    ChargeOutcome,
    PendingCharge,
    StoredEvent,
)
from epoch_domain.metering import MS_PER_MINUTE
from epoch_domain.overage import CycleOverage, OverageRecord, OverageStatus, Week
from epoch_domain.plans import Tier, plan_for
from epoch_domain.subscription import SubscriptionState

_OVERAGE = usage_cycles.c.used_ms - usage_cycles.c.included_minutes * MS_PER_MINUTE


def _uuid_or_none(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


def _record_from(row: Any) -> OverageRecord:
    return OverageRecord(
        id=row["id"],
        organization_id=row["organization_id"],
        week=Week(row["week_start"]),
        overage_ms=int(row["overage_ms"]),
        amount_cents=int(row["amount_cents"]),
        rate_cents_per_minute=row["rate_cents_per_minute"],
        status=OverageStatus(row["status"]),
        idempotency_key=row["idempotency_key"],
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
        last_error=row["last_error"],
        payment_id=row["payment_id"],
    )


class PostgresBilling:
    def __init__(self, conn: AsyncConnection, new_id: Callable[[], str]) -> None:
        self._conn = conn
        self._new_id = new_id

    # Subscription state ---------------------------------------------------

    async def subscription(
        self, org_id: str, lock: bool = False
    ) -> SubscriptionState | None:
        query = select(organizations).where(organizations.c.id == org_id)
        if lock:
            query = query.with_for_update()
        row = (await self._conn.execute(query)).mappings().first()
        if row is None:
            return None
        return SubscriptionState(
            tier=Tier[row["plan"]],
            status=row["subscription_status"],
            customer_id=row["stripe_customer_id"],
            subscription_id=row["stripe_subscription_id"],
            period_start=row["subscription_period_start"],
            period_end=row["subscription_period_end"],
            cancelled_at=row["cancelled_at"],
            cancel_effective_at=row["cancel_effective_at"],
            deletion_at=row["data_deletion_at"],
            last_event_at=row["stripe_event_at"],
        )

    async def save_subscription(self, org_id: str, state: SubscriptionState) -> None:
        old_plan = (
            await self._conn.execute(
                select(organizations.c.plan).where(organizations.c.id == org_id)
            )
        ).scalar_one()
        await self._conn.execute(
            update(organizations)
            .where(organizations.c.id == org_id)
            .values(
                plan=state.tier.name,
                subscription_status=state.status,
                stripe_customer_id=state.customer_id,
                stripe_subscription_id=state.subscription_id,
                subscription_period_start=state.period_start,
                subscription_period_end=state.period_end,
                cancelled_at=state.cancelled_at,
                cancel_effective_at=state.cancel_effective_at,
                data_deletion_at=state.deletion_at,
                stripe_event_at=state.last_event_at,
            )
        )
        if old_plan != state.tier.name:
            # The open cycle never shrinks mid-way: a downgrade applies from
            # the next cycle, an upgrade at once.
            included = plan_for(state.tier).included_minutes
            await self._conn.execute(
                update(usage_cycles)
                .where(
                    usage_cycles.c.organization_id == org_id,
                    usage_cycles.c.closed_at.is_(None),
                    usage_cycles.c.included_minutes < included,
                )
                .values(included_minutes=included)
            )

    async def organization_for_event(
        self,
        organization_ref: str | None,
        customer_id: str | None,
        subscription_id: str | None,
    ) -> str | None:
        conditions = []
        ref = _uuid_or_none(organization_ref)
        if ref:
            conditions.append(organizations.c.id == ref)
        if customer_id:
            conditions.append(organizations.c.stripe_customer_id == customer_id)
        if subscription_id:
            conditions.append(organizations.c.stripe_subscription_id == subscription_id)
        for condition in conditions:
            found = (
                await self._conn.execute(select(organizations.c.id).where(condition))
            ).scalar()
            if found is not None:
                return str(found)
        return None

    async def organization_with_customer(self, customer_id: str) -> str | None:
        found = (
            await self._conn.execute(
                select(organizations.c.id).where(
                    organizations.c.stripe_customer_id == customer_id
                )
            )
        ).scalar()
        return None if found is None else str(found)

    async def lock_event(self, event_id: str) -> StoredEvent | None:
        row = (
            await self._conn.execute(
                select(webhook_events.c.id, webhook_events.c.processed_at)
                .where(webhook_events.c.id == event_id)
                .with_for_update()
            )
        ).first()
        if row is None:
            return None
        return StoredEvent(str(row[0]), row[1] is not None)

    # What the organization sees -------------------------------------------

    async def records(self, org_id: str, limit: int) -> Sequence[OverageRecord]:
        rows = await self._conn.execute(
            select(overage_records)
            .where(overage_records.c.organization_id == org_id)
            .order_by(overage_records.c.week_start.desc())
            .limit(limit)
        )
        return [_record_from(r) for r in rows.mappings()]

    async def unbilled_cycles(
        self, org_id: str
    ) -> tuple[CycleOverage | None, Sequence[CycleOverage]]:
        rows = (
            await self._conn.execute(
                select(usage_cycles).where(
                    usage_cycles.c.organization_id == org_id,
                    (usage_cycles.c.closed_at.is_(None))
                    | (usage_cycles.c.billed_overage_ms < _OVERAGE),
                )
            )
        ).mappings()
        current = None
        unbilled = []
        for row in rows:
            cycle = CycleOverage(
                row["id"],
                row["included_minutes"],
                int(row["used_ms"]),
                int(row["billed_overage_ms"]),
            )
            if row["closed_at"] is None:
                current = cycle
            if cycle.unbilled_ms > 0:
                unbilled.append(cycle)
        return current, unbilled

    # The overage job --------------------------------------------------------

    async def lock_candidates(
        self, cut_off: datetime, after: str | None, limit: int
    ) -> Sequence[BillingCandidate]:
        """Two statements per batch: the organizations with unbilled overage
        (their cycle rows locked in id order), then the metered sum of each
        of those cycles' calls before the cut-off."""
        org_ids = (
            select(usage_cycles.c.organization_id)
            .where(usage_cycles.c.billed_overage_ms < _OVERAGE)
            .distinct()
            .order_by(usage_cycles.c.organization_id)
            .limit(limit)
        )
        if after is not None:
            org_ids = org_ids.where(usage_cycles.c.organization_id > after)
        locked = (
            select(
                usage_cycles.c.id,
                usage_cycles.c.organization_id,
                usage_cycles.c.included_minutes,
                usage_cycles.c.billed_overage_ms,
                organizations.c.plan,
                organizations.c.overage_enabled,
            )
            .join(organizations, organizations.c.id == usage_cycles.c.organization_id)
            .where(
                usage_cycles.c.organization_id.in_(org_ids.scalar_subquery()),
                usage_cycles.c.billed_overage_ms < _OVERAGE,
            )
            .order_by(usage_cycles.c.organization_id, usage_cycles.c.starts_at)
            .with_for_update(of=usage_cycles)
        )
        rows = list((await self._conn.execute(locked)).mappings())
        if not rows:
            return []
        sums = dict(
            (
                await self._conn.execute(
                    select(calls.c.cycle_id, func.sum(calls.c.metered_ms))
                    .where(
                        calls.c.cycle_id.in_([r["id"] for r in rows]),
                        calls.c.metered_at < cut_off,
                    )
                    .group_by(calls.c.cycle_id)
                )
            ).all()
        )
        cycles_by_org: dict[str, list[CycleOverage]] = {}
        facts: dict[str, tuple[Tier, bool]] = {}
        for row in rows:
            org_id = row["organization_id"]
            cycles_by_org.setdefault(org_id, []).append(
                CycleOverage(
                    row["id"],
                    row["included_minutes"],
                    int(sums.get(row["id"]) or 0),
                    int(row["billed_overage_ms"]),
                )
            )
            facts[org_id] = (Tier[row["plan"]], row["overage_enabled"])
        return [
            BillingCandidate(org_id, *facts[org_id], cycles)
            for org_id, cycles in cycles_by_org.items()
        ]

    async def insert_records(self, records: Sequence[OverageRecord]) -> set[str]:
        if not records:
            return set()
        rows = [
            {
                "id": r.id,
                "organization_id": r.organization_id,
                "week_start": r.week.start,
                "week_end": r.week.end,
                "overage_ms": r.overage_ms,
                "amount_cents": r.amount_cents,
                "rate_cents_per_minute": r.rate_cents_per_minute,
                "status": r.status.value,
                "idempotency_key": r.idempotency_key,
                "attempts": r.attempts,
            }
            for r in records
        ]
        # executemany: one cached statement, sent as batched VALUES.
        inserted = await self._conn.execute(
            insert(overage_records)
            .values(created_at=func.now(), updated_at=func.now())
            .on_conflict_do_nothing(index_elements=["organization_id", "week_start"])
            .returning(overage_records.c.organization_id),
            rows,
        )
        return {str(org_id) for org_id in inserted.scalars()}

    async def mark_billed(self, marks: Mapping[str, int]) -> None:
        if not marks:
            return
        await self._conn.execute(
            update(usage_cycles)
            .where(usage_cycles.c.id == bindparam("cycle"))
            .values(billed_overage_ms=bindparam("mark")),
            [{"cycle": cycle, "mark": mark} for cycle, mark in marks.items()],
        )

    async def lock_pending(
        self, limit: int, exclude: Sequence[str] = ()
    ) -> Sequence[PendingCharge]:
        query = (
            select(overage_records, organizations.c.stripe_customer_id)
            .join(
                organizations, organizations.c.id == overage_records.c.organization_id
            )
            .where(overage_records.c.status == OverageStatus.PENDING.value)
            .order_by(overage_records.c.created_at, overage_records.c.id)
            .limit(limit)
            .with_for_update(of=overage_records, skip_locked=True)
        )
        if exclude:
            query = query.where(overage_records.c.id.not_in(list(exclude)))
        rows = (await self._conn.execute(query)).mappings()
        return [PendingCharge(_record_from(r), r["stripe_customer_id"]) for r in rows]

    async def finish_charges(
        self, attempts: Sequence[ChargeAttempt], now: datetime
    ) -> None:
        if not attempts:
            return
        await self._conn.execute(
            insert(payment_attempts),
            [
                {
                    "id": self._new_id(),
                    "organization_id": a.record.organization_id,
                    "overage_record_id": a.record.id,
                    "attempt": a.record.attempts,
                    "idempotency_key": a.key,
                    "amount_cents": a.record.amount_cents,
                    "outcome": a.result.outcome.value,
                    "payment_id": a.result.payment_id,
                    "error": a.result.error,
                    "created_at": now,
                }
                for a in attempts
            ],
        )
        params = []
        for a in attempts:
            outcome = a.result.outcome
            status = {
                ChargeOutcome.SUCCEEDED: OverageStatus.PAID,
                ChargeOutcome.DECLINED: OverageStatus.FAILED,
                ChargeOutcome.ERROR: OverageStatus.PENDING,
            }[outcome]
            params.append(
                {
                    "record": a.record.id,
                    "status": status.value,
                    "payment": a.result.payment_id,
                    "error": a.result.error,
                    "next_at": a.next_attempt_at,
                    "paid_at": now if status is OverageStatus.PAID else None,
                }
            )
        await self._conn.execute(
            update(overage_records)
            .where(overage_records.c.id == bindparam("record"))
            .values(
                status=bindparam("status"),
                payment_id=func.coalesce(
                    bindparam("payment"), overage_records.c.payment_id
                ),
                last_error=bindparam("error"),
                next_attempt_at=bindparam("next_at"),
                paid_at=bindparam("paid_at"),
                updated_at=now,
            ),
            params,
        )

    async def requeue_failed(self, now: datetime, limit: int) -> Sequence[str]:
        due = (
            select(overage_records.c.id)
            .where(
                overage_records.c.status == OverageStatus.FAILED.value,
                overage_records.c.next_attempt_at <= now,
                overage_records.c.attempts < limit,
            )
            .with_for_update(skip_locked=True)
        )
        rows = await self._conn.execute(
            update(overage_records)
            .where(overage_records.c.id.in_(due.scalar_subquery()))
            .values(
                status=OverageStatus.PENDING.value,
                attempts=overage_records.c.attempts + 1,
                next_attempt_at=None,
                updated_at=now,
            )
            .returning(overage_records.c.id)
        )
        return [str(r) for r in rows.scalars()]

    async def count_organizations(self) -> int:
        return int(
            (
                await self._conn.execute(
                    select(func.count()).select_from(organizations)
                )
            ).scalar_one()
        )
