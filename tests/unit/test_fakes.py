"""The fakes keep up with the ports, and the fake unit of work keeps the
Postgres one's promise: nothing uncommitted survives the block."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from epoch_domain import ports
from epoch_domain.accounts import Organization
from epoch_domain.plans import Tier
from tests.fakes import (
    FakeAssistants,
    FakeAuthTokens,
    FakeBilling,
    FakeCalls,
    FakeClock,
    FakeCredentials,
    FakeIntegrityError,
    FakeMailer,
    FakeOrganizationDirectory,
    FakeOrganizations,
    FakePasswordHasher,
    FakePayments,
    FakeSecrets,
    FakeSessions,
    FakeUnitOfWork,
    FakeUnitOfWorkFactory,
    FakeUsageCycles,
    FakeUsers,
    FakeWebhookEvents,
)
from tests.unit.port_conformance import assert_fake_matches, protocols_in

pytestmark = pytest.mark.anyio

FAKES: dict[type[Any], type[Any]] = {
    ports.Clock: FakeClock,
    ports.Secrets: FakeSecrets,
    ports.PasswordHasher: FakePasswordHasher,
    ports.Mailer: FakeMailer,
    ports.OrganizationRepository: FakeOrganizations,
    ports.UserRepository: FakeUsers,
    ports.SessionRepository: FakeSessions,
    ports.AuthTokenRepository: FakeAuthTokens,
    ports.CredentialRepository: FakeCredentials,
    ports.OrganizationDirectory: FakeOrganizationDirectory,
    ports.AssistantRepository: FakeAssistants,
    ports.CallRepository: FakeCalls,
    ports.UsageCycleRepository: FakeUsageCycles,
    ports.WebhookEventRepository: FakeWebhookEvents,
    ports.Payments: FakePayments,
    ports.BillingRepository: FakeBilling,
    ports.UnitOfWork: FakeUnitOfWork,
}
NOW = datetime(2026, 3, 1, tzinfo=UTC)


def test_every_port_has_a_fake() -> None:
    assert protocols_in(ports) == set(FAKES)


@pytest.mark.parametrize("port", sorted(FAKES, key=lambda p: p.__name__))
def test_each_fake_has_every_method_of_its_port_sync_or_async_alike(
    port: type[Any],
) -> None:
    fake = FAKES[port]
    assert_fake_matches(port, fake)


async def test_an_open_unit_of_work_carries_every_repository() -> None:
    async with FakeUnitOfWorkFactory()() as uow:
        for name in ports.UnitOfWork.__annotations__:
            assert hasattr(uow, name), name


def _org(org_id: str) -> Organization:
    return Organization(org_id, "Org", Tier.FREE, NOW, NOW)


async def test_writes_without_commit_are_rolled_back() -> None:
    factory = FakeUnitOfWorkFactory()
    async with factory() as uow:
        await uow.organizations.add(_org("o1"))
    assert factory.db.tables.organizations == {}
    assert factory.opened[0].rolled_back
    assert not factory.opened[0].committed


async def test_an_exception_in_the_block_rolls_back_and_propagates() -> None:
    factory = FakeUnitOfWorkFactory()

    async def fail_half_way() -> None:
        async with factory() as uow:
            await uow.organizations.add(_org("o1"))
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await fail_half_way()
    assert factory.db.tables.organizations == {}


async def test_commit_publishes_and_later_writes_need_their_own_commit() -> None:
    factory = FakeUnitOfWorkFactory()
    async with factory() as uow:
        await uow.organizations.add(_org("o1"))
        await uow.commit()
        await uow.organizations.add(_org("o2"))
    assert set(factory.db.tables.organizations) == {"o1"}
    assert factory.opened[0].committed
    assert factory.opened[0].rolled_back


async def test_a_unit_of_work_does_not_see_another_ones_uncommitted_writes() -> None:
    factory = FakeUnitOfWorkFactory()
    async with factory() as writer:
        await writer.organizations.add(_org("o1"))
        async with factory() as reader:
            assert await reader.organizations.get("o1") is None
        await writer.commit()
    async with factory() as reader:
        assert await reader.organizations.get("o1") is not None


async def test_unique_keys_are_enforced_like_the_database() -> None:
    factory = FakeUnitOfWorkFactory()
    async with factory() as uow:
        await uow.organizations.add(_org("o1"))
        with pytest.raises(FakeIntegrityError):
            await uow.organizations.add(_org("o1"))


def test_fake_secrets_are_deterministic_and_long_enough() -> None:
    first, second = FakeSecrets(), FakeSecrets()
    assert [first.token("ept_") for _ in range(3)] == [
        second.token("ept_") for _ in range(3)
    ]
    assert len(first.token()) >= 43
    assert first.new_id() != first.new_id()
