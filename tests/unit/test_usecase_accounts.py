"""The accounts use case (sign-up, login, sessions, sign-out) over the fakes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from epoch_domain.errors import EmailTaken, NotAuthenticated, ValidationFailed
from epoch_domain.plans import Tier, plan_for
from epoch_domain.sessions import (
    ABSOLUTE_LIFETIME,
    IDLE_TIMEOUT,
    TOUCH_INTERVAL,
    token_digest,
)
from epoch_domain.usecases.accounts import SESSION_TOKEN_PREFIX, Accounts
from tests.fakes import (
    FakeClock,
    FakeMailer,
    FakePasswordHasher,
    FakeSecrets,
    FakeUnitOfWorkFactory,
)

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
PASSWORD = "correct horse battery"


class World:
    def __init__(self, failing_mail: bool = False) -> None:
        self.uow = FakeUnitOfWorkFactory()
        self.db = self.uow.db
        self.clock = FakeClock(NOW)
        self.secrets = FakeSecrets()
        self.hasher = FakePasswordHasher()
        self.mailer = FakeMailer(failing=failing_mail)
        self.accounts = Accounts(
            self.uow,
            self.hasher,
            self.mailer,
            self.clock,
            self.secrets,
            "https://app.example.com/",
        )

    async def sign_up(self, email: str = "Owner@Example.com") -> str:
        registration = await self.accounts.register(
            "Olivia Owner", email, PASSWORD, "Acme Dental"
        )
        return registration.organization_id


@pytest.fixture
def world() -> World:
    return World()


# ---------------------------------------------------------------- sign-up


async def test_sign_up_creates_a_free_organization_its_owner_and_first_cycle(
    world: World,
) -> None:
    registration = await world.accounts.register(
        "  Olivia Owner ", "Owner@Example.com", PASSWORD, " Acme Dental "
    )
    tables = world.db.tables
    org = tables.organizations[registration.organization_id]
    user = tables.users[registration.user_id]
    assert (org.name, org.tier, org.cycle_anchor) == ("Acme Dental", Tier.FREE, NOW)
    assert (user.email, user.name, user.role) == (
        "owner@example.com",
        "Olivia Owner",
        "OWNER",
    )
    assert user.organization_id == org.id
    assert user.password_hash == f"hashed:{PASSWORD}"
    (cycle,) = world.db.cycles_of(org.id)
    assert cycle.starts_at == NOW
    assert cycle.ends_at == datetime(2026, 4, 10, 9, 30, tzinfo=UTC)
    assert cycle.used_ms == 0
    assert cycle.included_minutes == plan_for(Tier.FREE).included_minutes
    assert cycle.closed_at is None


async def test_sign_up_sends_a_welcome_mail_with_the_login_link(world: World) -> None:
    registration = await world.accounts.register(
        "Olivia Owner", "owner@example.com", PASSWORD, "Acme Dental"
    )
    assert registration.welcome_mail_sent
    (mail,) = world.mailer.sent
    assert mail.to == "owner@example.com"
    assert "Acme Dental" in mail.subject
    assert "https://app.example.com/login" in mail.text
    assert mail.tags == {"kind": "welcome"}
    assert PASSWORD not in mail.text


async def test_a_mail_failure_does_not_undo_the_sign_up() -> None:
    world = World(failing_mail=True)
    registration = await world.accounts.register(
        "Olivia Owner", "owner@example.com", PASSWORD, "Acme Dental"
    )
    assert not registration.welcome_mail_sent
    assert len(world.mailer.refused) == 1
    assert registration.user_id in world.db.tables.users


async def test_signing_up_twice_with_one_email_is_refused_and_writes_nothing(
    world: World,
) -> None:
    await world.sign_up("owner@example.com")
    before = world.db.tables.copy()
    with pytest.raises(EmailTaken):
        await world.sign_up("  OWNER@example.com ")
    assert world.db.tables == before
    assert world.uow.opened[-1].rolled_back
    assert not world.uow.opened[-1].committed


@pytest.mark.parametrize(
    ("name", "email", "password", "org_name", "field"),
    [
        ("", "a@example.com", PASSWORD, "Acme", "name"),
        ("Olivia", "not-an-email", PASSWORD, "Acme", "email"),
        ("Olivia", "a@example.com", "short", "Acme", "password"),
        ("Olivia", "a@example.com", PASSWORD, "   ", "organizationName"),
        ("Olivia", "a@example.com", "x" * 257, "Acme", "password"),
    ],
)
async def test_bad_sign_up_input_names_the_field_and_touches_nothing(
    world: World, name: str, email: str, password: str, org_name: str, field: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        await world.accounts.register(name, email, password, org_name)
    assert caught.value.field == field
    assert world.uow.opened == []
    assert world.hasher.hashed == 0
    assert world.mailer.sent == []


# ---------------------------------------------------------------- login


async def test_login_with_the_right_password_starts_a_session_kept_by_digest(
    world: World,
) -> None:
    org_id = await world.sign_up()
    result = await world.accounts.login("OWNER@example.com", PASSWORD)
    assert result.token.startswith(SESSION_TOKEN_PREFIX)
    assert result.user.organization_id == org_id
    assert result.session.expires_at == NOW + ABSOLUTE_LIFETIME
    (row,) = world.db.tables.sessions.values()
    assert row.token_digest == token_digest(result.token)
    assert result.token not in repr(world.db.tables)


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("owner@example.com", "wrong password!"),
        ("nobody@example.com", PASSWORD),
        ("not an email", PASSWORD),
    ],
)
async def test_login_failures_all_say_the_same_thing(
    world: World, email: str, password: str
) -> None:
    await world.sign_up("owner@example.com")
    with pytest.raises(NotAuthenticated) as caught:
        await world.accounts.login(email, password)
    assert caught.value.message == "Invalid email or password"
    assert world.db.tables.sessions == {}


async def test_an_unknown_email_still_costs_a_hash_verification(world: World) -> None:
    await world.sign_up("owner@example.com")
    verified = world.hasher.verified
    with pytest.raises(NotAuthenticated):
        await world.accounts.login("nobody@example.com", PASSWORD)
    assert world.hasher.verified == verified + 1


# ---------------------------------------------------------------- sessions


async def test_a_live_session_resolves_to_its_user_and_organization(
    world: World,
) -> None:
    org_id = await world.sign_up()
    login = await world.accounts.login("owner@example.com", PASSWORD)
    context = await world.accounts.resolve(login.token)
    assert context.user.id == login.user.id
    assert context.organization.id == org_id
    assert context.session.id == login.session.id


async def test_resolving_within_the_touch_interval_writes_nothing(
    world: World,
) -> None:
    await world.sign_up()
    login = await world.accounts.login("owner@example.com", PASSWORD)
    commits = world.db.commits
    world.clock.advance(TOUCH_INTERVAL - timedelta(seconds=1))
    await world.accounts.resolve(login.token)
    assert world.db.commits == commits


async def test_resolving_after_the_touch_interval_refreshes_last_seen(
    world: World,
) -> None:
    await world.sign_up()
    login = await world.accounts.login("owner@example.com", PASSWORD)
    world.clock.advance(TOUCH_INTERVAL)
    await world.accounts.resolve(login.token)
    row = world.db.tables.sessions[login.session.id]
    assert row.session.last_seen_at == NOW + TOUCH_INTERVAL


async def test_a_session_idle_for_the_timeout_is_no_longer_accepted(
    world: World,
) -> None:
    await world.sign_up()
    login = await world.accounts.login("owner@example.com", PASSWORD)
    world.clock.advance(IDLE_TIMEOUT)
    with pytest.raises(NotAuthenticated):
        await world.accounts.resolve(login.token)


async def test_a_session_used_every_day_still_ends_at_its_absolute_lifetime(
    world: World,
) -> None:
    await world.sign_up()
    login = await world.accounts.login("owner@example.com", PASSWORD)
    for _ in range(29):
        world.clock.advance(timedelta(days=1))
        await world.accounts.resolve(login.token)
    world.clock.set(NOW + ABSOLUTE_LIFETIME)
    with pytest.raises(NotAuthenticated):
        await world.accounts.resolve(login.token)


async def test_an_unknown_token_is_not_authenticated(world: World) -> None:
    with pytest.raises(NotAuthenticated):
        await world.accounts.resolve("ses_not-a-real-token")


async def test_signing_out_revokes_the_session(world: World) -> None:
    await world.sign_up()
    login = await world.accounts.login("owner@example.com", PASSWORD)
    await world.accounts.sign_out(login.token)
    assert world.db.tables.sessions[login.session.id].session.revoked_at == NOW
    with pytest.raises(NotAuthenticated):
        await world.accounts.resolve(login.token)


async def test_signing_out_twice_or_with_an_unknown_token_is_harmless(
    world: World,
) -> None:
    await world.sign_up()
    login = await world.accounts.login("owner@example.com", PASSWORD)
    await world.accounts.sign_out(login.token)
    world.clock.advance(timedelta(minutes=1))
    await world.accounts.sign_out(login.token)
    await world.accounts.sign_out("ses_unknown")
    assert world.db.tables.sessions[login.session.id].session.revoked_at == NOW


async def test_signing_out_one_session_leaves_the_others_alive(world: World) -> None:
    await world.sign_up()
    first = await world.accounts.login("owner@example.com", PASSWORD)
    second = await world.accounts.login("owner@example.com", PASSWORD)
    await world.accounts.sign_out(first.token)
    context = await world.accounts.resolve(second.token)
    assert context.session.id == second.session.id
