"""The Stripe webhook: signature first, then stored by event id, applied once."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
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


# One-off payments sold through Stripe checkout by other features: the
# session's `metadata.purpose` -> the container provider whose use case has
# `record_payment(organization_id)` (idempotent: Stripe may deliver twice).
ONE_OFF_PAYMENTS: dict[str, str] = {"a2p_registration": "a2p_registrations"}


def _one_off(data: Mapping[str, Any]) -> tuple[str, str] | None:
    """(purpose, organization id) of a paid one-off checkout, else None
    (also for one whose fields are not what Stripe sends)."""
    holder = data.get("data")
    obj = holder.get("object") if isinstance(holder, dict) else None
    if data.get("type") != "checkout.session.completed" or not isinstance(obj, dict):
        return None
    if obj.get("mode") != "payment" or obj.get("payment_status") != "paid":
        return None
    metadata = obj.get("metadata")
    if not isinstance(metadata, dict):
        return None
    purpose = metadata.get("purpose")
    org = metadata.get("organizationId") or obj.get("client_reference_id")
    try:
        org_id = str(uuid.UUID(str(org)))
    except ValueError:
        return None
    return (purpose, org_id) if isinstance(purpose, str) else None


async def _record_one_off(container: Container, data: Mapping[str, Any]) -> None:
    found = _one_off(data)
    if found is None:
        return
    purpose, org_id = found
    provider = getattr(container, ONE_OFF_PAYMENTS.get(purpose, ""), None)
    if provider is None:
        log.warning("billing.stripe.one_off_unhandled", purpose=purpose)
        return
    await provider().record_payment(org_id)
    log.info("billing.stripe.one_off_paid", purpose=purpose, organization_id=org_id)


async def handle_stripe_event(
    container: Container, payload: bytes, signature: str | None
) -> EventOutcome:
    """The one path every Stripe event takes, real or from the sandbox pages:
    a bad, missing or stale signature raises `ValidationFailed` (400) before
    anything is stored."""
    payments = container.payments()
    data, event = payments.read_event(payload, signature)
    event_type = str(data.get("type") or "unknown")
    result = await container.billing_events().receive(
        str(data["id"]), event_type, data, event
    )
    outcome = result.outcome
    if outcome is EventOutcome.CUSTOMER_CONFLICT:
        # Acknowledged so that Stripe stops redelivering; someone must look.
        log.error(
            "billing.stripe.customer_conflict",
            event_id=data["id"],
            event_type=event_type,
            organization_id=result.organization_id,
            other_organization_id=result.other_organization_id,
            customer_id=event.customer_id if event else None,
        )
    if outcome is EventOutcome.UNREADABLE:
        # Acknowledged: a redelivery would be as unreadable.
        log.warning(
            "billing.stripe.unreadable",
            event_id=data["id"],
            event_type=event_type,
            reason=result.error,
        )
    if outcome in (EventOutcome.IGNORED, EventOutcome.DUPLICATE):
        # Also on a duplicate: if recording failed the first time, Stripe's
        # retry is the second chance, and recording twice changes nothing.
        await _record_one_off(container, data)
    log.info(
        "billing.stripe.event",
        event_id=data["id"],
        event_type=event_type,
        outcome=outcome.value,
        organization_id=result.organization_id,
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
