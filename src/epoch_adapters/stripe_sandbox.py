"""The sandbox payments adapter, used when no `STRIPE_SECRET_KEY` is set.

The whole money path works on a laptop: checkout and portal URLs point at this
app (`/sandbox/stripe/...`), where a click builds the events Stripe would send,
signs them with the webhook secret (the configured one, or one generated per
process) and feeds them through the same webhook handling as real ones.
Overage charges succeed, keyed like Stripe (one answer per idempotency key),
or are declined for the organizations in `STRIPE_SANDBOX_DECLINE`.

Sessions travel in the URL as a signed token, so nothing is kept per process
but the charge log (which is therefore lost on restart: a known limit of the
sandbox, where no money moves).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from epoch_adapters import stripe_events
from epoch_adapters.settings import Settings
from epoch_adapters.stripe_payments import log_charge
from epoch_domain.billing import (
    Charge,
    ChargeOutcome,
    ChargeResult,
    CheckoutRequest,
    PortalRequest,
)
from epoch_domain.errors import ValidationFailed
from epoch_domain.plans import Tier, plan_for
from epoch_domain.subscription import BillingEvent

SESSION_SECONDS = 24 * 3600
SANDBOX_PRICES = {tier: f"price_sandbox_{tier.name.lower()}" for tier in Tier}
SANDBOX_PRICE_CENTS = {Tier.STARTER: 4900, Tier.ADVANCED: 9900, Tier.PRO: 19900}


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:24]


class SandboxPayments:
    def __init__(self, settings: Settings) -> None:
        self.webhook_secret = settings.stripe_webhook_secret or (
            "whsec_sandbox_" + secrets.token_hex(16)
        )
        self._app_url = settings.app_url.rstrip("/")
        self._token_key = hashlib.sha256(
            b"sandbox-session:" + self.webhook_secret.encode()
        ).digest()
        self.declining: set[str] = set(settings.stripe_sandbox_decline)
        self.charges: dict[str, ChargeResult] = {}
        self.charge_requests: list[Charge] = []
        self.subscription_changes: list[tuple[str, bool]] = []
        self._tiers = {price: tier for tier, price in SANDBOX_PRICES.items()}

    # The port ---------------------------------------------------------------

    async def create_checkout(self, request: CheckoutRequest) -> str:
        token = self._seal(
            {
                "kind": "checkout",
                "session": "cs_sandbox_" + secrets.token_hex(12),
                "org": request.organization_id,
                "tier": request.tier.name,
                "customer": request.customer_id
                or "cus_sandbox_" + _digest(request.organization_id),
                "email": request.customer_email,
                "success": request.success_url,
                "cancel": request.cancel_url,
                "subscription": request.subscription_id,
            }
        )
        return f"{self._app_url}/sandbox/stripe/checkout?token={token}"

    async def create_portal(self, request: PortalRequest) -> str:
        token = self._seal(
            {
                "kind": "portal",
                "org": request.organization_id,
                "customer": request.customer_id,
                "tier": request.tier.name,
                "subscription": request.subscription_id,
                "return": request.return_url,
            }
        )
        return f"{self._app_url}/sandbox/stripe/portal?token={token}"

    async def cancel_at_period_end(self, subscription_id: str) -> None:
        self.subscription_changes.append((subscription_id, True))

    async def resume(self, subscription_id: str) -> None:
        self.subscription_changes.append((subscription_id, False))

    async def charge(self, charge: Charge) -> ChargeResult:
        self.charge_requests.append(charge)
        known = self.charges.get(charge.idempotency_key)
        if known is not None:
            return known
        payment_id = "pi_sandbox_" + _digest(charge.idempotency_key)
        if charge.organization_id in self.declining:
            result = ChargeResult(
                ChargeOutcome.DECLINED, payment_id, "Your card was declined."
            )
        else:
            result = ChargeResult(ChargeOutcome.SUCCEEDED, payment_id)
        self.charges[charge.idempotency_key] = result
        log_charge(charge, result)
        return result

    def read_event(
        self, payload: bytes, signature: str | None
    ) -> tuple[Mapping[str, Any], BillingEvent | None]:
        data = stripe_events.verify(payload, signature, self.webhook_secret)
        return data, stripe_events.read_event(data, self._tiers)

    # What the sandbox pages use ---------------------------------------------

    def succeeded_charges(self) -> dict[str, ChargeResult]:
        return {
            key: result
            for key, result in self.charges.items()
            if result.outcome is ChargeOutcome.SUCCEEDED
        }

    def _seal(self, claims: dict[str, Any]) -> str:
        body = dict(claims, exp=int(time.time()) + SESSION_SECONDS)
        raw = base64.urlsafe_b64encode(json.dumps(body).encode()).decode().rstrip("=")
        mac = hmac.new(self._token_key, raw.encode(), hashlib.sha256).hexdigest()
        return f"{raw}.{mac}"

    def open(self, token: str, kind: str) -> dict[str, Any]:
        """The session a sandbox URL carries; refuses forged or expired ones."""
        raw, _, mac = token.partition(".")
        expected = hmac.new(self._token_key, raw.encode(), hashlib.sha256).hexdigest()
        if not raw or not hmac.compare_digest(mac, expected):
            raise ValidationFailed("token", "is not a sandbox session")
        padded = raw + "=" * (-len(raw) % 4)
        claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(padded))
        if claims.get("kind") != kind or claims.get("exp", 0) < time.time():
            raise ValidationFailed("token", "has expired or is of another kind")
        return claims

    def signed(self, event: Mapping[str, Any]) -> tuple[bytes, str]:
        payload = json.dumps(event).encode()
        return payload, stripe_events.sign(payload, self.webhook_secret)

    def checkout_events(
        self, session: Mapping[str, Any], now: datetime
    ) -> list[dict[str, Any]]:
        """What Stripe sends when a subscription checkout is paid (or, for a
        paying customer, when the existing subscription changes price)."""
        if session.get("subscription"):
            tier = Tier[str(session["tier"])]
            return [
                self.plan_change_event(session, str(session["subscription"]), tier, now)
            ]
        org_id = str(session["org"])
        tier = Tier[str(session["tier"])]
        subscription_id = "sub_sandbox_" + _digest(str(session["session"]))
        created = int(now.timestamp())
        period_end = created + 30 * 86_400
        metadata = {"org_id": org_id, "plan": tier.name}
        completed = {
            "id": str(session["session"]),
            "object": "checkout.session",
            "mode": "subscription",
            "status": "complete",
            "payment_status": "paid",
            "client_reference_id": org_id,
            "customer": session["customer"],
            "customer_details": {"email": session.get("email")},
            "subscription": subscription_id,
            "metadata": metadata,
            "amount_total": SANDBOX_PRICE_CENTS.get(tier, 0),
        }
        subscription = self._subscription(
            subscription_id,
            str(session["customer"]),
            tier,
            created,
            period_end,
            metadata,
        )
        return [
            _envelope("checkout.session.completed", completed, created),
            _envelope("customer.subscription.updated", subscription, created),
        ]

    def plan_change_event(
        self,
        session: Mapping[str, Any],
        state_subscription: str,
        tier: Tier,
        now: datetime,
    ) -> dict[str, Any]:
        """The portal's plan switch (a downgrade included), as Stripe tells it."""
        created = int(now.timestamp())
        metadata = {"org_id": str(session["org"]), "plan": tier.name}
        subscription = self._subscription(
            state_subscription,
            str(session["customer"]),
            tier,
            created,
            created + 30 * 86_400,
            metadata,
        )
        return _envelope("customer.subscription.updated", subscription, created)

    @staticmethod
    def _subscription(
        subscription_id: str,
        customer: str,
        tier: Tier,
        start: int,
        end: int,
        metadata: Mapping[str, str],
    ) -> dict[str, Any]:
        return {
            "id": subscription_id,
            "object": "subscription",
            "customer": customer,
            "status": "active",
            "cancel_at_period_end": False,
            "cancel_at": None,
            "canceled_at": None,
            "ended_at": None,
            "metadata": dict(metadata),
            "items": {
                "object": "list",
                "data": [
                    {
                        "id": "si_sandbox_" + _digest(subscription_id),
                        "object": "subscription_item",
                        "current_period_start": start,
                        "current_period_end": end,
                        "price": {
                            "id": SANDBOX_PRICES[tier],
                            "object": "price",
                            "unit_amount": SANDBOX_PRICE_CENTS.get(tier, 0),
                            "lookup_key": f"{tier.name.lower()}_monthly",
                        },
                        "quantity": 1,
                    }
                ],
            },
            "included_minutes": plan_for(tier).included_minutes,
        }


def _envelope(kind: str, obj: Mapping[str, Any], created: int) -> dict[str, Any]:
    return {
        "id": "evt_sandbox_" + secrets.token_hex(12),
        "object": "event",
        "api_version": "2025-03-31.basil",
        "created": created,
        "data": {"object": dict(obj)},
        "livemode": False,
        "type": kind,
    }
