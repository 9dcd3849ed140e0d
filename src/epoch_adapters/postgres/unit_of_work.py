"""A unit of work: one connection, one transaction, every repository on it."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from epoch_adapters.postgres.accounts import (
    PostgresOrganizations,
    PostgresSessions,
    PostgresUsers,
)
from epoch_adapters.postgres.assistants import PostgresAssistants
from epoch_adapters.postgres.billing import PostgresBilling
from epoch_adapters.postgres.calls import (
    PostgresCalls,
    PostgresUsageCycles,
    PostgresWebhookEvents,
)
from epoch_adapters.postgres.credentials import (
    PostgresAuthTokens,
    PostgresCredentials,
    PostgresOrganizationDirectory,
)
from epoch_adapters.postgres.embed_tokens import PostgresEmbedTokens
from epoch_adapters.postgres.phone_numbers import PostgresPhoneNumberView


class PostgresUnitOfWork:
    """Rolls back unless `commit()` was called: leaving the block early, by an
    exception or a return, never half-writes."""

    def __init__(self, engine: AsyncEngine, new_id: Callable[[], str]) -> None:
        self._engine = engine
        self._new_id = new_id
        self._conn: AsyncConnection | None = None

    async def __aenter__(self) -> Self:
        conn = await self._engine.connect()
        await conn.begin()
        self._conn = conn
        self.organizations = PostgresOrganizations(conn)
        self.users = PostgresUsers(conn)
        self.sessions = PostgresSessions(conn)
        self.assistants = PostgresAssistants(conn)
        self.calls = PostgresCalls(conn, self._new_id)
        self.cycles = PostgresUsageCycles(conn)
        self.webhook_events = PostgresWebhookEvents(conn, self._new_id)
        self.billing = PostgresBilling(conn, self._new_id)
        self.auth_tokens = PostgresAuthTokens(conn)
        self.credentials = PostgresCredentials(conn)
        self.directory = PostgresOrganizationDirectory(conn)
        self.embed_tokens = PostgresEmbedTokens(conn)
        self.phone_numbers = PostgresPhoneNumberView(conn)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            if conn.in_transaction():
                await conn.rollback()
        finally:
            await conn.close()

    @property
    def connection(self) -> AsyncConnection:
        if self._conn is None:
            raise RuntimeError("the unit of work is not open")
        return self._conn

    async def commit(self) -> None:
        await self.connection.commit()
        # Later statements in the same block start a fresh transaction.
        await self.connection.begin()


def unit_of_work_factory(
    engine: AsyncEngine, new_id: Callable[[], str]
) -> Callable[[], PostgresUnitOfWork]:
    return lambda: PostgresUnitOfWork(engine, new_id)
