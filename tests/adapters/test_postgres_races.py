"""Repository behaviour that only a real PostgreSQL can show: unique-index
races lost inside a transaction surface as domain conflicts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from epoch_adapters.postgres.database import create_engine
from epoch_adapters.postgres.unit_of_work import PostgresUnitOfWork
from epoch_adapters.system import SystemSecrets
from epoch_domain.accounts import Organization, User
from epoch_domain.assistants import Assistant, AssistantStatus
from epoch_domain.errors import AssistantAlreadyRegistered, EmailTaken
from epoch_domain.plans import Tier
from tests.conftest import truncate_all

pytestmark = pytest.mark.anyio
NOW = datetime(2026, 3, 1, tzinfo=UTC)
ids = SystemSecrets()


@pytest.fixture
async def uow(database_url):
    await truncate_all(database_url)
    engine = create_engine(database_url, pool_size=2)
    yield lambda: PostgresUnitOfWork(engine, ids.new_id)
    await engine.dispose()


def _org() -> Organization:
    return Organization(ids.new_id(), "Org", Tier.FREE, NOW, NOW)


def _user(org: Organization, email: str) -> User:
    return User(ids.new_id(), org.id, email, "Name", "hash")


async def test_a_second_user_with_the_same_email_is_email_taken(uow):
    org = _org()
    async with uow() as work:
        await work.organizations.add(org)
        await work.users.add(_user(org, "same@example.com"))
        with pytest.raises(EmailTaken):
            await work.users.add(_user(org, "same@example.com"))
        # The savepoint kept the transaction alive: the first user commits.
        await work.commit()
    async with uow() as work:
        assert await work.users.by_email("same@example.com") is not None


async def test_a_vapi_id_taken_by_another_org_is_a_conflict(uow):
    first, second = _org(), _org()

    def assistant(org: Organization) -> Assistant:
        return Assistant(
            ids.new_id(), org.id, "vapi-dup", "A", AssistantStatus.ACTIVE, NOW
        )

    async with uow() as work:
        await work.organizations.add(first)
        await work.organizations.add(second)
        await work.assistants.add(assistant(first))
        with pytest.raises(AssistantAlreadyRegistered):
            await work.assistants.add(assistant(second))


async def test_leaving_without_commit_rolls_back(uow):
    org = _org()
    async with uow() as work:
        await work.organizations.add(org)
    async with uow() as work:
        assert await work.organizations.get(org.id) is None
