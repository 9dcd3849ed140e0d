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
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from epoch_domain import ports, telephony_ports
from epoch_domain.a2p import A2PStatus
from epoch_domain.a2p_application import A2PApplication, A2PRecord, CampaignInfo
from epoch_domain.accounts import Organization, User
from epoch_domain.assistants import Assistant
from epoch_domain.auth_tokens import AuthToken, TokenKind
from epoch_domain.billing import (
    BillingCandidate,
    Charge,
    ChargeAttempt,
    ChargeOutcome,
    ChargeResult,
    CheckoutRequest,
    PendingCharge,
    PortalRequest,
    StoredEvent,
)
from epoch_domain.calls import Call, CallStatus
from epoch_domain.cycles import UsageCycle
from epoch_domain.errors import (
    PaymentProviderFailed,
    ProviderUnavailable,
    ValidationFailed,
)
from epoch_domain.integrations import (
    CalendarConnection,
    EmbedToken,
    NumberProvisioning,
)
from epoch_domain.knowledge_base import DocumentKind, KnowledgeSection, KnowledgeUpload
from epoch_domain.metering import MS_PER_MINUTE
from epoch_domain.overage import CycleOverage, OverageRecord, OverageStatus
from epoch_domain.plans import Tier, plan_for
from epoch_domain.ports import (
    DueCycle,
    LockedCall,
    MailDeliveryFailed,
    OrganizationSummary,
    OutgoingMail,
)
from epoch_domain.receptionist import AssistantConfig, ReceptionistProfile
from epoch_domain.receptionist_ports import (
    ExtractedBusiness,
    FetchedSite,
    KnowledgeBaseRepository,
    KnowledgeFile,
    ReceptionistProfileRepository,
    VoiceOption,
    WebPage,
)
from epoch_domain.sessions import AuthSession
from epoch_domain.sms import SmsDirection, SmsMessage, SmsStatus
from epoch_domain.subscription import BillingEvent, SubscriptionState
from epoch_domain.telephony_ports import (
    AvailableNumber,
    BookingOutcome,
    BookingRequest,
    FeeCheckoutRequest,
    NumberQuery,
    OutboundCallRequest,
    OutgoingSms,
    PlacedCall,
    ProviderReview,
    ProvisionedNumber,
    SecretUnreadable,
    SmsReceipt,
)

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


@dataclass(frozen=True, slots=True)
class AuthTokenRow:
    token: AuthToken
    token_digest: str


@dataclass(frozen=True, slots=True)
class PaymentAttemptRow:
    id: str
    record_id: str
    organization_id: str
    attempt: int
    idempotency_key: str
    amount_cents: int
    outcome: ChargeOutcome
    payment_id: str | None
    error: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class OverageRow:
    record: OverageRecord
    created_at: datetime
    paid_at: datetime | None = None


@dataclass(slots=True)
class Tables:
    organizations: dict[str, Organization] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    sessions: dict[str, SessionRow] = field(default_factory=dict)
    assistants: dict[str, Assistant] = field(default_factory=dict)
    calls: dict[str, CallRow] = field(default_factory=dict)
    cycles: dict[str, UsageCycle] = field(default_factory=dict)
    webhook_events: dict[str, WebhookEventRow] = field(default_factory=dict)
    auth_tokens: dict[str, AuthTokenRow] = field(default_factory=dict)
    password_changed_at: dict[str, datetime] = field(default_factory=dict)
    # Subscription columns of the organization row; the tier lives on the
    # organization itself, as the plan column does.
    subscriptions: dict[str, SubscriptionState] = field(default_factory=dict)
    # usage_cycles.billed_overage_ms, by cycle id (absent means 0).
    billed_overage: dict[str, int] = field(default_factory=dict)
    overage_records: dict[str, OverageRow] = field(default_factory=dict)
    payment_attempts: dict[str, PaymentAttemptRow] = field(default_factory=dict)
    # Telephony, messaging and widget (see the section at the end).
    sms: dict[str, SmsMessage] = field(default_factory=dict)
    phone_numbers: dict[str, NumberProvisioning] = field(default_factory=dict)
    calendars: dict[str, CalendarConnection] = field(default_factory=dict)
    embed_tokens: dict[str, EmbedTokenRow] = field(default_factory=dict)
    a2p: dict[str, A2PRecord] = field(default_factory=dict)
    # Receptionist profile and knowledge base (see the section at the end).
    receptionists: dict[str, ReceptionistProfile] = field(default_factory=dict)
    kb_sections: dict[tuple[str, str], KnowledgeSection] = field(default_factory=dict)
    kb_uploads: dict[tuple[str, str], KnowledgeUpload] = field(default_factory=dict)
    kb_retired: dict[tuple[str, str], bool] = field(default_factory=dict)

    def copy(self) -> Tables:
        # Rows are frozen dataclasses, so copying the dicts copies the state.
        return Tables(
            **{name: dict(getattr(self, name)) for name in Tables.__dataclass_fields__}
        )


