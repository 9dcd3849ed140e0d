"""Browser calling and outbound calls over the fakes: plan gate, E.164,
minutes before dialing, the call recorded for polling."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from epoch_domain.accounts import Organization
from epoch_domain.calls import CallEvent, CallEventKind, CallStatus
from epoch_domain.errors import (
    LimitReached,
    NotFound,
    PlanRequired,
    ProviderUnavailable,
    ValidationFailed,
)
from epoch_domain.metering import MS_PER_MINUTE
from epoch_domain.plans import CATALOG, Tier, plan_for
from epoch_domain.usecases.call_events import CallEvents
from epoch_domain.usecases.outbound_calls import (
    BrowserCalling,
    OutboundCalls,
    minutes_available,
)
from tests.unit.telephony_world import NOW, World

pytestmark = pytest.mark.anyio


@pytest.fixture
def world() -> World:
    return World()


def calls(world: World) -> OutboundCalls:
    return OutboundCalls(world.uow, world.clock, world.dialer)


def ready(
    world: World, tier: Tier = Tier.ENTERPRISE, overage: bool = True
) -> Organization:
    org = world.organization("o1", tier, overage)
    world.assistant("o1")
    world.number("o1")
    return org


# ---------------------------------------------------------------- browser token


async def test_browser_token_names_org_and_user_and_lasts_an_hour(
    world: World,
) -> None:
    org = ready(world)
    token = await BrowserCalling(world.uow, world.telephony).token(org, "u7")
    assert token.identity == "org_o1:user_u7"
    assert token.expires_in == 3600
    assert token.phone_number == "+14155550100"
    assert world.telephony.tokens == [("org_o1:user_u7", 3600)]
    assert token.token == "jwt.org_o1:user_u7.3600"


async def test_browser_token_is_enterprise_only(world: World) -> None:
    org = world.organization("o1", Tier.PRO)
    with pytest.raises(PlanRequired) as raised:
        await BrowserCalling(world.uow, world.telephony).token(org, "u1")
    assert raised.value.required == "ENTERPRISE"
    assert world.telephony.tokens == []


# ---------------------------------------------------------------- placing


async def test_an_outbound_call_is_dialed_and_recorded_queued(world: World) -> None:
    org = ready(world)
    call = await calls(world).place(org, "(415) 555-2671")
    request = world.dialer.placed[0]
    assert request.customer_number == "+14155552671"
    assert request.platform_assistant_id == "vapi-asst-o1"
    assert request.platform_phone_number_id == "vapi-num-o1"
    assert call.status is CallStatus.QUEUED
    assert call.customer_number == "+14155552671"
    assert call.call_type == "outboundPhoneCall"
    stored = world.db.call_row("vapi-call-1")
    assert stored is not None
    assert stored.call == call
    assert stored.call.organization_id == "o1"
    assert stored.call.assistant_id == "a-o1"


@pytest.mark.parametrize("number", ["", "555", "1-800-FLOWERS", "+1 (415) 555"])
async def test_a_bad_number_is_refused_before_dialing(
    world: World, number: str
) -> None:
    org = ready(world)
    with pytest.raises(ValidationFailed) as raised:
        await calls(world).place(org, number)
    assert raised.value.field == "customerNumber"
    assert world.dialer.placed == []


async def test_outbound_is_enterprise_only(world: World) -> None:
    org = ready(world, Tier.PRO)
    with pytest.raises(PlanRequired):
        await calls(world).place(org, "+14155552671")
    assert world.dialer.placed == []


async def test_no_minutes_left_and_overage_disabled_refuses_the_call(
    world: World,
) -> None:
    org = ready(world, overage=False)
    world.cycle("o1", 2000 * MS_PER_MINUTE, Tier.ENTERPRISE)
    with pytest.raises(LimitReached) as raised:
        await calls(world).place(org, "+14155552671")
    assert (raised.value.limit, raised.value.allowed) == ("minutes", 2000)
    assert world.dialer.placed == []


async def test_with_overage_enabled_a_used_up_cycle_still_dials(world: World) -> None:
    org = ready(world, overage=True)
    world.cycle("o1", 2500 * MS_PER_MINUTE, Tier.ENTERPRISE)
    await calls(world).place(org, "+14155552671")
    assert len(world.dialer.placed) == 1


async def test_one_millisecond_left_is_enough_to_dial(world: World) -> None:
    org = ready(world, overage=False)
    world.cycle("o1", 2000 * MS_PER_MINUTE - 1, Tier.ENTERPRISE)
    await calls(world).place(org, "+14155552671")
    assert len(world.dialer.placed) == 1


async def test_dialing_needs_a_number_and_an_active_assistant(world: World) -> None:
    org = world.organization("o1")
    world.assistant("o1")
    with pytest.raises(ValidationFailed) as no_number:
        await calls(world).place(org, "+14155552671")
    assert no_number.value.field == "phoneNumber"
    world.number("o1")
    world.t.assistants.clear()
    world.assistant("o1", active=False)
    with pytest.raises(ValidationFailed) as no_assistant:
        await calls(world).place(org, "+14155552671")
    assert no_assistant.value.field == "assistant"
    assert world.dialer.placed == []


async def test_a_platform_failure_records_nothing(world: World) -> None:
    org = ready(world)
    world.dialer.down = True
    with pytest.raises(ProviderUnavailable):
        await calls(world).place(org, "+14155552671")
    assert world.t.calls == {}


async def test_a_webhook_that_came_first_keeps_its_status(world: World) -> None:
    org = ready(world)
    events = CallEvents(world.uow, world.clock)
    await events.ingest(
        CallEvent(
            CallEventKind.STATUS_UPDATE,
            "vapi-call-1",
            platform_assistant_id="vapi-asst-o1",
            status=CallStatus.RINGING,
        ),
        None,
    )
    call = await calls(world).place(org, "+14155552671")
    assert call.status is CallStatus.RINGING
    assert call.customer_number == "+14155552671"
    assert len(world.t.calls) == 1


# ---------------------------------------------------------------- polling


async def test_status_is_404_until_recorded_then_shows_minutes(world: World) -> None:
    org = ready(world)
    with pytest.raises(NotFound):
        await calls(world).status(org, "vapi-call-1")
    await calls(world).place(org, "+14155552671")
    events = CallEvents(world.uow, world.clock)
    await events.ingest(
        CallEvent(
            CallEventKind.END_OF_CALL_REPORT,
            "vapi-call-1",
            platform_assistant_id="vapi-asst-o1",
            started_at=NOW,
            ended_at=NOW + timedelta(minutes=2, seconds=18),
            ended_reason="customer-ended-call",
        ),
        None,
    )
    status = await calls(world).status(org, " vapi-call-1 ")
    assert status.call.status is CallStatus.COMPLETED
    assert status.minutes == 2.3
    assert status.call.ended_reason == "customer-ended-call"


async def test_status_of_another_organizations_call_is_404(world: World) -> None:
    org = ready(world)
    other = world.organization("o2")
    await calls(world).place(org, "+14155552671")
    with pytest.raises(NotFound):
        await calls(world).status(other, "vapi-call-1")


async def test_status_needs_a_call_id(world: World) -> None:
    org = ready(world)
    with pytest.raises(ValidationFailed) as raised:
        await calls(world).status(org, "  ")
    assert raised.value.field == "vapiCallId"


# ---------------------------------------------------------------- the rule


@given(
    tier=st.sampled_from(list(Tier)),
    enabled=st.booleans(),
    used=st.integers(min_value=0, max_value=10**9),
)
def test_minutes_are_available_exactly_when_some_remain_or_overage_applies(
    tier: Tier, enabled: bool, used: int
) -> None:
    plan = plan_for(tier)
    included = plan.included_minutes
    allowed = minutes_available(plan, enabled, used, included)
    remaining = included * MS_PER_MINUTE - used
    assert allowed == (remaining > 0 or (plan.overage_allowed and enabled))


def test_the_free_plan_never_dials_past_its_minutes() -> None:
    free = CATALOG[Tier.FREE]
    assert not minutes_available(free, True, 30 * MS_PER_MINUTE, 30)
