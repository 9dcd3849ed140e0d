"""The assistants use case over the fakes: plan limits, uniqueness, scoping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from epoch_domain.accounts import Organization
from epoch_domain.assistants import AssistantStatus
from epoch_domain.calls import Call, CallStatus
from epoch_domain.errors import (
    AssistantAlreadyRegistered,
    LimitReached,
    NotFound,
    ValidationFailed,
)
from epoch_domain.plans import Tier, plan_for
from epoch_domain.usecases.assistants import Assistants
from tests.fakes import CallRow, FakeClock, FakeSecrets, FakeUnitOfWorkFactory

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)


class World:
    def __init__(self) -> None:
        self.uow = FakeUnitOfWorkFactory()
        self.db = self.uow.db
        self.clock = FakeClock(NOW)
        self.assistants = Assistants(self.uow, self.clock, FakeSecrets())

    def organization(self, org_id: str, tier: Tier = Tier.FREE) -> Organization:
        org = Organization(org_id, f"Org {org_id}", tier, NOW, NOW)
        self.db.tables.organizations[org_id] = org
        return org


@pytest.fixture
def world() -> World:
    return World()


async def test_registering_an_assistant_stores_it_active_under_the_organization(
    world: World,
) -> None:
    org = world.organization("o1")
    assistant = await world.assistants.register(org, "  asst_123 ", "  Front Desk ")
    assert (assistant.vapi_assistant_id, assistant.name) == ("asst_123", "Front Desk")
    assert assistant.status is AssistantStatus.ACTIVE
    assert assistant.organization_id == "o1"
    assert assistant.created_at == NOW
    assert world.db.tables.assistants[assistant.id] == assistant


async def test_registration_locks_the_organization_before_counting(
    world: World,
) -> None:
    org = world.organization("o1")
    await world.assistants.register(org, "asst_1", "Front Desk")
    assert world.db.locked_organizations == ["o1"]


@pytest.mark.parametrize("tier", list(Tier))
async def test_each_plan_stops_at_its_assistant_limit(world: World, tier: Tier) -> None:
    org = world.organization("o1", tier)
    limit = plan_for(tier).assistant_limit
    for n in range(limit):
        await world.assistants.register(org, f"asst_{n}", f"Assistant {n}")
    with pytest.raises(LimitReached) as caught:
        await world.assistants.register(org, "asst_extra", "One too many")
    assert (caught.value.limit, caught.value.allowed, caught.value.plan) == (
        "assistants",
        limit,
        tier.name,
    )
    assert await _count(world, "o1") == limit


async def test_another_organizations_assistants_do_not_count_toward_the_limit(
    world: World,
) -> None:
    first, second = world.organization("o1"), world.organization("o2")
    await world.assistants.register(first, "asst_a", "A")
    await world.assistants.register(second, "asst_b", "B")
    assert await _count(world, "o2") == 1


async def test_a_platform_assistant_registered_anywhere_cannot_be_registered_again(
    world: World,
) -> None:
    first = world.organization("o1", Tier.PRO)
    second = world.organization("o2", Tier.PRO)
    await world.assistants.register(first, "asst_shared", "Mine")
    with pytest.raises(AssistantAlreadyRegistered):
        await world.assistants.register(second, "asst_shared", "Also mine")
    with pytest.raises(AssistantAlreadyRegistered):
        await world.assistants.register(first, "asst_shared", "Again")
    assert await _count(world, "o2") == 0


@pytest.mark.parametrize(
    ("platform_id", "name", "field"),
    [
        ("", "Front Desk", "vapiAssistantId"),
        ("asst 1", "Front Desk", "vapiAssistantId"),
        ("x" * 129, "Front Desk", "vapiAssistantId"),
        ("asst_1", "   ", "name"),
        ("asst_1", "n" * 81, "name"),
    ],
)
async def test_bad_input_names_the_field_and_opens_no_transaction(
    world: World, platform_id: str, name: str, field: str
) -> None:
    org = world.organization("o1")
    with pytest.raises(ValidationFailed) as caught:
        await world.assistants.register(org, platform_id, name)
    assert caught.value.field == field
    assert world.uow.opened == []


async def test_the_list_holds_only_own_assistants_oldest_first_with_call_counts(
    world: World,
) -> None:
    org = world.organization("o1", Tier.PRO)
    other = world.organization("o2", Tier.PRO)
    first = await world.assistants.register(org, "asst_1", "First")
    world.clock.advance(timedelta(minutes=1))
    second = await world.assistants.register(org, "asst_2", "Second")
    await world.assistants.register(other, "asst_3", "Not mine")
    for n in range(3):
        _add_call(world, f"call-{n}", "o1", first.id)
    listed = await world.assistants.list("o1")
    assert [(a.id, a.call_count) for a in listed] == [(first.id, 3), (second.id, 0)]


async def test_renaming_changes_the_name_and_returns_the_assistant(
    world: World,
) -> None:
    org = world.organization("o1")
    assistant = await world.assistants.register(org, "asst_1", "Old")
    renamed = await world.assistants.rename("o1", assistant.id, "  New Name ")
    assert renamed.name == "New Name"
    assert world.db.tables.assistants[assistant.id].name == "New Name"


async def test_another_organizations_assistant_cannot_be_renamed_or_deleted(
    world: World,
) -> None:
    org = world.organization("o1")
    world.organization("o2")
    assistant = await world.assistants.register(org, "asst_1", "Mine")
    with pytest.raises(NotFound):
        await world.assistants.rename("o2", assistant.id, "Stolen")
    with pytest.raises(NotFound):
        await world.assistants.delete("o2", assistant.id)
    assert world.db.tables.assistants[assistant.id].name == "Mine"


async def test_deleting_frees_a_place_under_the_limit(world: World) -> None:
    org = world.organization("o1")
    assistant = await world.assistants.register(org, "asst_1", "Mine")
    await world.assistants.delete("o1", assistant.id)
    assert world.db.tables.assistants == {}
    again = await world.assistants.register(org, "asst_1", "Back again")
    assert again.vapi_assistant_id == "asst_1"


async def test_deleting_an_unknown_assistant_is_not_found(world: World) -> None:
    world.organization("o1")
    with pytest.raises(NotFound):
        await world.assistants.delete("o1", "missing")


async def _count(world: World, org_id: str) -> int:
    return sum(
        1 for a in world.db.tables.assistants.values() if a.organization_id == org_id
    )


def _add_call(world: World, call_id: str, org_id: str, assistant_id: str) -> None:
    call = Call(
        id=call_id,
        organization_id=org_id,
        platform_call_id=f"vapi-{call_id}",
        status=CallStatus.COMPLETED,
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
    world.db.tables.calls[call_id] = CallRow(call, NOW)
