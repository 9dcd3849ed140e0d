"""Repositories for calls, usage cycles and stored webhook events."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, literal_column, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from epoch_adapters.postgres.tables import (
    calls,
    organizations,
    usage_cycles,
    webhook_events,
)
from epoch_adapters.postgres.text import storable
from epoch_domain.calls import Call, CallStatus
from epoch_domain.cycles import UsageCycle
from epoch_domain.plans import Tier
from epoch_domain.ports import DueCycle, LockedCall


def _call_from(row: Any) -> Call:
    return Call(
        id=row["id"],
        organization_id=row["organization_id"],
        platform_call_id=row["vapi_call_id"],
        status=CallStatus(row["status"]),
        started_at=row["started_at"],
        ended_at=row["ended_at"],
        duration_ms=row["duration_ms"],
        ended_reason=row["ended_reason"],
        customer_number=row["customer_number"],
        transcript=row["transcript"],
        summary=row["summary"],
        recording_url=row["recording_url"],
        assistant_id=row["assistant_id"],
        call_type=row["call_type"],
    )


class PostgresCalls:
    def __init__(self, conn: AsyncConnection, new_id: Any) -> None:
        self._conn = conn
        self._new_id = new_id

    async def lock_or_create(
        self,
        platform_call_id: str,
        organization_id: str | None,
        assistant_id: str | None,
        now: datetime,
    ) -> LockedCall:
        # Insert-or-nothing, then lock: concurrent deliveries of one call all
        # end up waiting on the same row instead of racing to create it.
        await self._conn.execute(
            insert(calls)
            .values(
                id=self._new_id(),
                vapi_call_id=platform_call_id,
                organization_id=organization_id,
                assistant_id=assistant_id,
                status=CallStatus.QUEUED.value,
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=["vapi_call_id"])
        )
        row = (
            (
                await self._conn.execute(
                    select(calls)
                    .where(calls.c.vapi_call_id == platform_call_id)
                    .with_for_update()
                )
            )
            .mappings()
            .one()
        )
        if row["organization_id"] is None and organization_id is not None:
            # The assistant was registered after the call's first event.
            await self._conn.execute(
                update(calls)
                .where(calls.c.id == row["id"])
                .values(organization_id=organization_id, assistant_id=assistant_id)
            )
            row = {
                **row,
                "organization_id": organization_id,
                "assistant_id": assistant_id,
            }
        return LockedCall(_call_from(row), row["metered_ms"])

    async def save(self, call: Call, now: datetime) -> None:
        await self._conn.execute(
            update(calls)
            .where(calls.c.id == call.id)
            .values(
                status=call.status.value,
                call_type=call.call_type,
                started_at=call.started_at,
                ended_at=call.ended_at,
                duration_ms=call.duration_ms,
                ended_reason=call.ended_reason,
                customer_number=call.customer_number,
                transcript=call.transcript,
                summary=call.summary,
                recording_url=call.recording_url,
                updated_at=now,
            )
        )

    async def mark_metered(
        self, call_id: str, ms: int, cycle_id: str, now: datetime
    ) -> None:
        await self._conn.execute(
            update(calls)
            .where(calls.c.id == call_id)
            .values(metered_ms=ms, metered_at=now, cycle_id=cycle_id)
        )

    async def get(self, org_id: str, call_id: str) -> Call | None:
        row = (
            (
                await self._conn.execute(
                    select(calls).where(
                        calls.c.id == call_id, calls.c.organization_id == org_id
                    )
                )
            )
            .mappings()
            .first()
        )
        return _call_from(row) if row else None

    async def recent(self, org_id: str, limit: int) -> Sequence[Call]:
        rows = await self._conn.execute(
            select(calls)
            .where(calls.c.organization_id == org_id)
            .order_by(calls.c.created_at.desc(), calls.c.id)
            .limit(limit)
        )
        return [_call_from(r) for r in rows.mappings()]

    async def daily_minutes(
        self, org_id: str, since: datetime
    ) -> Sequence[tuple[date, int, int]]:
        moment = func.coalesce(calls.c.ended_at, calls.c.started_at, calls.c.created_at)
        day = func.date(func.timezone("UTC", moment)).label("day")
        rows = await self._conn.execute(
            select(day, func.count(), func.coalesce(func.sum(calls.c.metered_ms), 0))
            .where(calls.c.organization_id == org_id, moment >= since)
            .group_by(literal_column("day"))
            .order_by(literal_column("day"))
        )
        return [(r[0], int(r[1]), int(r[2])) for r in rows]


def _cycle_from(row: Any) -> UsageCycle:
    return UsageCycle(
        id=row["id"],
        organization_id=row["organization_id"],
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        used_ms=int(row["used_ms"]),
        included_minutes=row["included_minutes"],
        closed_at=row["closed_at"],
    )


class PostgresUsageCycles:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def open(self, cycle: UsageCycle) -> bool:
        result = await self._conn.execute(
            insert(usage_cycles)
            .values(
                id=cycle.id,
                organization_id=cycle.organization_id,
                starts_at=cycle.starts_at,
                ends_at=cycle.ends_at,
                used_ms=cycle.used_ms,
                included_minutes=cycle.included_minutes,
            )
            .on_conflict_do_nothing()
        )
        return result.rowcount == 1

    async def current(self, org_id: str) -> UsageCycle | None:
        row = (
            (
                await self._conn.execute(
                    select(usage_cycles).where(
                        usage_cycles.c.organization_id == org_id,
                        usage_cycles.c.closed_at.is_(None),
                    )
                )
            )
            .mappings()
            .first()
        )
        return _cycle_from(row) if row else None

    async def add_usage(self, org_id: str, ms: int) -> str | None:
        query = (
            update(usage_cycles)
            .where(
                usage_cycles.c.organization_id == org_id,
                usage_cycles.c.closed_at.is_(None),
            )
            .values(used_ms=usage_cycles.c.used_ms + ms)
            .returning(usage_cycles.c.id)
        )
        # If a reset closes the open cycle while this update waits on its lock,
        # PostgreSQL re-checks the row, finds it closed and updates nothing. A
        # second statement takes a new snapshot and finds the new open cycle.
        for _ in range(3):
            cycle_id = (await self._conn.execute(query)).scalar()
            if cycle_id is not None:
                return str(cycle_id)
        return None

    async def lock_due(
        self, now: datetime, limit: int, exclude: Sequence[str] = ()
    ) -> Sequence[DueCycle]:
        query = (
            select(usage_cycles, organizations.c.cycle_anchor, organizations.c.plan)
            .join(organizations, organizations.c.id == usage_cycles.c.organization_id)
            .where(usage_cycles.c.closed_at.is_(None), usage_cycles.c.ends_at <= now)
            .order_by(usage_cycles.c.ends_at)
            .limit(limit)
            .with_for_update(of=usage_cycles, skip_locked=True)
        )
        if exclude:
            query = query.where(usage_cycles.c.organization_id.not_in(list(exclude)))
        rows = (await self._conn.execute(query)).mappings()
        return [
            DueCycle(_cycle_from(r), r["cycle_anchor"], Tier[r["plan"]]) for r in rows
        ]

    async def count_not_due(self, now: datetime) -> int:
        query = select(func.count()).where(
            usage_cycles.c.closed_at.is_(None), usage_cycles.c.ends_at > now
        )
        return int((await self._conn.execute(query)).scalar_one())

    async def close(self, cycle_id: str, now: datetime) -> None:
        await self._conn.execute(
            update(usage_cycles)
            .where(usage_cycles.c.id == cycle_id)
            .values(closed_at=now)
        )


class PostgresWebhookEvents:
    def __init__(self, conn: AsyncConnection, new_id: Any) -> None:
        self._conn = conn
        self._new_id = new_id

    async def store(
        self,
        provider: str,
        event_type: str,
        payload: Mapping[str, Any],
        external_id: str | None,
        now: datetime,
    ) -> tuple[str, bool]:
        external_id = storable(external_id)
        event_id = self._new_id()
        inserted = (
            await self._conn.execute(
                insert(webhook_events)
                .values(
                    id=event_id,
                    provider=provider,
                    event_type=storable(event_type),
                    external_id=external_id,
                    payload=storable(payload),
                    received_at=now,
                )
                .on_conflict_do_nothing()
                .returning(webhook_events.c.id)
            )
        ).scalar()
        if inserted is not None:
            return str(inserted), True
        existing = (
            await self._conn.execute(
                select(webhook_events.c.id).where(
                    webhook_events.c.provider == provider,
                    webhook_events.c.external_id == external_id,
                )
            )
        ).scalar_one()
        return str(existing), False

    async def mark_processed(
        self, event_id: str, now: datetime, error: str | None = None
    ) -> None:
        await self._conn.execute(
            update(webhook_events)
            .where(webhook_events.c.id == event_id)
            .values(processed_at=now, error=error)
        )
