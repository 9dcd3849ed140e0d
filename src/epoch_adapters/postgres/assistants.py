"""Repository for registered assistants."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from epoch_adapters.postgres.tables import assistants, calls, organizations
from epoch_domain.assistants import Assistant, AssistantStatus
from epoch_domain.errors import AssistantAlreadyRegistered


class PostgresAssistants:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, assistant: Assistant) -> None:
        insert = assistants.insert().values(
            id=assistant.id,
            organization_id=assistant.organization_id,
            vapi_assistant_id=assistant.vapi_assistant_id,
            name=assistant.name,
            status=assistant.status.value,
            created_at=assistant.created_at,
        )
        try:
            async with self._conn.begin_nested():
                await self._conn.execute(insert)
        except IntegrityError as error:
            # Another organization registered the same VAPI id concurrently.
            raise AssistantAlreadyRegistered(assistant.vapi_assistant_id) from error

    def _with_counts(self, org_id: str):  # type: ignore[no-untyped-def]
        counts = (
            select(calls.c.assistant_id, func.count().label("n"))
            .where(calls.c.organization_id == org_id)
            .group_by(calls.c.assistant_id)
            .subquery()
        )
        return (
            select(assistants, func.coalesce(counts.c.n, 0).label("call_count"))
            .outerjoin(counts, counts.c.assistant_id == assistants.c.id)
            .where(assistants.c.organization_id == org_id)
            .order_by(assistants.c.created_at, assistants.c.id)
        )

    async def list_with_call_counts(self, org_id: str) -> Sequence[Assistant]:
        rows = (await self._conn.execute(self._with_counts(org_id))).mappings()
        return [_assistant_from(r) for r in rows]

    async def get(self, org_id: str, assistant_id: str) -> Assistant | None:
        query = self._with_counts(org_id).where(assistants.c.id == assistant_id)
        row = (await self._conn.execute(query)).mappings().first()
        return _assistant_from(row) if row else None

    async def count(self, org_id: str) -> int:
        query = select(func.count()).where(assistants.c.organization_id == org_id)
        return int((await self._conn.execute(query)).scalar_one())

    async def exists_platform_id(self, vapi_assistant_id: str) -> bool:
        query = select(assistants.c.id).where(
            assistants.c.vapi_assistant_id == vapi_assistant_id
        )
        return (await self._conn.execute(query)).first() is not None

    async def rename(self, org_id: str, assistant_id: str, name: str) -> bool:
        result = await self._conn.execute(
            update(assistants)
            .where(
                assistants.c.id == assistant_id,
                assistants.c.organization_id == org_id,
            )
            .values(name=name)
        )
        return result.rowcount == 1

    async def delete(self, org_id: str, assistant_id: str) -> bool:
        result = await self._conn.execute(
            delete(assistants).where(
                assistants.c.id == assistant_id,
                assistants.c.organization_id == org_id,
            )
        )
        return result.rowcount == 1

    async def organization_for(
        self, vapi_assistant_id: str | None, vapi_phone_number_id: str | None
    ) -> tuple[str, str | None] | None:
        if vapi_assistant_id:
            row = (
                await self._conn.execute(
                    select(assistants.c.organization_id, assistants.c.id).where(
                        assistants.c.vapi_assistant_id == vapi_assistant_id
                    )
                )
            ).first()
            if row is not None:
                return row[0], row[1]
        if vapi_phone_number_id:
            org_id = (
                await self._conn.execute(
                    select(organizations.c.id).where(
                        organizations.c.vapi_phone_number_id == vapi_phone_number_id
                    )
                )
            ).scalar()
            if org_id is not None:
                return org_id, None
        return None


def _assistant_from(row) -> Assistant:  # type: ignore[no-untyped-def]
    return Assistant(
        id=row["id"],
        organization_id=row["organization_id"],
        vapi_assistant_id=row["vapi_assistant_id"],
        name=row["name"],
        status=AssistantStatus(row["status"]),
        created_at=row["created_at"],
        call_count=int(row["call_count"]),
    )
