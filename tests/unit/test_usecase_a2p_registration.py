"""The A2P registration over the fakes: checkout with checked information,
payment, brand and campaign submissions, and the daily status job."""

from __future__ import annotations

from collections.abc import Sequence

import anyio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from epoch_domain.a2p import TRANSITIONS, A2PEvent, A2PStatus
from epoch_domain.a2p_application import (
    BusinessInfo,
    CampaignInfo,
    RepresentativeInfo,
    check_application,
)
from epoch_domain.accounts import Organization
from epoch_domain.errors import (
    A2PPaymentRequired,
    Conflict,
    IllegalA2PTransition,
    PlanRequired,
    ProviderUnavailable,
    ValidationFailed,
)
from epoch_domain.plans import Tier
from epoch_domain.usecases.a2p_registration import A2PRegistrations, PollCounts
from tests.unit.telephony_world import NOW, World

pytestmark = pytest.mark.anyio

BUSINESS = BusinessInfo("Acme Corp", "sole_proprietor", "12-3456789")
PERSON = RepresentativeInfo("Jane", "Smith", "Jane@Acme.com", "(415) 555-2671")
CAMPAIGN = CampaignInfo(
    "appointment_reminders", ["Your appointment is tomorrow at 2pm."]
)


@pytest.fixture
def world() -> World:
    return World()


def a2p(world: World) -> A2PRegistrations:
    return A2PRegistrations(
        world.uow, world.clock, world.carrier, world.fees, 1500, "https://app.test/"
    )


def pro(world: World, org_id: str = "o1") -> Organization:
    org = world.organization(org_id, Tier.PRO)
    world.number(org_id)
    return org


async def paid(world: World, org_id: str = "o1") -> Organization:
    org = pro(world, org_id)
    await a2p(world).checkout(org, "jane@acme.com", BUSINESS, PERSON, CAMPAIGN)
    await a2p(world).record_payment(org_id)
    return org


# ---------------------------------------------------------------- checkout


async def test_checkout_stores_checked_information_and_returns_the_fee_page(
    world: World,
) -> None:
    org = pro(world)
    url = await a2p(world).checkout(org, "jane@acme.com", BUSINESS, PERSON, CAMPAIGN)
    assert url == "https://pay.example.test/fee/1"
    request = world.fees.requests[0]
    assert (request.amount_cents, request.purpose) == (1500, "a2p_registration")
    assert request.success_url == "https://app.test/dashboard/sms?a2p=paid"
    assert request.metadata["organizationId"] == "o1"
    record = world.t.a2p["o1"]
    assert record.status is A2PStatus.NOT_STARTED
    assert record.application is not None
    assert record.application.business.business_type == "SOLE_PROPRIETOR"
    assert record.application.representative.email == "jane@acme.com"
    assert record.application.representative.phone == "+14155552671"


async def test_checkout_after_payment_is_a_conflict(world: World) -> None:
    org = await paid(world)
    with pytest.raises(Conflict):
        await a2p(world).checkout(org, None, BUSINESS, PERSON, CAMPAIGN)
    assert len(world.fees.requests) == 1


async def test_checkout_is_pro_and_up(world: World) -> None:
    org = world.organization("o1", Tier.ADVANCED)
    with pytest.raises(PlanRequired):
        await a2p(world).checkout(org, None, BUSINESS, PERSON, CAMPAIGN)


@pytest.mark.parametrize(
    ("business", "person", "campaign", "field"),
    [
        (
            BusinessInfo("A", "STANDARD", "12-3456789"),
            PERSON,
            CAMPAIGN,
            "businessInfo.businessName",
        ),
        (BusinessInfo("Acme", "LLC"), PERSON, CAMPAIGN, "businessInfo.businessType"),
        (BusinessInfo("Acme", "STANDARD"), PERSON, CAMPAIGN, "businessInfo.ein"),
        (
            BusinessInfo("Acme", "STANDARD", "12-345"),
            PERSON,
            CAMPAIGN,
            "businessInfo.ein",
        ),
        (
            BUSINESS,
            RepresentativeInfo("Jane", "Smith", "nope", "+15551234567"),
            CAMPAIGN,
            "representativeInfo.email",
        ),
        (
            BUSINESS,
            RepresentativeInfo("Jane", "Smith", "j@a.com", "12"),
            CAMPAIGN,
            "representativeInfo.phone",
        ),
        (
            BUSINESS,
            RepresentativeInfo(" ", "Smith", "j@a.com", "+15551234567"),
            CAMPAIGN,
            "representativeInfo.firstName",
        ),
        (
            BUSINESS,
            PERSON,
            CampaignInfo("spam", ["A perfectly fine sample text"]),
            "campaignInfo.useCase",
        ),
        (
            BUSINESS,
            PERSON,
            CampaignInfo("marketing", []),
            "campaignInfo.sampleMessages",
        ),
        (
            BUSINESS,
            PERSON,
            CampaignInfo("marketing", ["too short"]),
            "campaignInfo.sampleMessages",
        ),
    ],
)
async def test_bad_information_is_refused_naming_the_field(
    world: World,
    business: BusinessInfo,
    person: RepresentativeInfo,
    campaign: CampaignInfo,
    field: str,
) -> None:
    org = pro(world)
    with pytest.raises(ValidationFailed) as raised:
        await a2p(world).checkout(org, None, business, person, campaign)
    assert raised.value.field == field
    assert world.t.a2p == {}
    assert world.fees.requests == []