class FakeDatabase:
    """The committed state, shared by every unit of work a factory opens."""

    def __init__(
        self,
        new_id: Callable[[], str] | None = None,
        clock: FakeClock | None = None,
    ) -> None:
        self.tables = Tables()
        # What `now()` means inside SQL (row creation times).
        self.clock = clock or FakeClock()
        self.commits = 0
        self.rollbacks = 0
        self.locked_organizations: list[str] = []
        # Organizations whose next cycle cannot be opened (a broken row).
        self.broken_cycle_open: set[str] = set()
        counter = iter(range(1, 1_000_000))
        self._new_id = new_id or (lambda: f"row-{next(counter)}")

    def new_id(self) -> str:
        return self._new_id()

    def now(self) -> datetime:
        return self.clock.now()

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
    billing: ports.BillingRepository
    auth_tokens: ports.AuthTokenRepository
    credentials: ports.CredentialRepository
    directory: ports.OrganizationDirectory
    platform_calls: telephony_ports.CallLookup
    sms: telephony_ports.SmsLogRepository
    phone_numbers: telephony_ports.PhoneNumberRepository
    calendars: telephony_ports.CalendarRepository
    embed_tokens: telephony_ports.EmbedTokenRepository
    a2p: telephony_ports.A2PRepository
    receptionists: ReceptionistProfileRepository
    knowledge_base: KnowledgeBaseRepository

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
        self.billing = FakeBilling(tables, self._db)
        self.auth_tokens = FakeAuthTokens(tables)
        self.credentials = FakeCredentials(tables)
        self.directory = FakeOrganizationDirectory(tables)
        self.platform_calls = FakeCallLookup(tables)
        self.sms = FakeSmsLog(tables)
        self.phone_numbers = FakePhoneNumbers(tables)
        self.calendars = FakeCalendars(tables)
        self.embed_tokens = FakeEmbedTokens(tables)
        self.a2p = FakeA2P(tables)
        self.receptionists = FakeReceptionistProfiles(tables, self._db)
        self.knowledge_base = FakeKnowledgeBase(tables)

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


class FakeAuthTokens(_Repo):
    async def add(self, token: AuthToken, token_digest: str) -> None:
        if token.id in self.tables.auth_tokens or any(
            r.token_digest == token_digest for r in self.tables.auth_tokens.values()
        ):
            raise FakeIntegrityError("auth_tokens")
        self.tables.auth_tokens[token.id] = AuthTokenRow(token, token_digest)

    async def lock_by_digest(self, token_digest: str) -> AuthToken | None:
        for row in self.tables.auth_tokens.values():
            if row.token_digest == token_digest:
                return row.token
        return None

    async def mark_used(self, token_id: str, now: datetime) -> None:
        row = self.tables.auth_tokens.get(token_id)
        if row is not None and row.token.used_at is None:
            token = replace(row.token, used_at=now)
            self.tables.auth_tokens[token_id] = replace(row, token=token)

    async def spend_unused(
        self, user_id: str, now: datetime, kind: TokenKind | None = None
    ) -> int:
        spent = 0
        for token_id, row in list(self.tables.auth_tokens.items()):
            token = row.token
            if token.user_id != user_id or token.used_at is not None:
                continue
            if kind is not None and token.kind is not kind:
                continue
            self.tables.auth_tokens[token_id] = replace(
                row, token=replace(token, used_at=now)
            )
            spent += 1
        return spent


class FakeCredentials(_Repo):
    async def set_password(
        self, user_id: str, password_hash: str, now: datetime
    ) -> None:
        user = self.tables.users.get(user_id)
        if user is not None:
            self.tables.users[user_id] = replace(
                user, password_hash=password_hash, must_change_password=False
            )
            self.tables.password_changed_at[user_id] = now

    async def require_change(self, user_id: str) -> bool:
        user = self.tables.users.get(user_id)
        if user is None:
            return False
        self.tables.users[user_id] = replace(user, must_change_password=True)
        return True


class FakeOrganizationDirectory(_Repo):
    def _matches(self, org: Organization, query: str | None) -> bool:
        if query is None:
            return True
        needle = query.lower()
        return (
            needle in org.name.lower()
            or org.id == query
            or any(
                u.organization_id == org.id and needle in u.email.lower()
                for u in self.tables.users.values()
            )
        )

    async def search(
        self, query: str | None, limit: int, offset: int
    ) -> tuple[Sequence[OrganizationSummary], int]:
        found = [
            o for o in self.tables.organizations.values() if self._matches(o, query)
        ]
        found.sort(key=lambda o: o.id)
        found.sort(key=lambda o: o.created_at, reverse=True)
        page = found[offset : offset + limit]
        return (
            [
                OrganizationSummary(
                    o,
                    sum(
                        1
                        for u in self.tables.users.values()
                        if u.organization_id == o.id
                    ),
                )
                for o in page
            ],
            len(found),
        )

    async def members(self, org_id: str) -> Sequence[User]:
        # Insertion order stands in for the users' creation time.
        return [u for u in self.tables.users.values() if u.organization_id == org_id]

    async def set_tier(self, org_id: str, tier: Tier, included_minutes: int) -> bool:
        org = self.tables.organizations.get(org_id)
        if org is None:
            return False
        self.tables.organizations[org_id] = replace(org, tier=tier)
        for cycle_id, cycle in list(self.tables.cycles.items()):
            if cycle.organization_id == org_id and cycle.closed_at is None:
                self.tables.cycles[cycle_id] = replace(
                    cycle, included_minutes=included_minutes
                )
        return True


_STATUS_AFTER = {
    ChargeOutcome.SUCCEEDED: OverageStatus.PAID,
    ChargeOutcome.DECLINED: OverageStatus.FAILED,
    ChargeOutcome.ERROR: OverageStatus.PENDING,
}


