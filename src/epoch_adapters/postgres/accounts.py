"""Repositories for organizations, users and login sessions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from epoch_adapters.postgres.tables import auth_sessions, organizations, users
from epoch_domain.accounts import Organization, User
from epoch_domain.errors import EmailTaken
from epoch_domain.plans import Tier
from epoch_domain.sessions import AuthSession


def organization_from(row: RowMapping) -> Organization:
    return Organization(
        id=row["id"],
        name=row["name"],
        tier=Tier[row["plan"]],
        created_at=row["created_at"],
        cycle_anchor=row["cycle_anchor"],
        phone_number=row["phone_number"],
        vapi_phone_number_id=row["vapi_phone_number_id"],
        overage_enabled=row["overage_enabled"],
    )


def user_from(row: RowMapping) -> User:
    return User(
        id=row["id"],
        organization_id=row["organization_id"],
        email=row["email"],
        name=row["name"],
        password_hash=row["password_hash"],
        must_change_password=row["must_change_password"],
        role=row["role"],
    )


class PostgresOrganizations:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, org: Organization) -> None:
        await self._conn.execute(
            organizations.insert().values(
                id=org.id,
                name=org.name,
                plan=org.tier.name,
                created_at=org.created_at,
                cycle_anchor=org.cycle_anchor,
                phone_number=org.phone_number,
                vapi_phone_number_id=org.vapi_phone_number_id,
                overage_enabled=org.overage_enabled,
            )
        )

    async def get(self, org_id: str) -> Organization | None:
        row = (
            (
                await self._conn.execute(
                    select(organizations).where(organizations.c.id == org_id)
                )
            )
            .mappings()
            .first()
        )
        return organization_from(row) if row else None

    async def lock(self, org_id: str) -> None:
        await self._conn.execute(
            select(organizations.c.id)
            .where(organizations.c.id == org_id)
            .with_for_update()
        )


class PostgresUsers:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, user: User) -> None:
        insert = users.insert().values(
            id=user.id,
            organization_id=user.organization_id,
            email=user.email,
            name=user.name,
            password_hash=user.password_hash,
            role=user.role,
            must_change_password=user.must_change_password,
            created_at=func.now(),
        )
        try:
            # A savepoint, so a lost race leaves the transaction usable.
            async with self._conn.begin_nested():
                await self._conn.execute(insert)
        except IntegrityError as error:
            # Two sign-ups with one email at the same instant both passed the
            # lookup; the unique index lets exactly one through.
            raise EmailTaken() from error

    async def get(self, user_id: str) -> User | None:
        row = (
            (await self._conn.execute(select(users).where(users.c.id == user_id)))
            .mappings()
            .first()
        )
        return user_from(row) if row else None

    async def by_email(self, email: str) -> User | None:
        row = (
            (await self._conn.execute(select(users).where(users.c.email == email)))
            .mappings()
            .first()
        )
        return user_from(row) if row else None


class PostgresSessions:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, session: AuthSession, token_digest: str) -> None:
        await self._conn.execute(
            auth_sessions.insert().values(
                id=session.id,
                token_digest=token_digest,
                user_id=session.user_id,
                organization_id=session.organization_id,
                created_at=session.created_at,
                last_seen_at=session.last_seen_at,
                expires_at=session.expires_at,
            )
        )

    async def by_digest(self, token_digest: str) -> AuthSession | None:
        row = (
            (
                await self._conn.execute(
                    select(auth_sessions).where(
                        auth_sessions.c.token_digest == token_digest
                    )
                )
            )
            .mappings()
            .first()
        )
        if row is None:
            return None
        return AuthSession(
            id=row["id"],
            user_id=row["user_id"],
            organization_id=row["organization_id"],
            created_at=row["created_at"],
            last_seen_at=row["last_seen_at"],
            expires_at=row["expires_at"],
            revoked_at=row["revoked_at"],
        )

    async def touch(self, session_id: str, now: datetime) -> None:
        await self._conn.execute(
            update(auth_sessions)
            .where(auth_sessions.c.id == session_id)
            .values(last_seen_at=now)
        )

    async def revoke(self, session_id: str, now: datetime) -> None:
        await self._conn.execute(
            update(auth_sessions)
            .where(
                auth_sessions.c.id == session_id, auth_sessions.c.revoked_at.is_(None)
            )
            .values(revoked_at=now)
        )

    async def revoke_all_for_user(
        self, user_id: str, now: datetime, keep: str | None = None
    ) -> int:
        query = update(auth_sessions).where(
            auth_sessions.c.user_id == user_id, auth_sessions.c.revoked_at.is_(None)
        )
        if keep is not None:
            query = query.where(auth_sessions.c.id != keep)
        result = await self._conn.execute(query.values(revoked_at=now))
        return result.rowcount
