"""Repositories for mailed one-time tokens, password changes and the admin's
directory of organizations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Text, cast, func, or_, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from epoch_adapters.postgres.accounts import organization_from, user_from
from epoch_adapters.postgres.tables import (
    auth_tokens,
    organizations,
    usage_cycles,
    users,
)
from epoch_domain.accounts import User
from epoch_domain.auth_tokens import AuthToken, TokenKind
from epoch_domain.plans import Tier
from epoch_domain.ports import OrganizationSummary


def _token_from(row: RowMapping) -> AuthToken:
    return AuthToken(
        id=row["id"],
        kind=TokenKind(row["kind"]),
        user_id=row["user_id"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        used_at=row["used_at"],
    )


class PostgresAuthTokens:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, token: AuthToken, token_digest: str) -> None:
        await self._conn.execute(
            auth_tokens.insert().values(
                id=token.id,
                kind=token.kind.value,
                token_digest=token_digest,
                user_id=token.user_id,
                created_at=token.created_at,
                expires_at=token.expires_at,
            )
        )

    async def lock_by_digest(self, token_digest: str) -> AuthToken | None:
        row = (
            (
                await self._conn.execute(
                    select(auth_tokens)
                    .where(auth_tokens.c.token_digest == token_digest)
                    .with_for_update()
                )
            )
            .mappings()
            .first()
        )
        return _token_from(row) if row else None

    async def mark_used(self, token_id: str, now: datetime) -> None:
        await self._conn.execute(
            update(auth_tokens)
            .where(auth_tokens.c.id == token_id, auth_tokens.c.used_at.is_(None))
            .values(used_at=now)
        )

    async def spend_unused(
        self, user_id: str, now: datetime, kind: TokenKind | None = None
    ) -> int:
        query = update(auth_tokens).where(
            auth_tokens.c.user_id == user_id, auth_tokens.c.used_at.is_(None)
        )
        if kind is not None:
            query = query.where(auth_tokens.c.kind == kind.value)
        result = await self._conn.execute(query.values(used_at=now))
        return result.rowcount


class PostgresCredentials:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def set_password(
        self, user_id: str, password_hash: str, now: datetime
    ) -> None:
        await self._conn.execute(
            update(users)
            .where(users.c.id == user_id)
            .values(
                password_hash=password_hash,
                must_change_password=False,
                password_changed_at=now,
            )
        )

    async def require_change(self, user_id: str) -> bool:
        result = await self._conn.execute(
            update(users).where(users.c.id == user_id).values(must_change_password=True)
        )
        return result.rowcount == 1


class PostgresOrganizationDirectory:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def search(
        self, query: str | None, limit: int, offset: int
    ) -> tuple[Sequence[OrganizationSummary], int]:
        member_count = (
            select(func.count())
            .select_from(users)
            .where(users.c.organization_id == organizations.c.id)
            .scalar_subquery()
        )
        condition = None
        if query is not None:
            pattern = "%" + _escape_like(query) + "%"
            by_member = (
                select(users.c.id)
                .where(
                    users.c.organization_id == organizations.c.id,
                    users.c.email.ilike(pattern, escape="\\"),
                )
                .exists()
            )
            condition = or_(
                organizations.c.name.ilike(pattern, escape="\\"),
                cast(organizations.c.id, Text) == query,
                by_member,
            )
        page = select(organizations, member_count.label("user_count"))
        total = select(func.count()).select_from(organizations)
        if condition is not None:
            page = page.where(condition)
            total = total.where(condition)
        page = (
            page.order_by(organizations.c.created_at.desc(), organizations.c.id)
            .limit(limit)
            .offset(offset)
        )
        rows = (await self._conn.execute(page)).mappings().all()
        count = (await self._conn.execute(total)).scalar_one()
        return (
            [OrganizationSummary(organization_from(r), r["user_count"]) for r in rows],
            count,
        )

    async def members(self, org_id: str) -> Sequence[User]:
        rows = (
            (
                await self._conn.execute(
                    select(users)
                    .where(users.c.organization_id == org_id)
                    .order_by(users.c.created_at, users.c.id)
                )
            )
            .mappings()
            .all()
        )
        return [user_from(r) for r in rows]

    async def set_tier(self, org_id: str, tier: Tier, included_minutes: int) -> bool:
        result = await self._conn.execute(
            update(organizations)
            .where(organizations.c.id == org_id)
            .values(plan=tier.name)
        )
        if result.rowcount != 1:
            return False
        await self._conn.execute(
            update(usage_cycles)
            .where(
                usage_cycles.c.organization_id == org_id,
                usage_cycles.c.closed_at.is_(None),
            )
            .values(included_minutes=included_minutes)
        )
        return True


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
