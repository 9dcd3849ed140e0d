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


class CronController(Controller):
    path = "/api/cron"
    tags = ["Cron Jobs"]
    guards = [require_cron_secret]

    @get("/billing-reset", responses=errors(401, 404))
    async def billing_reset(self, request: Request[Any, Any, Any]) -> ResetOut:
        counts = await request.app.state.container.reset_billing_cycles().run()
        log.info("job.billing_reset.finished", via="cron", **counts.as_dict())
        return ResetOut(**counts.as_dict())