class FakeBilling(_Repo):
    def __init__(self, tables: Tables, db: FakeDatabase) -> None:
        super().__init__(tables)
        self._db = db

    # Subscription state

    async def subscription(
        self, org_id: str, lock: bool = False
    ) -> SubscriptionState | None:
        org = self.tables.organizations.get(org_id)
        if org is None:
            return None
        if lock:
            self._db.locked_organizations.append(org_id)
        stored = self.tables.subscriptions.get(org_id, SubscriptionState(org.tier))
        return replace(stored, tier=org.tier)

    async def save_subscription(self, org_id: str, state: SubscriptionState) -> None:
        org = self.tables.organizations[org_id]
        self.tables.organizations[org_id] = replace(org, tier=state.tier)
        self.tables.subscriptions[org_id] = state
        if org.tier is not state.tier:
            # An upgrade grows the open cycle at once; a downgrade waits.
            included = plan_for(state.tier).included_minutes
            for cycle_id, cycle in list(self.tables.cycles.items()):
                if (
                    cycle.organization_id == org_id
                    and cycle.closed_at is None
                    and cycle.included_minutes < included
                ):
                    self.tables.cycles[cycle_id] = replace(
                        cycle, included_minutes=included
                    )

    async def organization_for_event(
        self,
        organization_ref: str | None,
        customer_id: str | None,
        subscription_id: str | None,
    ) -> str | None:
        if organization_ref and organization_ref in self.tables.organizations:
            return organization_ref
        subs = self.tables.subscriptions
        for wanted, attribute in (
            (customer_id, "customer_id"),
            (subscription_id, "subscription_id"),
        ):
            if not wanted:
                continue
            for org_id, state in subs.items():
                if getattr(state, attribute) == wanted:
                    return org_id
        return None

    async def organization_with_customer(self, customer_id: str) -> str | None:
        for org_id, state in self.tables.subscriptions.items():
            if state.customer_id == customer_id:
                return org_id
        return None

    async def lock_event(self, event_id: str) -> StoredEvent | None:
        row = self.tables.webhook_events.get(event_id)
        if row is None:
            return None
        return StoredEvent(row.id, row.processed_at is not None)

    # What the organization sees

    async def records(self, org_id: str, limit: int) -> Sequence[OverageRecord]:
        mine = [
            r.record
            for r in self.tables.overage_records.values()
            if r.record.organization_id == org_id
        ]
        mine.sort(key=lambda r: r.week.start, reverse=True)
        return mine[:limit]

    def _cycle_overage(self, cycle: UsageCycle, used_ms: int) -> CycleOverage:
        billed = self.tables.billed_overage.get(cycle.id, 0)
        return CycleOverage(cycle.id, cycle.included_minutes, used_ms, billed)

    def _has_unbilled(self, cycle: UsageCycle) -> bool:
        billed = self.tables.billed_overage.get(cycle.id, 0)
        return billed < cycle.used_ms - cycle.included_minutes * MS_PER_MINUTE

    async def unbilled_cycles(
        self, org_id: str
    ) -> tuple[CycleOverage | None, Sequence[CycleOverage]]:
        current = None
        unbilled = []
        for cycle in self.tables.cycles.values():
            if cycle.organization_id != org_id:
                continue
            if cycle.closed_at is not None and not self._has_unbilled(cycle):
                continue
            overage = self._cycle_overage(cycle, cycle.used_ms)
            if cycle.closed_at is None:
                current = overage
            if overage.unbilled_ms > 0:
                unbilled.append(overage)
        return current, unbilled

    # The overage job

    async def lock_candidates(
        self, cut_off: datetime, after: str | None, limit: int
    ) -> Sequence[BillingCandidate]:
        due = [c for c in self.tables.cycles.values() if self._has_unbilled(c)]
        org_ids = sorted(
            {
                c.organization_id
                for c in due
                if after is None or c.organization_id > after
            }
        )[:limit]
        out = []
        for org_id in org_ids:
            org = self.tables.organizations[org_id]
            cycles = sorted(
                (c for c in due if c.organization_id == org_id),
                key=lambda c: c.starts_at,
            )
            metered = [
                self._cycle_overage(
                    c,
                    sum(
                        row.metered_ms or 0
                        for row in self.tables.calls.values()
                        if row.cycle_id == c.id
                        and row.metered_at is not None
                        and row.metered_at < cut_off
                    ),
                )
                for c in cycles
            ]
            out.append(BillingCandidate(org_id, org.tier, org.overage_enabled, metered))
        return out

    async def insert_records(self, records: Sequence[OverageRecord]) -> set[str]:
        taken = {
            (r.record.organization_id, r.record.week.start)
            for r in self.tables.overage_records.values()
        }
        inserted = set()
        for record in records:
            key = (record.organization_id, record.week.start)
            if key in taken:
                continue  # ON CONFLICT (organization_id, week_start) DO NOTHING
            taken.add(key)
            self.tables.overage_records[record.id] = OverageRow(record, self._db.now())
            inserted.add(record.organization_id)
        return inserted

    async def mark_billed(self, marks: Mapping[str, int]) -> None:
        for cycle_id, mark in marks.items():
            if cycle_id in self.tables.cycles:
                self.tables.billed_overage[cycle_id] = mark

    async def lock_pending(
        self, limit: int, exclude: Sequence[str] = ()
    ) -> Sequence[PendingCharge]:
        pending = [
            row
            for row in self.tables.overage_records.values()
            if row.record.status is OverageStatus.PENDING
            and row.record.id not in exclude
        ]
        pending.sort(key=lambda r: r.record.id)
        pending.sort(key=lambda r: r.created_at)
        out = []
        for row in pending[:limit]:
            state = self.tables.subscriptions.get(row.record.organization_id)
            out.append(PendingCharge(row.record, state.customer_id if state else None))
        return out

    async def finish_charges(
        self, attempts: Sequence[ChargeAttempt], now: datetime
    ) -> None:
        for attempt in attempts:
            record, result = attempt.record, attempt.result
            attempt_id = self._db.new_id()
            self.tables.payment_attempts[attempt_id] = PaymentAttemptRow(
                id=attempt_id,
                record_id=record.id,
                organization_id=record.organization_id,
                attempt=record.attempts,
                idempotency_key=attempt.key,
                amount_cents=record.amount_cents,
                outcome=result.outcome,
                payment_id=result.payment_id,
                error=result.error,
                created_at=now,
            )
            row = self.tables.overage_records[record.id]
            status = _STATUS_AFTER[result.outcome]
            self.tables.overage_records[record.id] = replace(
                row,
                record=replace(
                    row.record,
                    status=status,
                    payment_id=result.payment_id or row.record.payment_id,
                    last_error=result.error,
                    next_attempt_at=attempt.next_attempt_at,
                ),
                paid_at=now if status is OverageStatus.PAID else None,
            )

    async def requeue_failed(self, now: datetime, limit: int) -> Sequence[str]:
        ids = []
        for record_id, row in list(self.tables.overage_records.items()):
            record = row.record
            if (
                record.status is OverageStatus.FAILED
                and record.next_attempt_at is not None
                and record.next_attempt_at <= now
                and record.attempts < limit
            ):
                self.tables.overage_records[record_id] = replace(
                    row,
                    record=replace(
                        record,
                        status=OverageStatus.PENDING,
                        attempts=record.attempts + 1,
                        next_attempt_at=None,
                    ),
                )
                ids.append(record_id)
        return ids

    async def count_organizations(self) -> int:
        return len(self.tables.organizations)


