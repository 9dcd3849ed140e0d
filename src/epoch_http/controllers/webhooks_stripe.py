"""The Stripe webhook: signature first, then stored by event id, applied once."""

from __future__ import annotations

from typing import Any

import msgspec
import structlog
from litestar import Request, post

from epoch_adapters.container import Container
from epoch_domain.usecases.billing_events import EventOutcome
from epoch_http.schemas import errors

log = structlog.get_logger()

MAX_BODY_BYTES = 1024 * 1024


class StripeReceivedOut(msgspec.Struct):
    received: bool
    outcome: str


async def handle_stripe_event(
    container: Container, payload: bytes, signature: str | None
) -> EventOutcome:
    """The one path every Stripe event takes, real or from the sandbox pages:
    a bad, missing or stale signature raises `ValidationFailed` (400) before
    anything is stored."""
    payments = container.payments()
    data, event = payments.read_event(payload, signature)
    event_type = str(data.get("type") or "unknown")
    outcome, org_id = await container.billing_events().receive(
        str(data["id"]), event_type, data, event
    )
    log.info(
        "billing.stripe.event",
        event_id=data["id"],
        event_type=event_type,
        outcome=outcome.value,
        organization_id=org_id,
    )
    return outcome


@post(
    "/api/webhooks/stripe",
    status_code=200,
    tags=["Webhooks (Incoming)"],
    exclude_from_csrf=True,
    request_max_body_size=MAX_BODY_BYTES,
    responses=errors(400),
)
async def stripe_webhook(request: Request[Any, Any, Any]) -> StripeReceivedOut:
    """Verified with `STRIPE_WEBHOOK_SECRET`; answers 200 to every verified
    event, including duplicates and older ones that change nothing."""
    outcome = await handle_stripe_event(
        request.app.state.container,
        await request.body(),
        request.headers.get("stripe-signature"),
    )
    return StripeReceivedOut(received=True, outcome=outcome.value)
