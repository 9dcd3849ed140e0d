"""The SMS (A2P 10DLC) registration an organization goes through.

Every change of status goes through `a2p.next_state`, so the use cases can
never put a registration in a state the machine does not allow.

* checkout (PRO): the business, representative and campaign information is
  checked and stored, then a one-off payment page for the fee is created;
  a registration already paid is refused (409).
* payment: the payment provider's confirmation marks it PAID, once.
* initiate (PRO): from PAID, or after a failure, submit the brand. The
  messaging service it needs is created first and kept, so a retry reuses it.
* campaign (PRO): after the brand is approved, submit the campaign.
* the daily job asks the carrier about every registration under review or
  approved (`CHECKED_STATES`) and applies what it reports; one failing
  registration does not stop the others.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from epoch_domain.a2p import (
    CAMPAIGN_STATES,
    A2PEvent,
    A2PStatus,
    brand_event,
    campaign_event,
    next_state,
)
from epoch_domain.a2p_application import (
    A2PRecord,
    BusinessInfo,
    CampaignInfo,
    RepresentativeInfo,
    check_application,
    check_campaign,
)
from epoch_domain.accounts import Organization
from epoch_domain.errors import (
    Conflict,
    EpochError,
    IllegalA2PTransition,
    ValidationFailed,
)
from epoch_domain.plans import Tier, require_tier
from epoch_domain.ports import Clock, UnitOfWorkFactory
from epoch_domain.telephony_ports import (
    FeeCheckout,
    FeeCheckoutRequest,
    ProviderReview,
    SmsCarrier,
)

A2P_TIER = Tier.PRO
FEE_PURPOSE = "a2p_registration"
JOB_BATCH = 100
# What the daily job asks the carrier about: registrations under review, and
# approved ones, which a suspension can take down. A campaign's report covers
# its brand too.
CHECKED_STATES = frozenset(
    {
        A2PStatus.BRAND_PENDING,
        A2PStatus.BRAND_APPROVED,
        A2PStatus.CAMPAIGN_PENDING,
        A2PStatus.CAMPAIGN_APPROVED,
    }
)


@dataclass(frozen=True, slots=True)
class A2POverview:
    record: A2PRecord
    sms_used: int

    @property
    def paid(self) -> bool:
        return self.record.registration.paid


@dataclass(frozen=True, slots=True)
class PollCounts:
    checked: int = 0
    updated: int = 0
    errors: int = 0


def apply_review(status: A2PStatus, event: A2PEvent | None) -> A2PStatus:
    """The status after a carrier report; an unknown or inapplicable report
    leaves it as it is."""
    if event is None:
        return status
    try:
        return next_state(status, event)
    except IllegalA2PTransition:
        return status


class A2PRegistrations:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        carrier: SmsCarrier,
        checkout: FeeCheckout,
        fee_cents: int,
        app_url: str,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._carrier = carrier
        self._checkout = checkout
        self._fee_cents = fee_cents
        self._app_url = app_url.rstrip("/")

    async def status(self, org: Organization) -> A2POverview:
        async with self._uow() as uow:
            record = await uow.a2p.get(org.id)
            used = await uow.sms.count_outbound(org.id)
        return A2POverview(record, used)

    async def checkout(
        self,
        org: Organization,
        email: str | None,
        business: BusinessInfo,
        representative: RepresentativeInfo,
        campaign: CampaignInfo,
    ) -> str:
        require_tier(org.tier, A2P_TIER)
        application = check_application(business, representative, campaign)
        async with self._uow() as uow:
            record = await uow.a2p.get(org.id, lock=True)
            if record.registration.paid:
                raise Conflict("The A2P registration fee is already paid")
            await uow.a2p.save(
                replace(record, application=application, updated_at=self._clock.now())
            )
            await uow.commit()
        return await self._checkout.create_fee_checkout(
            FeeCheckoutRequest(
                organization_id=org.id,
                purpose=FEE_PURPOSE,
                amount_cents=self._fee_cents,
                description="SMS (A2P 10DLC) registration fee",
                customer_email=email,
                success_url=f"{self._app_url}/dashboard/sms?a2p=paid",
                cancel_url=f"{self._app_url}/dashboard/sms?a2p=cancelled",
                metadata={"purpose": FEE_PURPOSE, "organizationId": org.id},
            )
        )

    async def record_payment(self, org_id: str) -> A2PRecord:
        """The fee was paid (from the payment webhook); repeats change nothing."""
        now = self._clock.now()
        async with self._uow() as uow:
            record = await uow.a2p.get(org_id, lock=True)
            status = next_state(record.status, A2PEvent.PAYMENT_COMPLETED)
            if status is record.status:
                return record
            record = replace(record, status=status, paid_at=now, updated_at=now)
            await uow.a2p.save(record)
            await uow.commit()
        return record

    async def initiate(
        self, org: Organization, number_id: str | None = None
    ) -> A2PRecord:
        require_tier(org.tier, A2P_TIER)
        async with self._uow() as uow:
            record = await uow.a2p.get(org.id, lock=True)
            pending = next_state(record.status, A2PEvent.BRAND_SUBMITTED)
            application = record.application
            if application is None:
                raise ValidationFailed(
                    "businessInfo", "is missing; submit it through the A2P checkout"
                )
            if record.messaging_service_id is None:
                if number_id is None:
                    number_id = (await uow.phone_numbers.get(org.id)).number_id
                service = await self._carrier.create_messaging_service(
                    org.id, number_id
                )
                record = replace(record, messaging_service_id=service)
                await uow.a2p.save(record)
                await uow.commit()
            review = await self._carrier.submit_brand_registration(org.id, application)
            record = self._reviewed(record, pending, review, brand=True)
            await uow.a2p.save(record)
            await uow.commit()
        return record

    async def submit_campaign(
        self, org: Organization, campaign: CampaignInfo
    ) -> A2PRecord:
        require_tier(org.tier, A2P_TIER)
        checked = check_campaign(campaign)
        async with self._uow() as uow:
            record = await uow.a2p.get(org.id, lock=True)
            pending = next_state(record.status, A2PEvent.CAMPAIGN_SUBMITTED)
            if record.messaging_service_id is None or record.brand_id is None:
                raise IllegalA2PTransition(
                    record.status.value, A2PEvent.CAMPAIGN_SUBMITTED.value
                )
            review = await self._carrier.submit_campaign(
                record.messaging_service_id, record.brand_id, checked
            )
            if record.application is not None:
                application = replace(record.application, campaign=checked)
                record = replace(record, application=application)
            record = self._reviewed(record, pending, review, brand=False)
            await uow.a2p.save(record)
            await uow.commit()
        return record

    def _reviewed(
        self, record: A2PRecord, pending: A2PStatus, review: ProviderReview, brand: bool
    ) -> A2PRecord:
        """The record after a submission: pending, then whatever the carrier
        already said about it."""
        if brand:
            status = apply_review(pending, brand_event(review.status))
            return replace(
                record,
                status=status,
                brand_id=review.provider_id,
                campaign_id=None,
                updated_at=self._clock.now(),
            )
        status = apply_review(pending, campaign_event(review.status))
        return replace(
            record,
            status=status,
            campaign_id=review.provider_id,
            updated_at=self._clock.now(),
        )

    # ------------------------------------------------------------ daily job

    async def poll(self) -> PollCounts:
        counts = PollCounts()
        after: str | None = None
        while True:
            async with self._uow() as uow:
                batch = await uow.a2p.to_check(after, JOB_BATCH)
            if not batch:
                return counts
            for record in batch:
                counts = await self._poll_one(record, counts)
            after = batch[-1].organization_id

    async def _poll_one(self, record: A2PRecord, counts: PollCounts) -> PollCounts:
        try:
            event = await self._reported_event(record)
        except EpochError:
            return replace(counts, checked=counts.checked + 1, errors=counts.errors + 1)
        changed = await self._apply(record.organization_id, record.status, event)
        return replace(
            counts, checked=counts.checked + 1, updated=counts.updated + int(changed)
        )

    async def _reported_event(self, record: A2PRecord) -> A2PEvent | None:
        if record.status in CAMPAIGN_STATES:
            if record.messaging_service_id is None or record.campaign_id is None:
                return None
            return campaign_event(
                await self._carrier.campaign_status(
                    record.messaging_service_id, record.campaign_id
                )
            )
        if record.brand_id is None:
            return None
        return brand_event(await self._carrier.brand_status(record.brand_id))

    async def _apply(
        self, org_id: str, polled: A2PStatus, event: A2PEvent | None
    ) -> bool:
        now = self._clock.now()
        async with self._uow() as uow:
            record = await uow.a2p.get(org_id, lock=True)
            if record.status is not polled:
                return False  # moved on meanwhile; the next run looks again
            status = apply_review(record.status, event)
            if status is record.status:
                return False
            await uow.a2p.save(replace(record, status=status, updated_at=now))
            await uow.commit()
        return True