# ---------------------------------------------------------------- payments


class FakePayments:
    """A payment provider in memory. Charges are idempotent per key, as the
    real one promises: the same key answers with its first definite result.
    `declining` customers are declined; `unreachable` makes every call fail
    (checkout and portal raise, a charge raises a connection error);
    `uncertain` makes charges answer ERROR (an unknown outcome, not stored)."""

    SECRET = "whsec_fake"

    def __init__(self, base_url: str = "https://pay.example.test") -> None:
        self.base_url = base_url
        self.declining: set[str] = set()
        self.unreachable = False
        self.uncertain = False
        self.checkouts: list[CheckoutRequest] = []
        self.portals: list[PortalRequest] = []
        self.cancelled: list[str] = []
        self.resumed: list[str] = []
        self.charge_calls: list[Charge] = []
        self.results: dict[str, ChargeResult] = {}
        self.amounts: dict[str, int] = {}
        # Events the provider would deliver, by event id.
        self.events: dict[str, BillingEvent] = {}

    def _check_reachable(self) -> None:
        if self.unreachable:
            raise PaymentProviderFailed("the fake payment provider is down")

    async def create_checkout(self, request: CheckoutRequest) -> str:
        self._check_reachable()
        self.checkouts.append(request)
        return f"{self.base_url}/checkout/{len(self.checkouts)}"

    async def create_portal(self, request: PortalRequest) -> str:
        self._check_reachable()
        self.portals.append(request)
        return f"{self.base_url}/portal/{len(self.portals)}"

    async def cancel_at_period_end(self, subscription_id: str) -> None:
        self._check_reachable()
        self.cancelled.append(subscription_id)

    async def resume(self, subscription_id: str) -> None:
        self._check_reachable()
        self.resumed.append(subscription_id)

    async def charge(self, charge: Charge) -> ChargeResult:
        self.charge_calls.append(charge)
        if self.unreachable:
            raise ConnectionError("the fake payment provider is down")
        known = self.results.get(charge.idempotency_key)
        if known is not None:
            return known
        if self.uncertain:
            return ChargeResult(ChargeOutcome.ERROR, error="timeout")
        if charge.customer_id in self.declining:
            result = ChargeResult(ChargeOutcome.DECLINED, error="card_declined")
        else:
            payment_id = f"pi_{len(self.results) + 1}"
            result = ChargeResult(ChargeOutcome.SUCCEEDED, payment_id=payment_id)
            self.amounts[charge.idempotency_key] = charge.amount_cents
        self.results[charge.idempotency_key] = result
        return result

    @property
    def charged_cents(self) -> int:
        """Money actually taken: each succeeded key once."""
        return sum(self.amounts.values())

    @classmethod
    def sign(cls, payload: bytes) -> str:
        return "v1=" + hashlib.sha256(cls.SECRET.encode() + payload).hexdigest()

    def read_event(
        self, payload: bytes, signature: str | None
    ) -> tuple[Mapping[str, Any], BillingEvent | None]:
        if signature is None or signature != self.sign(payload):
            raise ValidationFailed("Stripe-Signature", "does not match the payload")
        raw = json.loads(payload)
        return raw, self.events.get(str(raw.get("id")))


if TYPE_CHECKING:
    # mypy checks that every fake satisfies its port.
    _clock: ports.Clock = FakeClock()
    _secrets: ports.Secrets = FakeSecrets()
    _hasher: ports.PasswordHasher = FakePasswordHasher()
    _mailer: ports.Mailer = FakeMailer()
    _factory: ports.UnitOfWorkFactory = FakeUnitOfWorkFactory()
    _uow: ports.UnitOfWork = FakeUnitOfWork(FakeDatabase())
    _payments: ports.Payments = FakePayments()


# ---------------------------------------------------------------- telephony,
# messaging and widget: repositories


@dataclass(frozen=True, slots=True)
class EmbedTokenRow:
    token: EmbedToken
    token_digest: str


class FakeCallLookup(_Repo):
    async def by_platform_id(self, org_id: str, platform_call_id: str) -> Call | None:
        for row in self.tables.calls.values():
            call = row.call
            if call.platform_call_id == platform_call_id:
                return call if call.organization_id == org_id else None
        return None


