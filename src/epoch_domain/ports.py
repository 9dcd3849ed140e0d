"""The ports: what the domain needs from the outside world, in its own words.

Adapters in `epoch_adapters` implement these protocols; the in-memory fakes in
`tests/fakes.py` implement them for the domain's tests.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from types import TracebackType
from typing import Any, Protocol, Self

from epoch_domain.accounts import Organization, User
from epoch_domain.assistants import Assistant
from epoch_domain.auth_tokens import AuthToken, TokenKind
from epoch_domain.billing import (
    BillingCandidate,
    Charge,
    ChargeAttempt,
    ChargeResult,
    CheckoutRequest,
    PendingCharge,
    PortalRequest,
    StoredEvent,
)
from epoch_domain.calls import Call
from epoch_domain.cycles import UsageCycle
from epoch_domain.errors import EpochError
from epoch_domain.overage import CycleOverage, OverageRecord
from epoch_domain.plans import Tier
from epoch_domain.receptionist_ports import (
    KnowledgeBaseRepository,
    ReceptionistProfileRepository,
)
from epoch_domain.sessions import AuthSession
from epoch_domain.subscription import BillingEvent, SubscriptionState
from epoch_domain.telephony_ports import (
    A2PRepository,
    CalendarRepository,
    CallLookup,
    EmbedTokenRepository,
    PhoneNumberRepository,
    SmsLogRepository,
)


class Clock(Protocol):
    def now(self) -> datetime: ...


class Secrets(Protocol):
    """Identifiers and unguessable tokens."""

    def new_id(self) -> str: ...

    def token(self, prefix: str = "") -> str: ...


class PasswordHasher(Protocol):
    async def hash(self, password: str) -> str: ...

    async def verify(self, password_hash: str, password: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class OutgoingMail:
    to: str
    subject: str
    text: str
    tags: Mapping[str, str] = field(default_factory=dict)


class MailDeliveryFailed(EpochError):
    """The mail server refused or could not be reached."""


class Mailer(Protocol):
    async def send(self, mail: OutgoingMail) -> None:
        """Deliver one message or raise `MailDeliveryFailed`."""


class OrganizationRepository(Protocol):
    async def add(self, org: Organization) -> None: ...

    async def lock(self, org_id: str) -> None:
        """Hold the organization's row until the unit of work ends."""

    async def get(self, org_id: str) -> Organization | None: ...


class UserRepository(Protocol):
    async def add(self, user: User) -> None: ...

    async def get(self, user_id: str) -> User | None: ...

    async def by_email(self, email: str) -> User | None: ...


class SessionRepository(Protocol):
    async def add(self, session: AuthSession, token_digest: str) -> None: ...

    async def by_digest(self, token_digest: str) -> AuthSession | None: ...

    async def touch(self, session_id: str, now: datetime) -> None: ...

    async def revoke(self, session_id: str, now: datetime) -> None: ...

    async def revoke_all_for_user(
        self, user_id: str, now: datetime, keep: str | None = None
    ) -> int: ...


class AuthTokenRepository(Protocol):
    """Mailed one-time tokens, kept by digest only."""

    async def add(self, token: AuthToken, token_digest: str) -> None: ...

    async def lock_by_digest(self, token_digest: str) -> AuthToken | None:
        """The token, its row held until the unit of work ends."""

    async def mark_used(self, token_id: str, now: datetime) -> None: ...

    async def spend_unused(
        self, user_id: str, now: datetime, kind: TokenKind | None = None
    ) -> int:
        """Mark every unused token of the user (of one kind, or all) as spent."""


class CredentialRepository(Protocol):
    async def set_password(
        self, user_id: str, password_hash: str, now: datetime
    ) -> None:
        """Store a new hash and lift any forced-change flag."""

    async def require_change(self, user_id: str) -> bool:
        """Flag the user for a forced password change; False if no such user."""


@dataclass(frozen=True, slots=True)
class OrganizationSummary:
    organization: Organization
    user_count: int


class OrganizationDirectory(Protocol):
    """The operator's view across organizations (admin routes only)."""

    async def search(
        self, query: str | None, limit: int, offset: int
    ) -> tuple[Sequence[OrganizationSummary], int]:
        """A page of organizations, newest first, and the total that match."""

    async def members(self, org_id: str) -> Sequence[User]: ...

    async def set_tier(self, org_id: str, tier: Tier, included_minutes: int) -> bool:
        """Change the plan (and the open cycle's allowance); False if absent."""


class AssistantRepository(Protocol):
    async def add(self, assistant: Assistant) -> None: ...

    async def get(self, org_id: str, assistant_id: str) -> Assistant | None: ...

    async def list_with_call_counts(self, org_id: str) -> Sequence[Assistant]: ...

    async def count(self, org_id: str) -> int: ...

    async def exists_platform_id(self, vapi_assistant_id: str) -> bool: ...

    async def rename(self, org_id: str, assistant_id: str, name: str) -> bool: ...

    async def delete(self, org_id: str, assistant_id: str) -> bool: ...

    async def organization_for(
        self, vapi_assistant_id: str | None, vapi_phone_number_id: str | None
    ) -> tuple[str, str | None] | None:
        """The (organization id, assistant id) a platform call belongs to."""


@dataclass(frozen=True, slots=True)
class LockedCall:
    """A call row held under a lock for the rest of the unit of work."""

    call: Call
    metered_ms: int | None


