"""Registration, credential login, session lookup and sign-out."""

from __future__ import annotations

from dataclasses import dataclass

from epoch_domain.accounts import (
    Organization,
    User,
    check_name,
    check_password,
    normalize_email,
)
from epoch_domain.cycles import UsageCycle, cycle_containing
from epoch_domain.errors import EmailTaken, NotAuthenticated, ValidationFailed
from epoch_domain.plans import Tier, plan_for
from epoch_domain.ports import (
    Clock,
    MailDeliveryFailed,
    Mailer,
    OutgoingMail,
    PasswordHasher,
    Secrets,
    UnitOfWorkFactory,
)
from epoch_domain.sessions import ABSOLUTE_LIFETIME, AuthSession, token_digest

SESSION_TOKEN_PREFIX = "ses_"  # noqa: S105 - a label, not a secret


@dataclass(frozen=True, slots=True)
class Registration:
    organization_id: str
    user_id: str
    welcome_mail_sent: bool


@dataclass(frozen=True, slots=True)
class LoginResult:
    token: str
    session: AuthSession
    user: User


@dataclass(frozen=True, slots=True)
class SessionContext:
    """Who is calling, resolved from a live session."""

    session: AuthSession
    user: User
    organization: Organization


class Accounts:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        hasher: PasswordHasher,
        mailer: Mailer,
        clock: Clock,
        secrets: Secrets,
        app_url: str,
    ) -> None:
        self._uow = uow
        self._hasher = hasher
        self._mailer = mailer
        self._clock = clock
        self._secrets = secrets
        self._app_url = app_url.rstrip("/")
        self._dummy: str | None = None

    async def _dummy_hash(self) -> str:
        """A hash of a secret nobody knows, verified when the email is unknown
        so that both paths cost the same and the answer reveals nothing."""
        if self._dummy is None:
            self._dummy = await self._hasher.hash(self._secrets.token())
        return self._dummy

    async def register(
        self, name: str, email: str, password: str, organization_name: str
    ) -> Registration:
        name = check_name(name, "name")
        organization_name = check_name(organization_name, "organizationName")
        email = normalize_email(email)
        check_password(password)
        password_hash = await self._hasher.hash(password)
        now = self._clock.now()
        org = Organization(
            id=self._secrets.new_id(),
            name=organization_name,
            tier=Tier.FREE,
            created_at=now,
            cycle_anchor=now,
        )
        user = User(
            id=self._secrets.new_id(),
            organization_id=org.id,
            email=email,
            name=name,
            password_hash=password_hash,
        )
        first = cycle_containing(org.cycle_anchor, now)
        async with self._uow() as uow:
            if await uow.users.by_email(email) is not None:
                raise EmailTaken()
            await uow.organizations.add(org)
            await uow.users.add(user)  # a racing twin fails on the unique index
            await uow.cycles.open(
                UsageCycle(
                    id=self._secrets.new_id(),
                    organization_id=org.id,
                    starts_at=first.starts_at,
                    ends_at=first.ends_at,
                    used_ms=0,
                    included_minutes=plan_for(org.tier).included_minutes,
                )
            )
            await uow.commit()
        sent = await self._send_welcome(user, org)
        return Registration(org.id, user.id, sent)

    async def _send_welcome(self, user: User, org: Organization) -> bool:
        mail = OutgoingMail(
            to=user.email,
            subject=f"Welcome to Epoch Voice, {org.name}",
            text=(
                f"Hi {user.name},\n\nYour account for {org.name} is ready. "
                f"Sign in at {self._app_url}/login to set up your receptionist.\n"
            ),
            tags={"kind": "welcome"},
        )
        try:
            await self._mailer.send(mail)
        except MailDeliveryFailed:
            return False
        return True

    async def login(self, email: str, password: str) -> LoginResult:
        try:
            email = normalize_email(email)
        except ValidationFailed:
            raise NotAuthenticated("Invalid email or password") from None
        async with self._uow() as uow:
            user = await uow.users.by_email(email)
        stored = user.password_hash if user else await self._dummy_hash()
        ok = await self._hasher.verify(stored, password)
        if user is None or not ok:
            raise NotAuthenticated("Invalid email or password")
        return await self.start_session(user)

    async def start_session(self, user: User) -> LoginResult:
        now = self._clock.now()
        token = self._secrets.token(SESSION_TOKEN_PREFIX)
        session = AuthSession(
            id=self._secrets.new_id(),
            user_id=user.id,
            organization_id=user.organization_id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + ABSOLUTE_LIFETIME,
        )
        async with self._uow() as uow:
            await uow.sessions.add(session, token_digest(token))
            await uow.commit()
        return LoginResult(token, session, user)

    async def resolve(self, token: str) -> SessionContext:
        now = self._clock.now()
        async with self._uow() as uow:
            session = await uow.sessions.by_digest(token_digest(token))
            if session is None or not session.is_live(now):
                raise NotAuthenticated()
            user = await uow.users.get(session.user_id)
            org = await uow.organizations.get(session.organization_id)
            if user is None or org is None:
                raise NotAuthenticated()
            if session.needs_touch(now):
                await uow.sessions.touch(session.id, now)
                await uow.commit()
        return SessionContext(session, user, org)

    async def sign_out(self, token: str) -> None:
        now = self._clock.now()
        async with self._uow() as uow:
            session = await uow.sessions.by_digest(token_digest(token))
            if session is not None and session.revoked_at is None:
                await uow.sessions.revoke(session.id, now)
                await uow.commit()
