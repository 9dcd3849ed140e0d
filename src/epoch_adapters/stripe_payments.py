"""The live payments adapter: Stripe through its official SDK.

Checkout and portal sessions, cancel-at-period-end, and the weekly overage
charge as a PaymentIntent confirmed off-session against the customer's default
payment method, sent with the record's idempotency key so a rerun gets the
first answer back instead of a second charge.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import stripe
import structlog

from epoch_adapters import stripe_events
from epoch_adapters.settings import Settings
from epoch_domain.billing import (
    Charge,
    ChargeOutcome,
    ChargeResult,
    CheckoutRequest,
    PortalRequest,
)
from epoch_domain.errors import PaymentProviderFailed, ValidationFailed
from epoch_domain.plans import Tier
from epoch_domain.subscription import BillingEvent

log = structlog.get_logger()


def price_ids(settings: Settings) -> dict[Tier, str]:
    pairs = (
        (Tier.STARTER, settings.stripe_price_starter),
        (Tier.ADVANCED, settings.stripe_price_advanced),
        (Tier.PRO, settings.stripe_price_pro),
    )
    return {tier: price for tier, price in pairs if price}


class StripePayments:
    def __init__(self, settings: Settings) -> None:
        if not settings.stripe_secret_key:
            raise ValueError("STRIPE_SECRET_KEY is required for live payments")
        self._client = stripe.StripeClient(
            settings.stripe_secret_key,
            base_addresses={"api": settings.stripe_api_base},
            http_client=stripe.HTTPXClient(),
            max_network_retries=0,
        )
        self._prices = price_ids(settings)
        self._tiers = {price: tier for tier, price in self._prices.items()}
        self._webhook_secret = settings.stripe_webhook_secret

    async def create_checkout(self, request: CheckoutRequest) -> str:
        price = self._prices.get(request.tier)
        if price is None:
            raise PaymentProviderFailed(
                f"No Stripe price is set for {request.tier.name}"
            )
        metadata = {"org_id": request.organization_id, "plan": request.tier.name}
        if request.subscription_id:
            await self._change_price(request.subscription_id, price, metadata)
            return request.success_url
        params: dict[str, Any] = {
            "mode": "subscription",
            "line_items": [{"price": price, "quantity": 1}],
            "client_reference_id": request.organization_id,
            "metadata": metadata,
            "subscription_data": {"metadata": metadata},
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
        }
        if request.customer_id:
            params["customer"] = request.customer_id
        elif request.customer_email:
            params["customer_email"] = request.customer_email
        try:
            session = await self._client.v1.checkout.sessions.create_async(
                params=params  # type: ignore[arg-type]
            )
        except stripe.StripeError as err:
            raise self._failed("checkout", err) from err
        return str(session.url)

    async def _change_price(
        self, subscription_id: str, price: str, metadata: dict[str, str]
    ) -> None:
        """An upgrade of a paying customer moves the existing subscription to
        the new price (prorated, invoiced now) rather than opening a second
        subscription that would bill alongside the first."""
        try:
            current = await self._client.v1.subscriptions.retrieve_async(
                subscription_id
            )
            item = _id(_field(current, "items")["data"][0])
            await self._client.v1.subscriptions.update_async(
                subscription_id,
                params={
                    "items": [{"id": item, "price": price}],
                    "proration_behavior": "always_invoice",
                    "cancel_at_period_end": False,
                    "metadata": metadata,
                },
            )
        except stripe.StripeError as err:
            raise self._failed("upgrade", err) from err

    async def create_portal(self, request: PortalRequest) -> str:
        if not request.customer_id:
            raise ValidationFailed("organization", "has no billing account yet")
        try:
            session = await self._client.v1.billing_portal.sessions.create_async(
                params={
                    "customer": request.customer_id,
                    "return_url": request.return_url,
                }
            )
        except stripe.StripeError as err:
            raise self._failed("portal", err) from err
        return str(session.url)

    async def cancel_at_period_end(self, subscription_id: str) -> None:
        await self._set_cancel(subscription_id, True)

    async def resume(self, subscription_id: str) -> None:
        await self._set_cancel(subscription_id, False)

    async def _set_cancel(self, subscription_id: str, cancel: bool) -> None:
        try:
            await self._client.v1.subscriptions.update_async(
                subscription_id, params={"cancel_at_period_end": cancel}
            )
        except stripe.StripeError as err:
            raise self._failed("subscription", err) from err

    async def charge(self, charge: Charge) -> ChargeResult:
        result = await self._charge(charge)
        log_charge(charge, result)
        return result

    async def _charge(self, charge: Charge) -> ChargeResult:
        try:
            customer = await self._client.v1.customers.retrieve_async(
                charge.customer_id
            )
            method = _id(
                _field(_field(customer, "invoice_settings"), "default_payment_method")
            )
            method = method or _id(_field(customer, "default_source"))
            params: dict[str, Any] = {
                "amount": charge.amount_cents,
                "currency": charge.currency,
                "customer": charge.customer_id,
                "confirm": True,
                "off_session": True,
                "description": charge.description,
                "metadata": dict(charge.metadata),
            }
            if method:
                params["payment_method"] = method
            intent = await self._client.v1.payment_intents.create_async(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": charge.idempotency_key},
            )
        except stripe.CardError as err:
            intent_id = _id(_field(err.error, "payment_intent"))
            return ChargeResult(ChargeOutcome.DECLINED, intent_id, _message(err))
        except stripe.IdempotencyError as err:
            return ChargeResult(ChargeOutcome.ERROR, error=_message(err))
        except stripe.InvalidRequestError as err:
            # A request Stripe refuses as such (no payment method, bad
            # customer) will not pass by sending it again.
            return ChargeResult(ChargeOutcome.DECLINED, error=_message(err))
        except stripe.StripeError as err:
            return ChargeResult(ChargeOutcome.ERROR, error=_message(err))
        status = _field(intent, "status")
        if status in ("succeeded", "processing"):
            return ChargeResult(ChargeOutcome.SUCCEEDED, str(intent.id))
        return ChargeResult(
            ChargeOutcome.DECLINED, str(intent.id), f"payment intent is {status}"
        )

    def read_event(
        self, payload: bytes, signature: str | None
    ) -> tuple[Mapping[str, Any], BillingEvent | None]:
        data = stripe_events.verify(payload, signature, self._webhook_secret)
        return data, stripe_events.read_event(data, self._tiers)

    @staticmethod
    def _failed(what: str, err: stripe.StripeError) -> PaymentProviderFailed:
        log.warning(
            "billing.stripe.failed",
            request=what,
            status=err.http_status,
            code=err.code,
        )
        return PaymentProviderFailed(f"Stripe refused the {what} request")


def log_charge(charge: Charge, result: ChargeResult) -> None:
    """One line per try; the key identifies the organization and week."""
    outcome = result.outcome.value.lower()
    log.info(
        f"billing.overage.{outcome}",
        organization_id=charge.organization_id,
        amount_cents=charge.amount_cents,
        idempotency_key=charge.idempotency_key,
        payment_id=result.payment_id,
        reason=result.error,
    )


def _field(obj: Any, name: str) -> Any:
    if obj is None:
        return None
    if isinstance(obj, Mapping):
        return obj.get(name)
    return getattr(obj, name, None)


def _id(value: Any) -> str | None:
    if isinstance(value, str):
        return value or None
    found = _field(value, "id")
    return found if isinstance(found, str) else None


def _message(err: stripe.StripeError) -> str:
    return str(err.user_message or err.code or type(err).__name__)[:300]