class FakeSmsLog(_Repo):
    async def add(self, message: SmsMessage) -> bool:
        if message.id in self.tables.sms:
            raise FakeIntegrityError("sms_messages.id")
        if message.provider_id is not None and any(
            m.provider_id == message.provider_id for m in self.tables.sms.values()
        ):
            return False  # ON CONFLICT (provider_id) DO NOTHING
        self.tables.sms[message.id] = message
        return True

    async def get(self, org_id: str, message_id: str) -> SmsMessage | None:
        message = self.tables.sms.get(message_id)
        if message is None or message.organization_id != org_id:
            return None
        return message

    async def lock_for_report(
        self, provider_id: str | None, message_id: str | None
    ) -> SmsMessage | None:
        if provider_id is not None:
            for message in self.tables.sms.values():
                if message.provider_id == provider_id:
                    return message
        if message_id is not None:
            return self.tables.sms.get(message_id)
        return None

    async def save(self, message: SmsMessage) -> None:
        if message.id in self.tables.sms:
            self.tables.sms[message.id] = message

    async def page(
        self, org_id: str, direction: SmsDirection | None, offset: int, limit: int
    ) -> tuple[Sequence[SmsMessage], int]:
        mine = [
            m
            for m in self.tables.sms.values()
            if m.organization_id == org_id
            and (direction is None or m.direction is direction)
        ]
        mine.sort(key=lambda m: m.id)
        mine.sort(key=lambda m: m.created_at, reverse=True)
        return mine[offset : offset + limit], len(mine)

    async def count_outbound(self, org_id: str) -> int:
        return sum(
            1
            for m in self.tables.sms.values()
            if m.organization_id == org_id and m.direction is SmsDirection.OUTBOUND
        )


class FakePhoneNumbers(_Repo):
    """Kept beside the organization row's number columns, as in Postgres."""

    async def get(self, org_id: str) -> NumberProvisioning:
        return self.tables.phone_numbers.get(org_id, NumberProvisioning(org_id))

    async def save(self, provisioning: NumberProvisioning) -> None:
        org_id = provisioning.organization_id
        self.tables.phone_numbers[org_id] = provisioning
        org = self.tables.organizations.get(org_id)
        if org is not None:
            self.tables.organizations[org_id] = replace(
                org,
                phone_number=provisioning.phone_number,
                vapi_phone_number_id=provisioning.platform_phone_number_id,
            )

    async def organization_for_number(self, phone_number: str) -> str | None:
        for provisioning in self.tables.phone_numbers.values():
            if provisioning.phone_number == phone_number:
                return provisioning.organization_id
        return None


class FakeCalendars(_Repo):
    async def get(self, org_id: str) -> CalendarConnection | None:
        return self.tables.calendars.get(org_id)

    async def save(self, connection: CalendarConnection) -> None:
        self.tables.calendars[connection.organization_id] = connection

    async def delete(self, org_id: str) -> bool:
        return self.tables.calendars.pop(org_id, None) is not None


class FakeEmbedTokens(_Repo):
    async def add(self, token: EmbedToken, token_digest: str) -> None:
        if token.id in self.tables.embed_tokens or any(
            r.token_digest == token_digest for r in self.tables.embed_tokens.values()
        ):
            raise FakeIntegrityError("embed_tokens")
        self.tables.embed_tokens[token.id] = EmbedTokenRow(token, token_digest)

    async def active(self, org_id: str) -> Sequence[EmbedToken]:
        mine = [
            r.token
            for r in self.tables.embed_tokens.values()
            if r.token.organization_id == org_id and r.token.active
        ]
        mine.sort(key=lambda t: t.id)
        mine.sort(key=lambda t: t.created_at, reverse=True)
        return mine

    async def by_digest(self, token_digest: str) -> EmbedToken | None:
        for row in self.tables.embed_tokens.values():
            if row.token_digest == token_digest:
                return row.token
        return None

    async def revoke(self, org_id: str, token_id: str, now: datetime) -> bool:
        row = self.tables.embed_tokens.get(token_id)
        if row is None or row.token.organization_id != org_id or not row.token.active:
            return False
        token = replace(row.token, revoked_at=now)
        self.tables.embed_tokens[token_id] = replace(row, token=token)
        return True

    async def touch(self, token_id: str, now: datetime) -> None:
        row = self.tables.embed_tokens.get(token_id)
        if row is not None:
            token = replace(row.token, last_used_at=now)
            self.tables.embed_tokens[token_id] = replace(row, token=token)


class FakeA2P(_Repo):
    async def get(self, org_id: str, lock: bool = False) -> A2PRecord:
        return self.tables.a2p.get(org_id, A2PRecord(org_id))

    async def save(self, record: A2PRecord) -> None:
        self.tables.a2p[record.organization_id] = record

    async def to_check(self, after: str | None, limit: int) -> Sequence[A2PRecord]:
        waiting = (
            A2PStatus.BRAND_PENDING,
            A2PStatus.BRAND_APPROVED,
            A2PStatus.CAMPAIGN_PENDING,
            A2PStatus.CAMPAIGN_APPROVED,
        )
        found = sorted(
            (
                r
                for r in self.tables.a2p.values()
                if r.status in waiting and (after is None or r.organization_id > after)
            ),
            key=lambda r: r.organization_id,
        )
        return found[:limit]


# ---------------------------------------------------------------- telephony,
# messaging and widget: providers


