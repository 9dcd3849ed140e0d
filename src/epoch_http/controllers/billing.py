"""Usage & Billing: overage history, checkout, portal and the subscription."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import msgspec
import structlog
from litestar import Request, get, post
from litestar.params import JSONBody

from epoch_domain.metering import display_minutes
from epoch_domain.overage import OverageRecord
from epoch_domain.subscription import SubscriptionState
from epoch_http.schemas import SuccessOut, errors
from epoch_http.security import CurrentSession, SessionController

log = structlog.get_logger()


class OverageRecordOut(msgspec.Struct):
    id: str
    weekStart: date  # noqa: N815
    weekEnd: date  # noqa: N815
    overageMinutes: float  # noqa: N815
    amountCents: int  # noqa: N815
    status: str

    @classmethod
    def of(cls, record: OverageRecord) -> OverageRecordOut:
        return cls(
            id=record.id,
            weekStart=record.week.start,
            weekEnd=record.week.end,
            overageMinutes=display_minutes(record.overage_ms),
            amountCents=record.amount_cents,
            status=record.status.value,
        )


class CurrentOverageOut(msgspec.Struct):
    totalOverageMinutes: float  # noqa: N815
    unbilledMinutes: float  # noqa: N815
    estimatedCostCents: int  # noqa: N815
    overageEnabled: bool  # noqa: N815
    rateCentsPerMin: int  # noqa: N815


class BillingHistoryOut(msgspec.Struct):
    records: list[OverageRecordOut]
    currentOverage: CurrentOverageOut  # noqa: N815


class CheckoutIn(msgspec.Struct):
    planTier: str  # noqa: N815


class PortalIn(msgspec.Struct):
    returnPath: str | None = None  # noqa: N815


class UrlOut(msgspec.Struct):
    url: str


class CancelIn(msgspec.Struct):
    acknowledged: bool


class CancelOut(msgspec.Struct):
    success: bool
    cancelledAt: datetime | None  # noqa: N815
    effectiveAt: datetime | None  # noqa: N815
    deletionAt: datetime | None  # noqa: N815


class StatusOut(msgspec.Struct):
    plan: str
    status: str
    cancelledAt: datetime | None  # noqa: N815
    effectiveAt: datetime | None  # noqa: N815
    stripeSubscriptionId: str | None  # noqa: N815

    @classmethod
    def of(cls, state: SubscriptionState) -> StatusOut:
        return cls(
            plan=state.tier.name,
            status=state.status or "none",
            cancelledAt=state.cancelled_at,
            effectiveAt=state.cancel_effective_at,
            stripeSubscriptionId=state.subscription_id,
        )


class BillingController(SessionController):
    path = "/api"
    tags = ["Usage & Billing"]

    @get("/billing/history", responses=errors(401))
    async def history(
        self, request: Request[Any, Any, Any], ctx: CurrentSession
    ) -> BillingHistoryOut:
        found = await request.app.state.container.billing().history(ctx.organization)
        now = found.current
        return BillingHistoryOut(
            records=[OverageRecordOut.of(r) for r in found.records],
            currentOverage=CurrentOverageOut(
                totalOverageMinutes=display_minutes(now.total_overage_ms),
                unbilledMinutes=display_minutes(now.unbilled_ms),
                estimatedCostCents=now.estimated_cost_cents,
                overageEnabled=now.overage_enabled,
                rateCentsPerMin=now.rate_cents_per_minute,
            ),
        )

    @post("/stripe/checkout", status_code=200, responses=errors(400, 401, 502))
    async def checkout(
        self,
        request: Request[Any, Any, Any],
        ctx: CurrentSession,
        data: JSONBody[CheckoutIn],
    ) -> UrlOut:
        url = await request.app.state.container.billing().checkout(
            ctx.organization, ctx.user.email, data.planTier
        )
        log.info("billing.checkout.created", plan=data.planTier.upper())
        return UrlOut(url)

    @post("/stripe/portal", status_code=200, responses=errors(400, 401, 502))
    async def portal(
        self,
        request: Request[Any, Any, Any],
        ctx: CurrentSession,
        data: JSONBody[PortalIn],
    ) -> UrlOut:
        url = await request.app.state.container.billing().portal(
            ctx.organization, data.returnPath
        )
        return UrlOut(url)

    @post("/subscription/cancel", status_code=200, responses=errors(400, 401, 409, 502))
    async def cancel(
        self,
        request: Request[Any, Any, Any],
        ctx: CurrentSession,
        data: JSONBody[CancelIn],
    ) -> CancelOut:
        state = await request.app.state.container.billing().cancel(
            ctx.organization, data.acknowledged
        )
        log.info(
            "billing.subscription.cancelled",
            effective_at=state.cancel_effective_at.isoformat()
            if state.cancel_effective_at
            else None,
        )
        return CancelOut(
            success=True,
            cancelledAt=state.cancelled_at,
            effectiveAt=state.cancel_effective_at,
            deletionAt=state.deletion_at,
        )

    @post("/subscription/reactivate", status_code=200, responses=errors(401, 409, 502))
    async def reactivate(
        self, request: Request[Any, Any, Any], ctx: CurrentSession
    ) -> SuccessOut:
        await request.app.state.container.billing().reactivate(ctx.organization)
        log.info("billing.subscription.reactivated")
        return SuccessOut()

    @get("/subscription/status", responses=errors(401))
    async def status(
        self, request: Request[Any, Any, Any], ctx: CurrentSession
    ) -> StatusOut:
        state = await request.app.state.container.billing().status(ctx.organization)
        return StatusOut.of(state)