class CallRepository(Protocol):
    async def lock_or_create(
        self,
        platform_call_id: str,
        organization_id: str | None,
        assistant_id: str | None,
        now: datetime,
    ) -> LockedCall: ...

    async def save(self, call: Call, now: datetime) -> None: ...

    async def mark_metered(
        self, call_id: str, ms: int, cycle_id: str, now: datetime
    ) -> None: ...

    async def get(self, org_id: str, call_id: str) -> Call | None: ...

    async def recent(self, org_id: str, limit: int) -> Sequence[Call]: ...

    async def daily_minutes(
        self, org_id: str, since: datetime
    ) -> Sequence[tuple[date, int, int]]:
        """(day, calls, metered ms) per UTC day since `since`, oldest first."""


@dataclass(frozen=True, slots=True)
class DueCycle:
    cycle: UsageCycle
    anchor: datetime
    tier: Tier


class UsageCycleRepository(Protocol):
    async def open(self, cycle: UsageCycle) -> bool:
        """Insert a new open cycle; False when one already exists for it."""

    async def current(self, org_id: str) -> UsageCycle | None: ...

    async def add_usage(self, org_id: str, ms: int) -> str | None:
        """Add `ms` to the open cycle and return its id (None if none is open)."""

    async def lock_due(
        self, now: datetime, limit: int, exclude: Sequence[str] = ()
    ) -> Sequence[DueCycle]:
        """Open cycles that have ended, locked and skipped by concurrent runs."""

    async def count_not_due(self, now: datetime) -> int: ...

    async def close(self, cycle_id: str, now: datetime) -> None: ...


class WebhookEventRepository(Protocol):
    async def store(
        self,
        provider: str,
        event_type: str,
        payload: Mapping[str, Any],
        external_id: str | None,
        now: datetime,
    ) -> tuple[str, bool]:
        """Keep the raw event; returns (id, newly stored)."""

    async def mark_processed(
        self, event_id: str, now: datetime, error: str | None = None
    ) -> None: ...


class Payments(Protocol):
    """The payment provider: checkout, portal, subscriptions, charges, events."""

    async def create_checkout(self, request: CheckoutRequest) -> str:
        """A checkout page's URL; raises `PaymentProviderFailed`."""

    async def create_portal(self, request: PortalRequest) -> str:
        """A billing portal page's URL; raises `PaymentProviderFailed`."""

    async def cancel_at_period_end(self, subscription_id: str) -> None: ...

    async def resume(self, subscription_id: str) -> None:
        """Undo a pending cancellation at the provider."""

    async def charge(self, charge: Charge) -> ChargeResult:
        """Charge once per idempotency key: the same key returns the same
        result. Never raises for a decline (DECLINED) or an unknown outcome
        (ERROR)."""

    def read_event(
        self, payload: bytes, signature: str | None
    ) -> tuple[Mapping[str, Any], BillingEvent | None]:
        """Verify the signature and read the event (raw dict, and the event in
        our terms or None for a type we do not act on); raises
        `ValidationFailed` for a bad, missing or stale signature."""


class BillingRepository(Protocol):
    async def subscription(
        self, org_id: str, lock: bool = False
    ) -> SubscriptionState | None: ...

    async def save_subscription(self, org_id: str, state: SubscriptionState) -> None:
        """Store the state; a plan change also resizes the open cycle."""

    async def organization_for_event(
        self,
        organization_ref: str | None,
        customer_id: str | None,
        subscription_id: str | None,
    ) -> str | None: ...

    async def organization_with_customer(self, customer_id: str) -> str | None:
        """The organization holding this provider customer id, if any."""

    async def lock_event(self, event_id: str) -> StoredEvent | None: ...

    async def records(self, org_id: str, limit: int) -> Sequence[OverageRecord]: ...

    async def unbilled_cycles(
        self, org_id: str
    ) -> tuple[CycleOverage | None, Sequence[CycleOverage]]:
        """(the open cycle, every cycle with overage not yet on a record)."""

    async def lock_candidates(
        self, cut_off: datetime, after: str | None, limit: int
    ) -> Sequence[BillingCandidate]:
        """Organizations (by id, after `after`) with unbilled overage, their
        cycles locked, usage summed over calls metered before `cut_off`."""

    async def insert_records(self, records: Sequence[OverageRecord]) -> set[str]:
        """Insert, skipping weeks already recorded; returns the organization
        ids whose record was inserted."""

    async def mark_billed(self, marks: Mapping[str, int]) -> None:
        """cycle id -> overage ms now on records (or waived)."""

    async def lock_pending(
        self, limit: int, exclude: Sequence[str] = ()
    ) -> Sequence[PendingCharge]: ...

    async def finish_charges(
        self, attempts: Sequence[ChargeAttempt], now: datetime
    ) -> None: ...

    async def requeue_failed(self, now: datetime, limit: int) -> Sequence[str]:
        """Failed records due for another try become PENDING with one more
        attempt; returns their ids."""

    async def count_organizations(self) -> int: ...


class UnitOfWork(Protocol):
    """One database transaction and the repositories that share it."""

    organizations: OrganizationRepository
    users: UserRepository
    sessions: SessionRepository
    assistants: AssistantRepository
    calls: CallRepository
    cycles: UsageCycleRepository
    webhook_events: WebhookEventRepository
    billing: BillingRepository
    auth_tokens: AuthTokenRepository
    credentials: CredentialRepository
    directory: OrganizationDirectory
    # Receptionist profile and knowledge base (see receptionist_ports.py).
    receptionists: ReceptionistProfileRepository
    knowledge_base: KnowledgeBaseRepository
    # Telephony, messaging and widget (see telephony_ports.py).
    platform_calls: CallLookup
    sms: SmsLogRepository
    phone_numbers: PhoneNumberRepository
    calendars: CalendarRepository
    embed_tokens: EmbedTokenRepository
    a2p: A2PRepository

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...


UnitOfWorkFactory = Callable[[], UnitOfWork]
