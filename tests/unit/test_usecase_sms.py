"""SMS over the fakes: the A2P gate, the log, inbound messages, delivery
reports that never go backwards, and pages that add up."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from epoch_domain.a2p import A2PStatus
from epoch_domain.accounts import Organization
from epoch_domain.errors import PlanRequired, ProviderUnavailable, ValidationFailed
from epoch_domain.plans import Tier
from epoch_domain.sms import (
    MAX_BODY_CHARS,
    SmsDirection,
    SmsMessage,
    SmsNotAllowed,
    SmsStatus,
    advance_status,
    check_body,
    check_page,
    total_pages,
)
from epoch_domain.usecases.sms import InboundSms, Sms, StatusReport
from tests.unit.telephony_world import NOW, World

pytestmark = pytest.mark.anyio


@pytest.fixture
def world() -> World:
    return World()


def sms(world: World, reply: str | None = None) -> Sms:
    return Sms(world.uow, world.clock, world.secrets, world.carrier, reply)


def approved(world: World, tier: Tier = Tier.PRO) -> Organization:
    org = world.organization("o1", tier)
    world.number("o1")
    world.a2p("o1", A2PStatus.CAMPAIGN_APPROVED)
    return org


# ---------------------------------------------------------------- sending


async def test_sending_goes_through_the_messaging_service_and_is_logged(
    world: World,
) -> None:
    org = approved(world)
    message = await sms(world).send(org, "(415) 555-2671", "  See you at 2pm!  ")
    sent = world.carrier.sent[0]
    assert (sent.messaging_service_id, sent.to_number) == ("MG1", "+14155552671")
    assert sent.body == "See you at 2pm!"
    assert sent.message_id == message.id
    assert message.direction is SmsDirection.OUTBOUND
    assert message.status is SmsStatus.QUEUED
    assert message.provider_id is not None
    assert message.provider_id.startswith("SM")
    assert message.from_number == "+14155550100"
    assert world.t.sms[message.id] == message


@pytest.mark.parametrize(
    "status",
    [s for s in A2PStatus if s is not A2PStatus.CAMPAIGN_APPROVED],
)
async def test_sending_needs_an_approved_campaign(
    world: World, status: A2PStatus
) -> None:
    org = approved(world)
    world.a2p("o1", status)
    with pytest.raises(SmsNotAllowed) as raised:
        await sms(world).send(org, "+14155552671", "Hello there")
    assert raised.value.a2p_status == status.value
    assert world.carrier.sent == []
    assert world.t.sms == {}


async def test_sending_is_pro_and_up(world: World) -> None:
    org = approved(world, Tier.ADVANCED)
    with pytest.raises(PlanRequired):
        await sms(world).send(org, "+14155552671", "Hello there")


@pytest.mark.parametrize(
    ("to", "body", "field"),
    [
        ("not a number", "hi", "to"),
        ("+14155552671", "   ", "body"),
        ("+14155552671", "x" * (MAX_BODY_CHARS + 1), "body"),
        ("+14155552671", "nul \x00 byte", "body"),
    ],
)
async def test_bad_input_is_refused_naming_the_field(
    world: World, to: str, body: str, field: str
) -> None:
    org = approved(world)
    with pytest.raises(ValidationFailed) as raised:
        await sms(world).send(org, to, body)
    assert raised.value.field == field
    assert world.carrier.sent == []


def test_a_body_of_exactly_the_limit_passes_and_keeps_line_breaks() -> None:
    assert check_body("a\nb") == "a\nb"
    assert len(check_body("x" * MAX_BODY_CHARS)) == MAX_BODY_CHARS


async def test_a_carrier_outage_logs_the_message_failed(world: World) -> None:
    org = approved(world)
    world.carrier.down = True
    with pytest.raises(ProviderUnavailable):
        await sms(world).send(org, "+14155552671", "Hello there")
    (message,) = world.t.sms.values()
    assert message.status is SmsStatus.FAILED
    assert message.error_code == "provider_unavailable"


async def test_a_report_before_the_carriers_answer_finds_the_message(
    world: World,
) -> None:
    org = approved(world)
    service = sms(world)
    message = await service.send(org, "+14155552671", "Hello there")
    # As it stood between logging and the carrier's answer.
    world.t.sms[message.id] = replace(message, provider_id=None)
    updated = await service.report_status(
        StatusReport("SMnew", "delivered", message_id=message.id)
    )
    assert updated is not None
    assert (updated.status, updated.provider_id) == (SmsStatus.DELIVERED, "SMnew")


# ---------------------------------------------------------------- reports


async def test_a_late_sent_never_overwrites_delivered(world: World) -> None:
    org = approved(world)
    service = sms(world)
    message = await service.send(org, "+14155552671", "Hello there")
    sid = message.provider_id
    await service.report_status(StatusReport(sid, "delivered"))
    after = await service.report_status(StatusReport(sid, "sent"))
    assert after is not None
    assert after.status is SmsStatus.DELIVERED


async def test_undelivered_keeps_its_error_code(world: World) -> None:
    org = approved(world)
    service = sms(world)
    message = await service.send(org, "+14155552671", "Hello there")
    after = await service.report_status(
        StatusReport(message.provider_id, "undelivered", "30003")
    )
    assert after is not None
    assert (after.status, after.error_code) == (SmsStatus.UNDELIVERED, "30003")


async def test_reports_about_unknown_messages_or_statuses_change_nothing(
    world: World,
) -> None:
    org = approved(world)
    service = sms(world)
    message = await service.send(org, "+14155552671", "Hello there")
    assert await service.report_status(StatusReport("SMnobody", "delivered")) is None
    assert await service.report_status(StatusReport(message.provider_id, "??")) is None
    assert await service.report_status(StatusReport(None, "sent")) is None
    assert world.t.sms[message.id].status is SmsStatus.QUEUED


statuses = st.sampled_from([s for s in SmsStatus if s is not SmsStatus.RECEIVED])


@given(reports=st.lists(st.tuples(statuses, st.sampled_from([None, "30003"]))))
def test_status_never_goes_backwards_whatever_the_order(
    reports: list[tuple[SmsStatus, str | None]],
) -> None:
    message = SmsMessage(
        "m", "o", SmsDirection.OUTBOUND, "+1", "+1", "b", SmsStatus.QUEUED, NOW
    )
    ranks = [message.status.rank]
    for status, code in reports:
        message = advance_status(message, status, code, NOW)
        ranks.append(message.status.rank)
    assert ranks == sorted(ranks)
    assert message.status.rank == max(
        [SmsStatus.QUEUED.rank] + [s.rank for s, _ in reports]
    )
    if message.error_code is not None:
        assert any(s.is_failure for s, _ in reports)


@given(reports=st.permutations(["queued", "sending", "sent", "delivered", "read"]))
def test_any_order_of_a_full_delivery_ends_read(reports: list[str]) -> None:
    message = SmsMessage(
        "m", "o", SmsDirection.OUTBOUND, "+1", "+1", "b", SmsStatus.QUEUED, NOW
    )
    for raw in reports:
        status = SmsStatus.from_carrier(raw)
        assert status is not None
        message = advance_status(message, status, None, NOW)
    assert message.status is SmsStatus.READ


# ---------------------------------------------------------------- inbound


async def test_an_inbound_message_is_logged_once_for_the_numbers_owner(
    world: World,
) -> None:
    approved(world)
    service = sms(world, reply="Thanks, we got your message.")
    inbound = InboundSms("SMin1", "+15559876543", "+14155550100", "Hello!")
    first = await service.receive(inbound)
    again = await service.receive(inbound)
    assert (first.organization_id, first.logged) == ("o1", True)
    assert first.reply == "Thanks, we got your message."
    assert (again.logged, again.reply) == (False, None)
    (message,) = world.t.sms.values()
    assert message.direction is SmsDirection.INBOUND
    assert message.status is SmsStatus.RECEIVED
    assert (message.from_number, message.body) == ("+15559876543", "Hello!")


async def test_an_inbound_message_to_an_unknown_number_is_ignored(
    world: World,
) -> None:
    for to in ("+14155559999", "not a number"):
        result = await sms(world).receive(InboundSms("SMx", "+15559876543", to, "Hi"))
        assert (result.organization_id, result.logged, result.reply) == (
            None,
            False,
            None,
        )
    assert world.t.sms == {}


# ---------------------------------------------------------------- logs


async def test_logs_page_newest_first_with_a_direction_filter(world: World) -> None:
    org = approved(world)
    service = sms(world)
    for n in range(5):
        world.clock.advance(timedelta(minutes=1))
        await service.send(org, "+14155552671", f"Message number {n}")
    await service.receive(InboundSms("SMin", "+15559876543", "+14155550100", "Hi"))
    page = await service.logs(org, 1, 2, "outbound")
    assert [m.body for m in page.logs] == ["Message number 4", "Message number 3"]
    assert (page.total, page.total_pages) == (5, 3)
    inbound = await service.logs(org, None, None, "INBOUND")
    assert [m.body for m in inbound.logs] == ["Hi"]
    everything = await service.logs(org, 1, 20, None)
    assert everything.total == 6
    beyond = await service.logs(org, 9, 20, None)
    assert (beyond.logs, beyond.total) == ([], 6)


async def test_logs_are_scoped_to_the_organization(world: World) -> None:
    approved(world)
    await sms(world).send(world.t.organizations["o1"], "+14155552671", "Hello there")
    other = world.organization("o2", Tier.PRO)
    page = await sms(world).logs(other, 1, 20, None)
    assert (page.logs, page.total, page.total_pages) == ([], 0, 0)


@pytest.mark.parametrize(
    ("page", "limit", "direction", "field"),
    [
        (0, 20, None, "page"),
        (1, 0, None, "limit"),
        (1, 101, None, "limit"),
        (1, 20, "sideways", "direction"),
    ],
)
async def test_bad_paging_is_refused(
    world: World, page: int, limit: int, direction: str | None, field: str
) -> None:
    org = approved(world)
    with pytest.raises(ValidationFailed) as raised:
        await sms(world).logs(org, page, limit, direction)
    assert raised.value.field == field


@given(
    total=st.integers(min_value=0, max_value=10**6),
    limit=st.integers(min_value=1, max_value=100),
)
def test_total_pages_hold_every_row_and_no_empty_page(total: int, limit: int) -> None:
    pages = total_pages(total, limit)
    assert pages * limit >= total
    assert (pages - 1) * limit < total or pages == 0
    assert (pages == 0) == (total == 0)


def test_the_spec_example_of_156_rows_is_8_pages() -> None:
    assert total_pages(156, 20) == 8
    assert check_page(3, 20).offset == 40
