"""Hand-written in-memory fakes of every port in `epoch_domain.ports`.

They keep the semantics the Postgres adapters promise where a use case can
notice them: unique keys refuse duplicates, reads are scoped by organization,
and a unit of work left without `commit()` leaves the database as it found it.
Row locks are recorded, not enforced: one event loop runs one use case step at
a time, and concurrency itself is tested against the real database.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from epoch_domain import ports
from epoch_domain.accounts import Organization, User
from epoch_domain.assistants import Assistant
from epoch_domain.calls import Call, CallStatus
from epoch_domain.cycles import UsageCycle
from epoch_domain.ports import (
    DueCycle,
    LockedCall,
    MailDeliveryFailed,
    OutgoingMail,
)
from epoch_domain.sessions import AuthSession

# ---------------------------------------------------------------- small ports


class FakeClock:
    """A clock that stands still until a test moves it."""

    def __init__(self, now: datetime | None = None) -> None:
        self._now = now or datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, now: datetime) -> None:
        self._now = now

    def advance(self, by: timedelta) -> None:
        self._now += by


class FakeSecrets:
    """Deterministic ids and tokens: `id-1`, `id-2`, ... and tokens of 43
    URL-safe characters derived from a counter, so two runs agree."""

    def __init__(self, seed: str = "seed") -> None:
        self._seed = seed
        self._ids = 0
        self._tokens = 0
        self.issued_tokens: list[str] = []

    def new_id(self) -> str:
        self._ids += 1
        return f"id-{self._ids}"

    def token(self, prefix: str = "") -> str:
        self._tokens += 1
        digest = hashlib.sha256(f"{self._seed}:{self._tokens}".encode()).digest()
        token = prefix + base64.urlsafe_b64encode(digest).decode().rstrip("=")
        self.issued_tokens.append(token)
        return token


class FakePasswordHasher:
    """Reversible on purpose (`hashed:<password>`), and counts its work so a
    test can see that both login paths verify a hash."""

    def __init__(self) -> None:
        self.hashed = 0
        self.verified = 0

    async def hash(self, password: str) -> str:
        self.hashed += 1
        return f"hashed:{password}"

    async def verify(self, password_hash: str, password: str) -> bool:
        self.verified += 1
        return password_hash == f"hashed:{password}"


class FakeMailer:
    """Records what it sends; with `failing=True` it refuses every message."""

    def __init__(self, failing: bool = False) -> None:
        self.failing = failing
        self.sent: list[OutgoingMail] = []
        self.refused: list[OutgoingMail] = []

    async def send(self, mail: OutgoingMail) -> None:
        if self.failing:
            self.refused.append(mail)
            raise MailDeliveryFailed("the fake mail server refuses")
        self.sent.append(mail)


# ---------------------------------------------------------------- the database


class FakeIntegrityError(Exception):
    """What the database raises on a duplicate unique key."""


@dataclass(frozen=True, slots=True)
class CallRow:
    call: Call
    created_at: datetime
    metered_ms: int | None = None
    metered_at: datetime | None = None
    cycle_id: str | None = None


@dataclass(frozen=True, slots=True)
class SessionRow:
    session: AuthSession
    token_digest: str


@dataclass(frozen=True, slots=True)
class WebhookEventRow:
    id: str
    provider: str
    event_type: str
    external_id: str | None
    payload: Mapping[str, Any]
    received_at: datetime
    processed_at: datetime | None = None
    error: str | None = None


@dataclass(slots=True)
class Tables:
    organizations: dict[str, Organization] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    sessions: dict[str, SessionRow] = field(default_factory=dict)
    assistants: dict[str, Assistant] = field(default_factory=dict)
    calls: dict[str, CallRow] = field(default_factory=dict)
    cycles: dict[str, UsageCycle] = field(default_factory=dict)
    webhook_events: dict[str, WebhookEventRow] = field(default_factory=dict)

    def copy(self) -> Tables:
        # Rows are frozen dataclasses, so copying the dicts copies the state.
        return Tables(
            dict(self.organizations),
            dict(self.users),
            dict(self.sessions),
            dict(self.assistants),
            dict(self.calls),
            dict(self.cycles),
            dict(self.webhook_events),
        )


class FakeDatabase:
    """The committed state, shared by every unit of work a factory opens."""

    def __init__(self, new_id: Callable[[], str] | None = None) -> None:
        self.tables = Tables()
        self.commits = 0
        self.rollbacks = 0
        self.locked_organizations: list[str] = []
        # Organizations whose next cycle cannot be opened (a broken row).
        self.broken_cycle_open: set[str] = set()
        counter = iter(range(1, 1_000_000))
        self._new_id = new_id or (lambda: f"row-{next(counter)}")

    def new_id(self) -> str:
        return self._new_id()

    def unit_of_work(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self)

    # What tests look at: the committed state only.

    def cycles_of(self, org_id: str) -> list[UsageCycle]:
        mine = [c for c in self.tables.cycles.values() if c.organization_id == org_id]
        return sorted(mine, key=lambda c: c.starts_at)

    def call_row(self, platform_call_id: str) -> CallRow | None:
        return next(
            (
                r
                for r in self.tables.calls.values()
                if r.call.platform_call_id == platform_call_id
            ),
            None,
        )


class FakeUnitOfWork:
    """Works on a private copy of the tables: `commit()` publishes the copy,
    leaving the block without it throws the copy away."""

    organizations: ports.OrganizationRepository
    users: ports.UserRepository
    sessions: ports.SessionRepository
    assistants: ports.AssistantRepository
    calls: ports.CallRepository
    cycles: ports.UsageCycleRepository
    webhook_events: ports.WebhookEventRepository

    def __init__(self, db: FakeDatabase) -> None:
        self._db = db
        self.committed = False
        self.rolled_back = False
        self._tables: Tables | None = None

    async def __aenter__(self) -> Self:
        self._tables = self._db.tables.copy()
        self._bind(self._tables)
        return self

    def _bind(self, tables: Tables) -> None:
        self.organizations = FakeOrganizations(tables, self._db)
        self.users = FakeUsers(tables)
        self.sessions = FakeSessions(tables)
        self.assistants = FakeAssistants(tables)
        self.calls = FakeCalls(tables, self._db)
        self.cycles = FakeUsageCycles(tables, self._db)
        self.webhook_events = FakeWebhookEvents(tables, self._db)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Like PostgreSQL: whatever was not committed is rolled back, whether
        # the block ended by an exception, a return, or simply forgot.
        if self._tables is not None and (not self.committed or self._tables_changed()):
            self.rolled_back = True
            self._db.rollbacks += 1
        self._tables = None

    def _tables_changed(self) -> bool:
        assert self._tables is not None
        current = self._db.tables
        return any(
            getattr(self._tables, name) != getattr(current, name)
            for name in Tables.__dataclass_fields__
        )

    async def commit(self) -> None:
        if self._tables is None:
            raise RuntimeError("the unit of work is not open")
        self._db.tables = self._tables
        self._db.commits += 1
        self.committed = True
        # Like the Postgres unit of work: later statements start afresh.
        self._tables = self._db.tables.copy()
        self._bind(self._tables)


class FakeUnitOfWorkFactory:
    """Callable like `UnitOfWorkFactory`; remembers every unit it opened."""

    def __init__(self, db: FakeDatabase | None = None) -> None:
        self.db = db or FakeDatabase()
        self.opened: list[FakeUnitOfWork] = []

    def __call__(self) -> FakeUnitOfWork:
        uow = self.db.unit_of_work()
        self.opened.append(uow)
        return uow


# ---------------------------------------------------------------- repositories


class _Repo:
    def __init__(self, tables: Tables) -> None:
        self.tables = tables


class FakeOrganizations(_Repo):
    def __init__(self, tables: Tables, db: FakeDatabase) -> None:
        super().__init__(tables)
        self._db = db

    async def add(self, org: Organization) -> None:
        if org.id in self.tables.organizations:
            raise FakeIntegrityError("organizations.id")
        phone_ids = {
            o.vapi_phone_number_id
            for o in self.tables.organizations.values()
            if o.vapi_phone_number_id
        }
        if org.vapi_phone_number_id and org.vapi_phone_number_id in phone_ids:
            raise FakeIntegrityError("organizations.vapi_phone_number_id")
        self.tables.organizations[org.id] = org

    async def lock(self, org_id: str) -> None:
        self._db.locked_organizations.append(org_id)

    async def get(self, org_id: str) -> Organization | None:
        return self.tables.organizations.get(org_id)


class FakeUsers(_Repo):
    async def add(self, user: User) -> None:
        if user.id in self.tables.users:
            raise FakeIntegrityError("users.id")
        if any(u.email == user.email for u in self.tables.users.values()):
            raise FakeIntegrityError("users.email")
        self.tables.users[user.id] = user

    async def get(self, user_id: str) -> User | None:
        return self.tables.users.get(user_id)

    async def by_email(self, email: str) -> User | None:
        return next((u for u in self.tables.users.values() if u.email == email), None)


class FakeSessions(_Repo):
    async def add(self, session: AuthSession, token_digest: str) -> None:
        if any(r.token_digest == token_digest for r in self.tables.sessions.values()):
            raise FakeIntegrityError("auth_sessions.token_digest")
        self.tables.sessions[session.id] = SessionRow(session, token_digest)

    async def by_digest(self, token_digest: str) -> AuthSession | None:
        for row in self.tables.sessions.values():
            if row.token_digest == token_digest:
                return row.session
        return None

    def _update(self, session_id: str, **changes: Any) -> None:
        row = self.tables.sessions.get(session_id)
        if row is not None:
            session = replace(row.session, **changes)
            self.tables.sessions[session_id] = replace(row, session=session)

    async def touch(self, session_id: str, now: datetime) -> None:
        self._update(session_id, last_seen_at=now)

    async def revoke(self, session_id: str, now: datetime) -> None:
        row = self.tables.sessions.get(session_id)
        if row is not None and row.session.revoked_at is None:
            self._update(session_id, revoked_at=now)

    async def revoke_all_for_user(
        self, user_id: str, now: datetime, keep: str | None = None
    ) -> int:
        ids = [
            sid
            for sid, row in self.tables.sessions.items()
            if row.session.user_id == user_id
            and row.session.revoked_at is None
            and sid != keep
        ]
        for sid in ids:
            self._update(sid, revoked_at=now)
        return len(ids)


class FakeAssistants(_Repo):
    def _counted(self, assistant: Assistant) -> Assistant:
        count = sum(
            1
            for row in self.tables.calls.values()
            if row.call.assistant_id == assistant.id
            and row.call.organization_id == assistant.organization_id
        )
        return replace(assistant, call_count=count)

    async def add(self, assistant: Assistant) -> None:
        if assistant.id in self.tables.assistants:
            raise FakeIntegrityError("assistants.id")
        if await self.exists_platform_id(assistant.vapi_assistant_id):
            raise FakeIntegrityError("assistants.vapi_assistant_id")
        self.tables.assistants[assistant.id] = assistant

    async def get(self, org_id: str, assistant_id: str) -> Assistant | None:
        assistant = self.tables.assistants.get(assistant_id)
        if assistant is None or assistant.organization_id != org_id:
            return None
        return self._counted(assistant)

    async def list_with_call_counts(self, org_id: str) -> Sequence[Assistant]:
        mine = [
            a for a in self.tables.assistants.values() if a.organization_id == org_id
        ]
        mine.sort(key=lambda a: (a.created_at, a.id))
        return [self._counted(a) for a in mine]

    async def count(self, org_id: str) -> int:
        return sum(
            1 for a in self.tables.assistants.values() if a.organization_id == org_id
        )

    async def exists_platform_id(self, vapi_assistant_id: str) -> bool:
        return any(
            a.vapi_assistant_id == vapi_assistant_id
            for a in self.tables.assistants.values()
        )

    async def rename(self, org_id: str, assistant_id: str, name: str) -> bool:
        assistant = self.tables.assistants.get(assistant_id)
        if assistant is None or assistant.organization_id != org_id:
            return False
        self.tables.assistants[assistant_id] = replace(assistant, name=name)
        return True

    async def delete(self, org_id: str, assistant_id: str) -> bool:
        assistant = self.tables.assistants.get(assistant_id)
        if assistant is None or assistant.organization_id != org_id:
            return False
        del self.tables.assistants[assistant_id]
        # The calls keep their history; their assistant link is cleared.
        for call_id, row in list(self.tables.calls.items()):
            if row.call.assistant_id == assistant_id:
                call = replace(row.call, assistant_id=None)
                self.tables.calls[call_id] = replace(row, call=call)
        return True

    async def organization_for(
        self, vapi_assistant_id: str | None, vapi_phone_number_id: str | None
    ) -> tuple[str, str | None] | None:
        if vapi_assistant_id:
            for a in self.tables.assistants.values():
                if a.vapi_assistant_id == vapi_assistant_id:
                    return a.organization_id, a.id
        if vapi_phone_number_id:
            for org in self.tables.organizations.values():
                if org.vapi_phone_number_id == vapi_phone_number_id:
                    return org.id, None
        return None


class FakeCalls(_Repo):
    def __init__(self, tables: Tables, db: FakeDatabase) -> None:
        super().__init__(tables)
        self._db = db

    def _by_platform_id(self, platform_call_id: str) -> CallRow | None:
        return next(
            (
                r
                for r in self.tables.calls.values()
                if r.call.platform_call_id == platform_call_id
            ),
            None,
        )

    async def lock_or_create(
        self,
        platform_call_id: str,
        organization_id: str | None,
        assistant_id: str | None,
        now: datetime,
    ) -> LockedCall:
        row = self._by_platform_id(platform_call_id)
        if row is None:
            call = Call(
                id=self._db.new_id(),
                organization_id=organization_id,
                platform_call_id=platform_call_id,
                status=CallStatus.QUEUED,
                started_at=None,
                ended_at=None,
                duration_ms=None,
                ended_reason=None,
                customer_number=None,
                transcript=None,
                summary=None,
                recording_url=None,
                assistant_id=assistant_id,
            )
            row = CallRow(call, created_at=now)
        elif row.call.organization_id is None and organization_id is not None:
            call = replace(
                row.call, organization_id=organization_id, assistant_id=assistant_id
            )
            row = replace(row, call=call)
        self.tables.calls[row.call.id] = row
        return LockedCall(row.call, row.metered_ms)

    async def save(self, call: Call, now: datetime) -> None:
        row = self.tables.calls.get(call.id)
        if row is not None:
            # Ownership is set by lock_or_create only, as in the SQL update.
            kept = replace(
                call,
                organization_id=row.call.organization_id,
                assistant_id=row.call.assistant_id,
                platform_call_id=row.call.platform_call_id,
            )
            self.tables.calls[call.id] = replace(row, call=kept)

    async def mark_metered(
        self, call_id: str, ms: int, cycle_id: str, now: datetime
    ) -> None:
        row = self.tables.calls.get(call_id)
        if row is not None:
            self.tables.calls[call_id] = replace(
                row, metered_ms=ms, metered_at=now, cycle_id=cycle_id
            )

    async def get(self, org_id: str, call_id: str) -> Call | None:
        row = self.tables.calls.get(call_id)
        if row is None or row.call.organization_id != org_id:
            return None
        return row.call

    async def recent(self, org_id: str, limit: int) -> Sequence[Call]:
        mine = [
            r for r in self.tables.calls.values() if r.call.organization_id == org_id
        ]
        # created_at descending, then id ascending, as the SQL orders them.
        mine.sort(key=lambda r: r.call.id)
        mine.sort(key=lambda r: r.created_at, reverse=True)
        return [r.call for r in mine[:limit]]

    async def daily_minutes(
        self, org_id: str, since: datetime
    ) -> Sequence[tuple[date, int, int]]:
        days: dict[date, tuple[int, int]] = {}
        for row in self.tables.calls.values():
            if row.call.organization_id != org_id:
                continue
            moment = row.call.ended_at or row.call.started_at or row.created_at
            if moment < since:
                continue
            day = moment.astimezone(UTC).date()
            calls, ms = days.get(day, (0, 0))
            days[day] = (calls + 1, ms + (row.metered_ms or 0))
        return [(day, c, ms) for day, (c, ms) in sorted(days.items())]


class FakeUsageCycles(_Repo):
    def __init__(self, tables: Tables, db: FakeDatabase) -> None:
        super().__init__(tables)
        self._db = db

    async def open(self, cycle: UsageCycle) -> bool:
        if cycle.organization_id in self._db.broken_cycle_open:
            raise FakeIntegrityError("usage_cycles: a broken row")
        for other in self.tables.cycles.values():
            if other.organization_id != cycle.organization_id:
                continue
            if other.starts_at == cycle.starts_at or (
                other.closed_at is None and cycle.closed_at is None
            ):
                return False  # ON CONFLICT DO NOTHING
        if cycle.id in self.tables.cycles:
            return False
        self.tables.cycles[cycle.id] = cycle
        return True

    async def current(self, org_id: str) -> UsageCycle | None:
        return next(
            (
                c
                for c in self.tables.cycles.values()
                if c.organization_id == org_id and c.closed_at is None
            ),
            None,
        )

    async def add_usage(self, org_id: str, ms: int) -> str | None:
        cycle = await self.current(org_id)
        if cycle is None:
            return None
        self.tables.cycles[cycle.id] = replace(cycle, used_ms=cycle.used_ms + ms)
        return cycle.id

    async def lock_due(
        self, now: datetime, limit: int, exclude: Sequence[str] = ()
    ) -> Sequence[DueCycle]:
        due = [
            c
            for c in self.tables.cycles.values()
            if c.closed_at is None
            and c.ends_at <= now
            and c.organization_id not in exclude
        ]
        due.sort(key=lambda c: c.ends_at)
        out = []
        for cycle in due[:limit]:
            org = self.tables.organizations[cycle.organization_id]
            out.append(DueCycle(cycle, org.cycle_anchor, org.tier))
        return out

    async def count_not_due(self, now: datetime) -> int:
        return sum(
            1
            for c in self.tables.cycles.values()
            if c.closed_at is None and c.ends_at > now
        )

    async def close(self, cycle_id: str, now: datetime) -> None:
        cycle = self.tables.cycles.get(cycle_id)
        if cycle is not None:
            self.tables.cycles[cycle_id] = replace(cycle, closed_at=now)


class FakeWebhookEvents(_Repo):
    def __init__(self, tables: Tables, db: FakeDatabase) -> None:
        super().__init__(tables)
        self._db = db

    async def store(
        self,
        provider: str,
        event_type: str,
        payload: Mapping[str, Any],
        external_id: str | None,
        now: datetime,
    ) -> tuple[str, bool]:
        if external_id is not None:
            for row in self.tables.webhook_events.values():
                if row.provider == provider and row.external_id == external_id:
                    return row.id, False
        event_id = self._db.new_id()
        self.tables.webhook_events[event_id] = WebhookEventRow(
            event_id, provider, event_type, external_id, dict(payload), now
        )
        return event_id, True

    async def mark_processed(
        self, event_id: str, now: datetime, error: str | None = None
    ) -> None:
        row = self.tables.webhook_events.get(event_id)
        if row is not None:
            self.tables.webhook_events[event_id] = replace(
                row, processed_at=now, error=error
            )


if TYPE_CHECKING:
    # mypy checks that every fake satisfies its port.
    _clock: ports.Clock = FakeClock()
    _secrets: ports.Secrets = FakeSecrets()
    _hasher: ports.PasswordHasher = FakePasswordHasher()
    _mailer: ports.Mailer = FakeMailer()
    _factory: ports.UnitOfWorkFactory = FakeUnitOfWorkFactory()
    _uow: ports.UnitOfWork = FakeUnitOfWork(FakeDatabase())