class _Provider:
    """`down = True` makes every call raise `ProviderUnavailable`."""

    name = "provider"

    def __init__(self) -> None:
        self.down = False

    def _check(self) -> None:
        if self.down:
            raise ProviderUnavailable(self.name, "the fake is down")


class FakeTelephony(_Provider):
    name = "telephony provider"

    def __init__(self) -> None:
        super().__init__()
        self.tokens: list[tuple[str, int]] = []
        self.bought: list[ProvisionedNumber] = []
        self.searches: list[NumberQuery] = []
        self.available = [
            AvailableNumber(f"+1415555{n:04d}", "San Francisco", "CA")
            for n in range(1000, 1030)
        ]

    async def voice_access_token(self, identity: str, ttl_seconds: int) -> str:
        self._check()
        self.tokens.append((identity, ttl_seconds))
        return f"jwt.{identity}.{ttl_seconds}"

    async def search_numbers(self, query: NumberQuery) -> Sequence[AvailableNumber]:
        self._check()
        self.searches.append(query)
        return [
            n
            for n in self.available
            if query.area_code is None or n.phone_number[2:5] == query.area_code
        ]

    async def provision_number(self, area_code: str | None) -> ProvisionedNumber:
        self._check()
        n = len(self.bought) + 1
        number = ProvisionedNumber(
            f"+1{area_code or '415'}555{2000 + n:04d}", f"PN{n:032d}", "TK1"
        )
        self.bought.append(number)
        return number


class FakeDialer(_Provider):
    name = "voice platform"

    def __init__(self) -> None:
        super().__init__()
        self.placed: list[OutboundCallRequest] = []

    async def place_call(self, request: OutboundCallRequest) -> PlacedCall:
        self._check()
        self.placed.append(request)
        return PlacedCall(f"vapi-call-{len(self.placed)}")


class FakeNumberImporter(_Provider):
    name = "voice platform"

    def __init__(self) -> None:
        super().__init__()
        self.imported: list[tuple[ProvisionedNumber, str]] = []

    async def import_number(
        self, number: ProvisionedNumber, platform_assistant_id: str
    ) -> str:
        self._check()
        self.imported.append((number, platform_assistant_id))
        return f"vapi-number-{len(self.imported)}"


class FakeSmsCarrier(_Provider):
    """Sends answer `queued`; brand and campaign reviews answer PENDING until
    a test sets `brand_statuses` / `campaign_statuses`."""

    name = "SMS carrier"

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[OutgoingSms] = []
        self.services: list[tuple[str, str | None]] = []
        self.brands: list[tuple[str, A2PApplication]] = []
        self.campaigns: list[tuple[str, str, CampaignInfo]] = []
        self.brand_statuses: dict[str, str] = {}
        self.campaign_statuses: dict[str, str] = {}
        self.polled: list[str] = []
        self.failing_ids: set[str] = set()

    async def send(self, sms: OutgoingSms) -> SmsReceipt:
        self._check()
        self.sent.append(sms)
        return SmsReceipt(f"SM{len(self.sent):032d}", SmsStatus.QUEUED)

    async def create_messaging_service(
        self, organization_id: str, number_id: str | None
    ) -> str:
        self._check()
        self.services.append((organization_id, number_id))
        return f"MG{len(self.services):032d}"

    async def submit_brand_registration(
        self, organization_id: str, application: A2PApplication
    ) -> ProviderReview:
        self._check()
        self.brands.append((organization_id, application))
        return ProviderReview(f"BN{len(self.brands):032d}", "PENDING")

    async def submit_campaign(
        self, messaging_service_id: str, brand_id: str, campaign: CampaignInfo
    ) -> ProviderReview:
        self._check()
        self.campaigns.append((messaging_service_id, brand_id, campaign))
        return ProviderReview(f"QE{len(self.campaigns):032d}", "PENDING")

    async def brand_status(self, brand_id: str) -> str:
        self._check()
        self.polled.append(brand_id)
        if brand_id in self.failing_ids:
            raise ProviderUnavailable(self.name, "one brand fails")
        return self.brand_statuses.get(brand_id, "PENDING")

    async def campaign_status(self, messaging_service_id: str, campaign_id: str) -> str:
        self._check()
        self.polled.append(campaign_id)
        if campaign_id in self.failing_ids:
            raise ProviderUnavailable(self.name, "one campaign fails")
        return self.campaign_statuses.get(campaign_id, "PENDING")


class FakeCalendarProvider(_Provider):
    """Accepts `valid_keys`; offers `slots`; books a free slot once."""

    name = "calendar provider"

    def __init__(self, valid_keys: Sequence[str] = ("cal_live_good",)) -> None:
        super().__init__()
        self.valid_keys = set(valid_keys)
        self.slots: list[datetime] = []
        self.bookings: list[BookingRequest] = []
        self.slot_queries: list[tuple[int, date, date, str]] = []

    async def verify_api_key(self, api_key: str) -> bool:
        self._check()
        return api_key in self.valid_keys

    async def available_slots(
        self,
        api_key: str,
        event_type_id: int,
        first_day: date,
        last_day: date,
        time_zone: str,
    ) -> Sequence[datetime]:
        self._check()
        self.slot_queries.append((event_type_id, first_day, last_day, time_zone))
        return list(self.slots)

    async def book(self, api_key: str, request: BookingRequest) -> BookingOutcome:
        self._check()
        if request.start not in self.slots:
            return BookingOutcome(False, reason="that time is not available")
        self.slots.remove(request.start)
        self.bookings.append(request)
        return BookingOutcome(True, f"bk-{len(self.bookings)}", request.start)


