"""Cron routes: each scheduled job, reachable with the cron secret."""

from __future__ import annotations

from typing import Any

import msgspec
import structlog
from litestar import Controller, Request, get

from epoch_http.schemas import errors
from epoch_http.security import require_cron_secret

log = structlog.get_logger()


class ResetOut(msgspec.Struct):
    reset: int
    skipped: int
    errors: int


class OverageBillingOut(msgspec.Struct):
    billed: int
    skipped: int
    errors: int


class PaymentRetryOut(msgspec.Struct):
    retried: int
    succeeded: int
    failed: int


class CronController(Controller):
    path = "/api/cron"
    tags = ["Cron Jobs"]
    guards = [require_cron_secret]

    @get("/billing-reset", responses=errors(401, 404))
    async def billing_reset(self, request: Request[Any, Any, Any]) -> ResetOut:
        counts = await request.app.state.container.reset_billing_cycles().run()
        log.info("job.billing_reset.finished", via="cron", **counts.as_dict())
        return ResetOut(**counts.as_dict())

    @get("/overage-billing", responses=errors(401, 404))
    async def overage_billing(
        self, request: Request[Any, Any, Any]
    ) -> OverageBillingOut:
        counts = await request.app.state.container.overage_billing().bill()
        log.info("job.overage_billing.finished", via="cron", **counts.as_dict())
        return OverageBillingOut(**counts.as_dict())

    @get("/payment-retry", responses=errors(401, 404))
    async def payment_retry(self, request: Request[Any, Any, Any]) -> PaymentRetryOut:
        counts = await request.app.state.container.overage_billing().retry()
        log.info("job.payment_retry.finished", via="cron", **counts.as_dict())
        return PaymentRetryOut(**counts.as_dict())
