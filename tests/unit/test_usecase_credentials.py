"""Password reset, password change and magic links over the fakes: a mailed
token is spent at most once, within its lifetime, for its own purpose."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from epoch_domain.auth_tokens import LIFETIME, TokenKind
from epoch_domain.errors import TokenRejected, ValidationFailed
from epoch_domain.sessions import token_digest
from epoch_domain.usecases.accounts import Accounts, SessionContext
from epoch_domain.usecases.credentials import Credentials, LinkOutcome
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
EMAIL = "owner@example.com"


class World:
    def __init__(self, failing_mail: bool = False) -> None:
        self.uow = FakeUnitOfWorkFactory()
        self.clock = FakeClock(NOW)
        self.secrets = FakeSecrets()
        self.hasher = FakePasswordHasher()
        self.mailer = FakeMailer(failing=failing_mail)
        self.accounts = Accounts(
            self.uow, self.hasher, self.mailer, self.clock, self.secrets, "https://x"
        )
        self.credentials = Credentials(
            self.uow,
            self.hasher,
            self.mailer,
            self.clock,
            self.secrets,
            self.accounts,
            "https://app.example.com/",
        )

    async def sign_up(self) -> str:
        registration = await self.accounts.register(
            "Olivia Owner", EMAIL, PASSWORD, "Acme Dental"
        )
        return registration.user_id

    def last_token(self) -> str:
        [token] = re.findall(r"token=(\S+)", self.mailer.sent[-1].text)
        return token

    async def can_log_in(self, password: str) -> bool:
        try:
            await self.accounts.login(EMAIL, password)
        except Exception:
            return False
        return True


async def test_a_reset_mail_carries_a_token_stored_only_as_its_digest():
    world = World()
    user_id = await world.sign_up()

    result = await world.credentials.forgot_password(" OWNER@example.com ")

    assert result.outcome is LinkOutcome.SENT
    assert result.user_id == user_id
    mail = world.mailer.sent[-1]
    assert mail.to == EMAIL
    assert "https://app.example.com/reset-password?token=rst_" in mail.text
    token = world.last_token()
    [row] = world.uow.db.tables.auth_tokens.values()
    assert row.token_digest == token_digest(token)
    assert row.token.expires_at - row.token.created_at == timedelta(hours=1)


async def test_an_unknown_email_issues_nothing_and_sends_nothing():
    world = World()
    await world.sign_up()
    sent = len(world.mailer.sent)

    result = await world.credentials.forgot_password("nobody@example.com")

    assert result.outcome is LinkOutcome.NO_ACCOUNT
    assert len(world.mailer.sent) == sent
    assert world.uow.db.tables.auth_tokens == {}


async def test_a_refusing_mailer_keeps_the_token():
    world = World(failing_mail=True)
    await world.accounts.register("O", EMAIL, PASSWORD, "Acme")  # welcome refused

    result = await world.credentials.forgot_password(EMAIL)

    assert result.outcome is LinkOutcome.MAIL_FAILED
    assert len(world.uow.db.tables.auth_tokens) == 1


@given(
    attempts=st.lists(
        st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=2)),
        min_size=1,
        max_size=5,
    ),
    kind=st.sampled_from(list(TokenKind)),
)
async def test_a_token_is_spent_at_most_once_and_only_while_fresh(attempts, kind):
    world = World()
    await world.sign_up()
    if kind is TokenKind.PASSWORD_RESET:
        await world.credentials.forgot_password(EMAIL)
    else:
        await world.credentials.request_magic_link(EMAIL)
    token = world.last_token()
    issued = world.clock.now()

    outcomes = []
    for n, after in enumerate(sorted(attempts)):
        world.clock.set(issued + after)
        try:
            if kind is TokenKind.PASSWORD_RESET:
                await world.credentials.reset_password(token, f"new-password-{n}")
            else:
                await world.credentials.redeem_magic_link(token)
        except TokenRejected as rejected:
            outcomes.append(rejected.reason)
        else:
            outcomes.append("ok")

    fresh = sorted(attempts)[0] < LIFETIME[kind]
    first = "ok" if fresh else "expired"
    rest = "used" if fresh else "expired"
    assert outcomes == [first] + [rest] * (len(attempts) - 1)


async def test_a_reset_ends_every_session_and_sets_the_password():
    world = World()
    await world.sign_up()
    one = await world.accounts.login(EMAIL, PASSWORD)
    two = await world.accounts.login(EMAIL, PASSWORD)
    await world.credentials.forgot_password(EMAIL)

    await world.credentials.reset_password(world.last_token(), "a-new-password")

    for login in (one, two):
        with pytest.raises(Exception, match="Authentication required"):
            await world.accounts.resolve(login.token)
    assert await world.can_log_in("a-new-password")
    assert not await world.can_log_in(PASSWORD)


async def test_forced_is_honoured_only_for_a_flagged_account():
    world = World()
    user_id = await world.sign_up()
    login = await world.accounts.login(EMAIL, PASSWORD)
    ctx: SessionContext = await world.accounts.resolve(login.token)

    with pytest.raises(ValidationFailed) as refused:
        await world.credentials.change_password(ctx, None, "forced-new-pass", True)
    assert refused.value.field == "currentPassword"

    async with world.uow() as uow:
        await uow.credentials.require_change(user_id)
        await uow.commit()
    other = await world.accounts.login(EMAIL, PASSWORD)

    revoked = await world.credentials.change_password(
        ctx, None, "forced-new-pass", True
    )

    assert revoked == 1  # the other session; this one stays
    assert (
        await world.accounts.resolve(login.token)
    ).user.must_change_password is False
    with pytest.raises(Exception, match="Authentication required"):
        await world.accounts.resolve(other.token)
    assert await world.can_log_in("forced-new-pass")