class FakeAssistantCalendarTools(_Provider):
    name = "voice platform"

    def __init__(self) -> None:
        super().__init__()
        self.tools: dict[str, list[str]] = {}  # assistant -> tool ids
        self._made = 0

    async def add_calendar_tools(
        self, platform_assistant_id: str, event_type_id: int
    ) -> Sequence[str]:
        self._check()
        ids = [f"tool-{self._made + 1}", f"tool-{self._made + 2}"]
        self._made += 2
        self.tools.setdefault(platform_assistant_id, []).extend(ids)
        return ids

    async def remove_tools(
        self, platform_assistant_id: str, tool_ids: Sequence[str]
    ) -> None:
        self._check()
        kept = self.tools.get(platform_assistant_id, [])
        self.tools[platform_assistant_id] = [t for t in kept if t not in tool_ids]


class FakePromptSections(_Provider):
    """A stored prompt per organization, edited one section at a time."""

    name = "voice platform"

    def __init__(self) -> None:
        super().__init__()
        self.prompts: dict[str, str] = {}

    async def set_section(
        self, org: Organization, key: str, body: str | None
    ) -> object:
        from epoch_domain import prompt_sections

        self._check()
        prompt = self.prompts.get(org.id, "")
        self.prompts[org.id] = (
            prompt_sections.remove_section(prompt, key)
            if body is None
            else prompt_sections.update_section(prompt, key, body)
        )
        return self.prompts[org.id]


class FakeSecretBox:
    """Reversible and keyed: what one key sealed, another cannot open."""

    def __init__(self, key: str = "k1") -> None:
        self.key = key

    def encrypt(self, plaintext: str) -> str:
        raw = f"{self.key}:{plaintext}".encode()
        return "sealed:" + base64.urlsafe_b64encode(raw).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            raw = base64.urlsafe_b64decode(ciphertext.removeprefix("sealed:"))
            key, _, plaintext = raw.decode().partition(":")
        except ValueError:
            raise SecretUnreadable("not a sealed secret") from None
        if key != self.key or not ciphertext.startswith("sealed:"):
            raise SecretUnreadable("sealed with another key")
        return plaintext


class FakeFeeCheckout(_Provider):
    name = "payment provider"

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[FeeCheckoutRequest] = []

    async def create_fee_checkout(self, request: FeeCheckoutRequest) -> str:
        self._check()
        self.requests.append(request)
        return f"https://pay.example.test/fee/{len(self.requests)}"


if TYPE_CHECKING:
    _telephony: telephony_ports.Telephony = FakeTelephony()
    _dialer: telephony_ports.OutboundDialer = FakeDialer()
    _importer: telephony_ports.NumberImporter = FakeNumberImporter()
    _carrier: telephony_ports.SmsCarrier = FakeSmsCarrier()
    _calendar: telephony_ports.CalendarProvider = FakeCalendarProvider()
    _tools: telephony_ports.AssistantCalendarTools = FakeAssistantCalendarTools()
    _prompts: telephony_ports.PromptSectionWriter = FakePromptSections()
    _box: telephony_ports.SecretBox = FakeSecretBox()
    _fees: telephony_ports.FeeCheckout = FakeFeeCheckout()


# ---------------------------------------------------------------- receptionist


class FakeReceptionistProfiles(_Repo):
    def __init__(self, tables: Tables, db: FakeDatabase) -> None:
        super().__init__(tables)
        self._db = db

    async def get(self, org_id: str, lock: bool = False) -> ReceptionistProfile | None:
        if lock:
            self._db.locked_organizations.append(org_id)
        return self.tables.receptionists.get(org_id)

    async def save(self, profile: ReceptionistProfile) -> None:
        self.tables.receptionists[profile.organization_id] = profile

    async def mark_synced(self, org_id: str, revision: int) -> None:
        profile = self.tables.receptionists.get(org_id)
        if profile is not None and profile.synced_revision < revision:
            self.tables.receptionists[org_id] = replace(
                profile, synced_revision=min(revision, profile.revision)
            )

    async def needing_sync(self, after: str | None, limit: int) -> Sequence[str]:
        due = sorted(
            org_id
            for org_id, p in self.tables.receptionists.items()
            if p.needs_sync
            and p.vapi_assistant_id
            and (after is None or org_id > after)
        )
        return due[:limit]


class FakeKnowledgeBase(_Repo):
    async def sections(self, org_id: str) -> Sequence[KnowledgeSection]:
        mine = [s for (o, _), s in self.tables.kb_sections.items() if o == org_id]
        return sorted(mine, key=lambda s: s.key)

    async def save(self, section: KnowledgeSection) -> None:
        self.tables.kb_sections[(section.organization_id, section.key)] = section

    async def delete(self, org_id: str, key: str) -> bool:
        return self.tables.kb_sections.pop((org_id, key), None) is not None

    async def set_file(self, org_id: str, key: str, version: int, file_id: str) -> bool:
        section = self.tables.kb_sections.get((org_id, key))
        if section is None or section.version != version:
            return False
        self.tables.kb_sections[(org_id, key)] = replace(section, file_id=file_id)
        return True

    async def add_upload(self, upload: KnowledgeUpload) -> None:
        self.tables.kb_uploads[(upload.organization_id, upload.file_id)] = upload

    async def take_upload(self, org_id: str, file_id: str) -> KnowledgeUpload | None:
        return self.tables.kb_uploads.pop((org_id, file_id), None)

    async def retire_file(self, org_id: str, file_id: str) -> None:
        self.tables.kb_retired[(org_id, file_id)] = True

    async def retired_files(self, org_id: str) -> Sequence[str]:
        return sorted(f for (o, f) in self.tables.kb_retired if o == org_id)

    async def forget_file(self, org_id: str, file_id: str) -> None:
        self.tables.kb_retired.pop((org_id, file_id), None)


