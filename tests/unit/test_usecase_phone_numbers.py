"""Phone numbers over the fakes: the overview, search bounds, and
provisioning that resumes instead of buying twice."""

from __future__ import annotations

import pytest

from epoch_domain.errors import ProviderUnavailable, ValidationFailed
from epoch_domain.integrations import NumberProvisioning
from epoch_domain.plans import Tier
from epoch_domain.usecases.phone_numbers import NumberAlreadyProvisioned, PhoneNumbers
from tests.unit.telephony_world import World

pytestmark = pytest.mark.anyio


@pytest.fixture
def world() -> World:
    return World()


def numbers(world: World) -> PhoneNumbers:
    return PhoneNumbers(world.uow, world.telephony, world.importer)


async def test_the_overview_of_a_new_organization_is_empty(world: World) -> None:
    org = world.organization("o1", Tier.FREE)
    overview = await numbers(world).overview(org)
    assert overview.provisioning == NumberProvisioning("o1")
    assert (overview.has_assistant, overview.has_sip_trunk) == (False, False)
    assert overview.assistant_name is None


async def test_provisioning_buys_imports_and_records_the_number(world: World) -> None:
    org = world.organization("o1", Tier.FREE)
    world.assistant("o1")
    result = await numbers(world).provision(org, " 212 ")
    assert result.phone_number == "+12125552001"
    assert result.complete
    assert world.importer.imported == [(world.telephony.bought[0], "vapi-asst-o1")]
    assert world.t.phone_numbers["o1"] == result
    # The organization row carries the number, so calls find their owner.
    assert world.t.organizations["o1"].vapi_phone_number_id == "vapi-number-1"
    assert world.db.locked_organizations == ["o1"]
    overview = await numbers(world).overview(org)
    assert overview.has_sip_trunk
    assert overview.assistant_name == "Reception AI"


async def test_a_second_provisioning_is_a_conflict(world: World) -> None:
    org = world.organization("o1", Tier.FREE)
    world.assistant("o1")
    await numbers(world).provision(org, None)
    with pytest.raises(NumberAlreadyProvisioned):
        await numbers(world).provision(org, None)
    assert len(world.telephony.bought) == 1


async def test_a_failed_import_is_resumed_without_buying_again(world: World) -> None:
    org = world.organization("o1", Tier.FREE)
    world.assistant("o1")
    world.importer.down = True
    with pytest.raises(ProviderUnavailable):
        await numbers(world).provision(org, "415")
    half = world.t.phone_numbers["o1"]
    assert half.bought
    assert not half.complete
    world.importer.down = False
    done = await numbers(world).provision(org, "999")  # the area code no longer matters
    assert len(world.telephony.bought) == 1
    assert done.phone_number == half.phone_number
    assert done.complete


async def test_provisioning_needs_an_active_assistant(world: World) -> None:
    org = world.organization("o1", Tier.FREE)
    world.assistant("o1", active=False)
    with pytest.raises(ValidationFailed) as raised:
        await numbers(world).provision(org, None)
    assert raised.value.field == "assistant"
    assert world.telephony.bought == []


@pytest.mark.parametrize("code", ["41", "4155", "015", "1xx", "４１５"])
async def test_a_bad_area_code_is_refused_before_buying(
    world: World, code: str
) -> None:
    org = world.organization("o1", Tier.FREE)
    world.assistant("o1")
    with pytest.raises(ValidationFailed) as raised:
        await numbers(world).provision(org, code)
    assert raised.value.field == "areaCode"
    assert world.telephony.bought == []


async def test_search_passes_the_checked_query_and_caps_the_list(
    world: World,
) -> None:
    found = await numbers(world).search("415", "  San Francisco ", 5)
    assert len(found) == 5
    assert all(n.phone_number.startswith("+1415") for n in found)
    query = world.telephony.searches[0]
    assert (query.area_code, query.locality, query.limit) == ("415", "San Francisco", 5)
    default = await numbers(world).search(None, None, None)
    assert len(default) == 5


@pytest.mark.parametrize(
    ("area", "locality", "limit", "field"),
    [
        ("41", None, 5, "areaCode"),
        (None, None, 0, "limit"),
        (None, None, 21, "limit"),
        (None, "x" * 65, 5, "locality"),
    ],
)
async def test_bad_searches_are_refused(
    world: World, area: str | None, locality: str | None, limit: int, field: str
) -> None:
    with pytest.raises(ValidationFailed) as raised:
        await numbers(world).search(area, locality, limit)
    assert raised.value.field == field
    assert world.telephony.searches == []


async def test_limits_one_and_twenty_are_accepted(world: World) -> None:
    assert len(await numbers(world).search(None, None, 1)) == 1
    assert len(await numbers(world).search(None, None, 20)) == 20
