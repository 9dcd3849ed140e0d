"""What an organization sees and does about its money: overage history,
upgrades through checkout, the billing portal, cancellation and reactivation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from epoch_domain.accounts import Organization
from epoch_domain.billing import CheckoutRequest, PortalRequest
from epoch_domain.cycles import cycle_containing
from epoch_domain.errors import NotFound, ValidationFailed
from epoch_domain.overage import CurrentOverage, OverageRecord, current_overage
from epoch_domain.plans import Tier, plan_for
from epoch_domain.ports import Clock, Payments, UnitOfWorkFactory
from epoch_domain.subscription import (
    PAYING_STATUSES,
    SubscriptionState,
    cancel,
    check_checkout,
    check_return_path,
    reactivate,
)

HISTORY_WEEKS = 52


@dataclass(frozen=True, slots=True)
class BillingHistory:
    records: Sequence[OverageRecord]
    current: CurrentOverage


class Billing:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        payments: Payments,
        app_url: str,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._payments = payments
        self._app_url = app_url.rstrip("/")

    async def history(self, org: Organization) -> BillingHistory:
        async with self._uow() as uow:
            records = await uow.billing.records(org.id, HISTORY_WEEKS)
            current, unbilled = await uow.billing.unbilled_cycles(org.id)
        plan = plan_for(org.tier)
        enabled = org.overage_enabled and plan.overage_allowed
        return BillingHistory(
            records,
            current_overage(current, unbilled, plan.overage_cents_per_minute, enabled),
        )

    async def status(self, org: Organization) -> SubscriptionState:
        async with self._uow() as uow:
            state = await uow.billing.subscription(org.id)
        if state is None:
            raise NotFound("organization", org.id)
        return state

    async def checkout(self, org: Organization, email: str, plan_tier: str) -> str:
        target = check_checkout(org.tier, Tier.parse(plan_tier))
        state = await self.status(org)
        return await self._payments.create_checkout(
            CheckoutRequest(
                organization_id=org.id,
                tier=target,
                customer_id=state.customer_id,
                customer_email=email,
                success_url=f"{self._app_url}/dashboard/billing?checkout=success",
                cancel_url=f"{self._app_url}/dashboard/billing?checkout=cancelled",
                subscription_id=(
                    state.subscription_id if state.status in PAYING_STATUSES else None
                ),
            )
        )

    async def portal(self, org: Organization, return_path: str | None) -> str:
        path = check_return_path(return_path)
        state = await self.status(org)
        if state.customer_id is None:
            raise ValidationFailed(
                "organization", "has no billing account yet; upgrade through checkout"
            )
        return await self._payments.create_portal(
            PortalRequest(
                org.id,
                state.customer_id,
                state.tier,
                self._app_url + path,
                state.subscription_id,
            )
        )

    async def cancel(self, org: Organization, acknowledged: bool) -> SubscriptionState:
        if not acknowledged:
            raise ValidationFailed("acknowledged", "must be true to cancel")
        now = self._clock.now()
        async with self._uow() as uow:
            state = await uow.billing.subscription(org.id, lock=True)
            if state is None:
                raise NotFound("organization", org.id)
            cycle_end = cycle_containing(org.cycle_anchor, now).ends_at
            cancelled = cancel(state, now, cycle_end)
            if state.subscription_id:
                # The provider first: if our write then fails, its webhook
                # still brings the cancellation in.
                await self._payments.cancel_at_period_end(state.subscription_id)
            await uow.billing.save_subscription(org.id, cancelled)
            await uow.commit()
        return cancelled

    async def reactivate(self, org: Organization) -> SubscriptionState:
        now = self._clock.now()
        async with self._uow() as uow:
            state = await uow.billing.subscription(org.id, lock=True)
            if state is None:
                raise NotFound("organization", org.id)
            resumed = reactivate(state, now)
            if state.subscription_id:
                await self._payments.resume(state.subscription_id)
            await uow.billing.save_subscription(org.id, resumed)
            await uow.commit()
        return resumed