class FakeVoicePlatform:
    """Keeps assistants and files as the platform would. With `failing` every
    call raises `ProviderUnavailable` and changes nothing."""

    def __init__(self) -> None:
        self.failing = False
        self.assistants: dict[str, AssistantConfig] = {}
        self.files: dict[str, tuple[str, bytes, str]] = {}
        self.calls: list[str] = []
        self._next = 0

    def _step(self, name: str) -> None:
        if self.failing:
            raise ProviderUnavailable("voice platform", f"{name} failed")
        self.calls.append(name)

    def _id(self, prefix: str) -> str:
        self._next += 1
        return f"{prefix}_{self._next}"

    async def create_assistant(self, config: AssistantConfig) -> str:
        self._step("create_assistant")
        platform_id = self._id("asst")
        self.assistants[platform_id] = config
        return platform_id

    async def update_assistant(
        self, platform_assistant_id: str, config: AssistantConfig
    ) -> None:
        self._step("update_assistant")
        self.assistants[platform_assistant_id] = config

    async def upload_knowledge_file(
        self, file_name: str, content: bytes, content_type: str
    ) -> KnowledgeFile:
        self._step("upload_knowledge_file")
        file_id = self._id("file")
        self.files[file_id] = (file_name, content, content_type)
        return KnowledgeFile(file_id, file_name, len(content))

    async def delete_file(self, file_id: str) -> None:
        self._step("delete_file")
        self.files.pop(file_id, None)


class FakeVoiceCatalog:
    def __init__(self, voices: Sequence[VoiceOption] = ()) -> None:
        self.failing = False
        self.listed = list(voices) or [
            VoiceOption("pNInz6obpgDQGcFmaJgB", "Savannah", "female", "Warm", None),
            VoiceOption("voice_marcus", "Marcus", "male", "Calm", None),
        ]

    async def voices(self) -> Sequence[VoiceOption]:
        if self.failing:
            raise ProviderUnavailable("voice catalog")
        return list(self.listed)


class FakeLanguageModel:
    """Writes "Written from:" and the material it was given (or `answer`);
    extracts `extracted` whatever the pages say."""

    def __init__(self, extracted: ExtractedBusiness | None = None) -> None:
        self.failing = False
        self.answer: str | None = None
        self.extracted = extracted or ExtractedBusiness()
        self.requests: list[tuple[str, str]] = []

    async def complete(self, instructions: str, material: str, max_chars: int) -> str:
        if self.failing:
            raise ProviderUnavailable("language model")
        self.requests.append((instructions, material))
        if self.answer is not None:
            return self.answer
        return f"Written from:\n{material}"[:max_chars]

    async def extract_business(
        self, url: str, pages: Sequence[WebPage]
    ) -> ExtractedBusiness:
        if self.failing:
            raise ProviderUnavailable("language model")
        return self.extracted


class FakeWebsiteFetcher:
    def __init__(
        self, pages: Sequence[WebPage] = (), warnings: Sequence[str] = ()
    ) -> None:
        self.pages = list(pages)
        self.warnings = list(warnings)
        self.fetched: list[tuple[str, int]] = []

    async def fetch(self, url: str, max_pages: int) -> FetchedSite:
        self.fetched.append((url, max_pages))
        return FetchedSite(self.pages[:max_pages], self.warnings)


class FakeDocumentText:
    """Reads a document as the text after its first line (the magic bytes)."""

    async def extract(self, content: bytes, kind: DocumentKind) -> str:
        _, _, rest = content.partition(b"\n")
        if not rest:
            raise ValidationFailed("file", f"this {kind.value} file cannot be read")
        return rest.decode("utf-8", "replace")


class FakeNumberProvisioner:
    """Buys "+1<area code>555nnnn" numbers for organizations with an active
    assistant and sets them on the organization row, as the phone-numbers
    use case does."""

    @dataclass(frozen=True, slots=True)
    class Line:
        phone_number: str | None

    def __init__(self, db: FakeDatabase) -> None:
        self.db = db
        self.failing = False
        self.requests: list[tuple[str, str | None]] = []

    async def provision(
        self, org: Organization, area_code: str | None
    ) -> FakeNumberProvisioner.Line:
        if self.failing:
            raise ProviderUnavailable("telephony provider", "no number available")
        if not any(
            a.organization_id == org.id for a in self.db.tables.assistants.values()
        ):
            raise ValidationFailed("assistant", "an active assistant is required")
        self.requests.append((org.id, area_code))
        number = f"+1{area_code or '415'}555{len(self.requests):04d}"
        stored = self.db.tables.organizations[org.id]
        self.db.tables.organizations[org.id] = replace(stored, phone_number=number)
        return self.Line(number)


if TYPE_CHECKING:
    from epoch_domain import receptionist_ports as _rp

    _profiles: _rp.ReceptionistProfileRepository = FakeReceptionistProfiles(
        Tables(), FakeDatabase()
    )
    _kb: _rp.KnowledgeBaseRepository = FakeKnowledgeBase(Tables())
    _platform: _rp.VoicePlatform = FakeVoicePlatform()
    _catalog: _rp.VoiceCatalog = FakeVoiceCatalog()
    _model: _rp.LanguageModel = FakeLanguageModel()
    _fetcher: _rp.WebsiteFetcher = FakeWebsiteFetcher()
    _documents: _rp.DocumentText = FakeDocumentText()
    _provisioner: _rp.NumberProvisioner = FakeNumberProvisioner(FakeDatabase())
