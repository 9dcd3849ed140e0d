"""Repository for embed tokens: digests and display prefixes, never raw tokens."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from epoch_adapters.postgres.tables import embed_tokens
from epoch_domain.integrations import EmbedToken


def _token_from(row: RowMapping) -> EmbedToken:
    return EmbedToken(
        id=row["id"],
        organization_id=row["organization_id"],
        label=row["label"],
        display_prefix=row["token_prefix"],
        allowed_domains=tuple(row["allowed_domains"]),
        created_at=row["created_at"],
        last_used_at=row["last_used_at"],
        revoked_at=row["revoked_at"],
    )


class PostgresEmbedTokens:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, token: EmbedToken, token_digest: str) -> None:
        await self._conn.execute(
            embed_tokens.insert().values(
                id=token.id,
                organization_id=token.organization_id,
                label=token.label,
                token_digest=token_digest,
                token_prefix=token.display_prefix,
                allowed_domains=list(token.allowed_domains),
                created_at=token.created_at,
                last_used_at=token.last_used_at,
                revoked_at=token.revoked_at,
            )
        )

    async def active(self, org_id: str) -> Sequence[EmbedToken]:
        query = (
            select(embed_tokens)
            .where(
                embed_tokens.c.organization_id == org_id,
                embed_tokens.c.revoked_at.is_(None),
            )
            .order_by(embed_tokens.c.created_at.desc(), embed_tokens.c.id.desc())
        )
        rows = (await self._conn.execute(query)).mappings()
        return [_token_from(r) for r in rows]

    async def by_digest(self, token_digest: str) -> EmbedToken | None:
        # The one look-up not scoped by organization: the presented token is
        # what names the organization.
        query = select(embed_tokens).where(embed_tokens.c.token_digest == token_digest)
        row = (await self._conn.execute(query)).mappings().first()
        return _token_from(row) if row else None

    async def revoke(self, org_id: str, token_id: str, now: datetime) -> bool:
        statement = (
            update(embed_tokens)
            .where(
                embed_tokens.c.id == token_id,
                embed_tokens.c.organization_id == org_id,
                embed_tokens.c.revoked_at.is_(None),
            )
            .values(revoked_at=now)
            .returning(embed_tokens.c.id)
        )
        return (await self._conn.execute(statement)).first() is not None

    async def touch(self, token_id: str, now: datetime) -> None:
        await self._conn.execute(
            update(embed_tokens)
            .where(embed_tokens.c.id == token_id)
            .values(last_used_at=now)
        )