def test_a_standard_brand_keeps_its_ein_normalized_and_campaign_defaults() -> None:
    application = check_application(
        BusinessInfo("  Acme Corp ", "standard", "123456789"), PERSON, CAMPAIGN
    )
    assert application.business.ein == "12-3456789"
    assert application.brand_type.value == "STANDARD"
    assert application.campaign.description == "Messages for appointment reminders."
    assert application.campaign.message_flow


# ---------------------------------------------------------------- payment


async def test_payment_marks_paid_once(world: World) -> None:
    await paid(world)
    record = world.t.a2p["o1"]
    assert (record.status, record.paid_at) == (A2PStatus.PAID, NOW)
    again = await a2p(world).record_payment("o1")
    assert again == record
    overview = await a2p(world).status(world.t.organizations["o1"])
    assert overview.paid
    assert overview.sms_used == 0


# ---------------------------------------------------------------- brand


async def test_initiating_creates_the_service_then_submits_the_brand(
    world: World,
) -> None:
    org = await paid(world)
    record = await a2p(world).initiate(org)
    assert record.status is A2PStatus.BRAND_PENDING
    assert world.carrier.services == [("o1", "PN-o1")]
    assert record.messaging_service_id is not None
    assert record.brand_id is not None
    assert world.carrier.brands[0][1].business.business_name == "Acme Corp"
    assert world.t.a2p["o1"] == record


async def test_initiating_before_payment_needs_the_fee(world: World) -> None:
    org = pro(world)
    with pytest.raises(A2PPaymentRequired):
        await a2p(world).initiate(org)
    assert world.carrier.brands == []


async def test_initiating_while_pending_is_refused(world: World) -> None:
    org = await paid(world)
    await a2p(world).initiate(org)
    with pytest.raises(IllegalA2PTransition):
        await a2p(world).initiate(org)
    assert len(world.carrier.brands) == 1


async def test_a_failed_brand_submission_keeps_the_service_for_the_retry(
    world: World,
) -> None:
    org = await paid(world)
    original = world.carrier.submit_brand_registration

    async def failing(*args: object) -> object:
        raise ProviderUnavailable("SMS carrier")

    world.carrier.submit_brand_registration = failing  # type: ignore[method-assign]
    with pytest.raises(ProviderUnavailable):
        await a2p(world).initiate(org)
    assert world.t.a2p["o1"].status is A2PStatus.PAID
    assert world.t.a2p["o1"].messaging_service_id is not None
    world.carrier.submit_brand_registration = original  # type: ignore[method-assign]
    record = await a2p(world).initiate(org)
    assert record.status is A2PStatus.BRAND_PENDING
    assert len(world.carrier.services) == 1


async def test_a_retry_after_a_failed_brand_is_allowed(world: World) -> None:
    org = await paid(world)
    world.a2p("o1", A2PStatus.BRAND_FAILED, application=world.t.a2p["o1"].application)
    record = await a2p(world).initiate(org)
    assert record.status is A2PStatus.BRAND_PENDING


# ---------------------------------------------------------------- campaign


async def test_a_campaign_needs_an_approved_brand(world: World) -> None:
    org = await paid(world)
    await a2p(world).initiate(org)
    with pytest.raises(IllegalA2PTransition) as raised:
        await a2p(world).submit_campaign(org, CAMPAIGN)
    assert "BRAND_APPROVED" in raised.value.message
    assert world.carrier.campaigns == []


async def test_submitting_a_campaign_after_approval(world: World) -> None:
    org = await paid(world)
    brand = (await a2p(world).initiate(org)).brand_id
    assert brand is not None
    world.carrier.brand_statuses[brand] = "APPROVED"
    assert await a2p(world).poll() == PollCounts(checked=1, updated=1)
    record = await a2p(world).submit_campaign(org, CAMPAIGN)
    assert record.status is A2PStatus.CAMPAIGN_PENDING
    assert record.campaign_id is not None
    service, brand_id, campaign = world.carrier.campaigns[0]
    assert (service, brand_id) == (record.messaging_service_id, brand)
    assert campaign.use_case == "appointment_reminders"


# ---------------------------------------------------------------- the job


async def test_the_job_applies_reports_and_counts(world: World) -> None:
    for org_id, status in (
        ("o1", A2PStatus.BRAND_PENDING),
        ("o2", A2PStatus.CAMPAIGN_PENDING),
        ("o3", A2PStatus.CAMPAIGN_PENDING),
        ("o4", A2PStatus.CAMPAIGN_APPROVED),
    ):
        pro(world, org_id)
        world.a2p(org_id, status, brand_id=f"BN-{org_id}", campaign_id=f"QE-{org_id}")
    world.carrier.brand_statuses["BN-o1"] = "IN_REVIEW"
    world.carrier.campaign_statuses["QE-o2"] = "VERIFIED"
    world.carrier.campaign_statuses["QE-o3"] = "FAILED"
    world.carrier.campaign_statuses["QE-o4"] = "VERIFIED"
    counts = await a2p(world).poll()
    assert counts == PollCounts(checked=4, updated=2)
    assert world.t.a2p["o1"].status is A2PStatus.BRAND_PENDING
    assert world.t.a2p["o2"].status is A2PStatus.CAMPAIGN_APPROVED
    assert world.t.a2p["o3"].status is A2PStatus.CAMPAIGN_FAILED
    assert world.t.a2p["o4"].status is A2PStatus.CAMPAIGN_APPROVED
    # The failed one waits for the owner; the others are asked again.
    assert await a2p(world).poll() == PollCounts(checked=3, updated=0)


async def test_a_suspension_after_approval_stops_sms(world: World) -> None:
    pro(world, "o1")
    world.a2p("o1", A2PStatus.CAMPAIGN_APPROVED, campaign_id="QE1")
    world.carrier.campaign_statuses["QE1"] = "SUSPENDED"
    assert await a2p(world).poll() == PollCounts(checked=1, updated=1)
    record = world.t.a2p["o1"]
    assert record.status is A2PStatus.CAMPAIGN_FAILED
    assert not record.registration.can_send_sms


async def test_one_failing_registration_does_not_stop_the_job(world: World) -> None:
    for org_id in ("o1", "o2"):
        pro(world, org_id)
        world.a2p(org_id, A2PStatus.BRAND_PENDING, brand_id=f"BN-{org_id}")
    world.carrier.failing_ids.add("BN-o1")
    world.carrier.brand_statuses["BN-o2"] = "APPROVED"
    counts = await a2p(world).poll()
    assert counts == PollCounts(checked=2, updated=1, errors=1)
    assert world.t.a2p["o2"].status is A2PStatus.BRAND_APPROVED


async def test_unknown_provider_statuses_change_nothing(world: World) -> None:
    pro(world)
    world.a2p("o1", A2PStatus.BRAND_PENDING, brand_id="BN1")
    world.carrier.brand_statuses["BN1"] = "SOMETHING_NEW"
    assert await a2p(world).poll() == PollCounts(checked=1, updated=0)
    assert world.t.a2p["o1"].status is A2PStatus.BRAND_PENDING


BRAND_REPORTS = ["PENDING", "IN_REVIEW", "APPROVED", "FAILED", "SUSPENDED", "??"]
CAMPAIGN_REPORTS = ["PENDING", "IN_PROGRESS", "VERIFIED", "FAILED", "??"]
ACTIONS = st.sampled_from(["pay", "initiate", "campaign"])
STEPS = st.one_of(
    ACTIONS,
    st.tuples(st.just("brand"), st.sampled_from(BRAND_REPORTS)),
    st.tuples(st.just("campaign-report"), st.sampled_from(CAMPAIGN_REPORTS)),
)
REACHABLE = {s for (s, _), _next in TRANSITIONS.items()} | set(TRANSITIONS.values())


@settings(max_examples=60, deadline=None)
@given(steps=st.lists(STEPS, max_size=12))
def test_no_sequence_of_actions_and_reports_leaves_the_machine(
    steps: Sequence[object],
) -> None:
    """Whatever the owner does and the carrier reports, in any order, every
    stored status is one the table can reach, every step the use cases took
    is a transition of the table, and a refused action changes nothing."""

    async def scenario() -> None:
        world = World()
        org = pro(world)
        service = a2p(world)
        await service.checkout(org, None, BUSINESS, PERSON, CAMPAIGN)
        before = world.t.a2p["o1"].status
        for step in steps:
            await _take(world, service, org, step)
            after = world.t.a2p["o1"].status
            assert after in REACHABLE
            assert after is before or any(
                TRANSITIONS.get((before, e)) is after for e in A2PEvent
            )
            before = after

    anyio.run(scenario)


async def _take(
    world: World, service: A2PRegistrations, org: Organization, step: object
) -> None:
    record = world.t.a2p["o1"]
    try:
        if step == "pay":
            await service.record_payment("o1")
        elif step == "initiate":
            await service.initiate(org)
        elif step == "campaign":
            await service.submit_campaign(org, CAMPAIGN)
        elif isinstance(step, tuple) and step[0] == "brand":
            if record.brand_id:
                world.carrier.brand_statuses[record.brand_id] = step[1]
                await service.poll()
        elif isinstance(step, tuple) and record.campaign_id:
            world.carrier.campaign_statuses[record.campaign_id] = step[1]
            await service.poll()
    except IllegalA2PTransition:
        assert world.t.a2p["o1"] == record
