"""The live Stripe adapter running the real SDK against a local server that
speaks Stripe's wire format: form-encoded bodies, Bearer auth, the
Idempotency-Key header, JSON errors (402 card_error)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest

from epoch_adapters import stripe_events
from epoch_adapters.settings import Settings
from epoch_adapters.stripe_payments import StripePayments
from epoch_domain.billing import Charge, ChargeOutcome, CheckoutRequest, PortalRequest
from epoch_domain.errors import PaymentProviderFailed, ValidationFailed
from epoch_domain.plans import Tier
from tests.http.helpers import load_sample

pytestmark = pytest.mark.anyio

SECRET_KEY = "sk_test_local_0123456789"


class FakeStripe:
    """Just enough of api.stripe.com for the adapter's calls."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.by_key: dict[str, tuple[int, dict[str, Any]]] = {}
        self.intents = 0

    def answer(
        self, method: str, path: str, form: dict[str, str], headers: dict[str, str]
    ) -> tuple[int, dict[str, Any]]:
        self.requests.append(
            {"method": method, "path": path, "form": form, "headers": headers}
        )
        key = headers.get("idempotency-key")
        if key and key in self.by_key:
            return self.by_key[key]
        reply = self._route(method, path, form)
        if key:
            self.by_key[key] = reply
        return reply

    def _route(
        self, method: str, path: str, form: dict[str, str]
    ) -> tuple[int, dict[str, Any]]:
        if path == "/v1/checkout/sessions":
            return 200, {
                "id": "cs_test_1",
                "object": "checkout.session",
                "url": "https://checkout.stripe.com/c/pay/cs_test_1",
            }
        if path == "/v1/billing_portal/sessions":
            return 200, {
                "id": "bps_1",
                "object": "billing_portal.session",
                "url": "https://billing.stripe.com/p/session/bps_1",
            }
        if path.startswith("/v1/subscriptions/"):
            return 200, {
                "id": path.rsplit("/", 1)[1],
                "object": "subscription",
                "cancel_at_period_end": form.get("cancel_at_period_end") == "true",
                "status": "active",
                "items": {
                    "object": "list",
                    "data": [{"id": "si_1", "object": "subscription_item"}],
                },
            }
        if path.startswith("/v1/customers/"):
            customer = path.rsplit("/", 1)[1]
            return 200, {
                "id": customer,
                "object": "customer",
                "invoice_settings": {"default_payment_method": "pm_card_visa"},
            }
        if path == "/v1/payment_intents":
            self.intents += 1
            customer = form["customer"]
            intent = f"pi_{self.intents}"
            if customer == "cus_declines":
                return 402, {
                    "error": {
                        "type": "card_error",
                        "code": "card_declined",
                        "decline_code": "insufficient_funds",
                        "message": "Your card has insufficient funds.",
                        "payment_intent": {
                            "id": intent,
                            "object": "payment_intent",
                            "status": "requires_payment_method",
                        },
                    }
                }
            if customer == "cus_breaks":
                return 500, {
                    "error": {"type": "api_error", "message": "Something went wrong"}
                }
            return 200, {
                "id": intent,
                "object": "payment_intent",
                "status": "succeeded",
                "amount": int(form["amount"]),
            }
        return 404, {"error": {"type": "invalid_request_error", "message": path}}


@pytest.fixture
def fake_stripe() -> Iterator[tuple[FakeStripe, str]]:
    fake = FakeStripe()

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length).decode() if length else ""
            form = {k: v[0] for k, v in parse_qs(raw).items()}
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, body = fake.answer(self.command, self.path, form, headers)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = _serve  # noqa: N815
        do_POST = _serve  # noqa: N815

        def log_message(self, *args: Any) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _payments(base: str) -> StripePayments:
    return StripePayments(
        Settings(
            stripe_secret_key=SECRET_KEY,
            stripe_api_base=base,
            stripe_webhook_secret="whsec_live_test",
            stripe_price_starter="price_starter",
            stripe_price_advanced="price_advanced",
            stripe_price_pro="price_pro",
        )
    )


def _charge(customer: str, key: str = "overage-org-2026-03-02") -> Charge:
    return Charge(
        organization_id="org-1",
        customer_id=customer,
        amount_cents=820,
        idempotency_key=key,
        description="Overage 2026-03-02 to 2026-03-08",
        metadata={"organization_id": "org-1", "week_start": "2026-03-02"},
    )


async def test_checkout_sends_the_tiers_price_form_encoded(fake_stripe):
    fake, base = fake_stripe
    url = await _payments(base).create_checkout(
        CheckoutRequest(
            organization_id="org-1",
            tier=Tier.PRO,
            customer_id=None,
            customer_email="owner@example.com",
            success_url="https://app.example.com/dashboard/billing?checkout=success",
            cancel_url="https://app.example.com/dashboard/billing",
        )
    )
    assert url == "https://checkout.stripe.com/c/pay/cs_test_1"
    [request] = fake.requests
    assert request["headers"]["authorization"] == f"Bearer {SECRET_KEY}"
    assert request["headers"]["content-type"] == "application/x-www-form-urlencoded"
    form = request["form"]
    assert form["mode"] == "subscription"
    assert form["line_items[0][price]"] == "price_pro"
    assert form["line_items[0][quantity]"] == "1"
    assert form["client_reference_id"] == "org-1"
    assert form["metadata[org_id]"] == "org-1"
    assert form["subscription_data[metadata][plan]"] == "PRO"
    assert form["customer_email"] == "owner@example.com"


async def test_a_paying_customer_upgrades_the_same_subscription(fake_stripe):
    fake, base = fake_stripe
    url = await _payments(base).create_checkout(
        CheckoutRequest(
            organization_id="org-1",
            tier=Tier.PRO,
            customer_id="cus_1",
            customer_email="owner@example.com",
            success_url="https://app.example.com/dashboard/billing?checkout=success",
            cancel_url="https://app.example.com/dashboard/billing",
            subscription_id="sub_1",
        )
    )
    assert url == "https://app.example.com/dashboard/billing?checkout=success"
    assert [(r["method"], r["path"]) for r in fake.requests] == [
        ("GET", "/v1/subscriptions/sub_1"),
        ("POST", "/v1/subscriptions/sub_1"),
    ]
    form = fake.requests[1]["form"]
    assert form["items[0][id]"] == "si_1"
    assert form["items[0][price]"] == "price_pro"
    assert form["proration_behavior"] == "always_invoice"
    assert not any(r["path"] == "/v1/checkout/sessions" for r in fake.requests)


async def test_portal_and_cancel_at_period_end(fake_stripe):
    fake, base = fake_stripe
    payments = _payments(base)
    url = await payments.create_portal(
        PortalRequest("org-1", "cus_1", Tier.PRO, "https://app.example.com/x")
    )
    assert url == "https://billing.stripe.com/p/session/bps_1"
    await payments.cancel_at_period_end("sub_1")
    await payments.resume("sub_1")
    assert fake.requests[0]["form"] == {
        "customer": "cus_1",
        "return_url": "https://app.example.com/x",
    }
    assert [(r["path"], r["form"]) for r in fake.requests[1:]] == [
        ("/v1/subscriptions/sub_1", {"cancel_at_period_end": "true"}),
        ("/v1/subscriptions/sub_1", {"cancel_at_period_end": "false"}),
    ]


async def test_a_charge_is_sent_with_its_idempotency_key_and_repeats_safely(
    fake_stripe,
):
    fake, base = fake_stripe
    payments = _payments(base)
    first = await payments.charge(_charge("cus_ok"))
    again = await payments.charge(_charge("cus_ok"))
    assert first.outcome is ChargeOutcome.SUCCEEDED
    assert first == again
    assert fake.intents == 1  # the second answer came from the key
    posts = [r for r in fake.requests if r["path"] == "/v1/payment_intents"]
    assert {r["headers"]["idempotency-key"] for r in posts} == {
        "overage-org-2026-03-02"
    }
    form = posts[0]["form"]
    assert form["amount"] == "820"
    assert form["currency"] == "usd"
    assert form["payment_method"] == "pm_card_visa"
    assert form["off_session"] == "true"
    assert form["confirm"] == "true"
    assert form["metadata[week_start]"] == "2026-03-02"


async def test_a_decline_is_a_definite_failure(fake_stripe):
    _, base = fake_stripe
    result = await _payments(base).charge(_charge("cus_declines"))
    assert result.outcome is ChargeOutcome.DECLINED
    assert result.payment_id == "pi_1"
    assert result.error


async def test_a_server_error_is_an_unknown_outcome(fake_stripe):
    _, base = fake_stripe
    result = await _payments(base).charge(_charge("cus_breaks"))
    assert result.outcome is ChargeOutcome.ERROR


async def test_an_unreachable_stripe_is_an_unknown_outcome():
    payments = _payments("http://127.0.0.1:9")
    result = await payments.charge(_charge("cus_ok"))
    assert result.outcome is ChargeOutcome.ERROR
    with pytest.raises(PaymentProviderFailed):
        await payments.cancel_at_period_end("sub_1")


async def test_checkout_without_a_price_for_the_tier_fails_clearly():
    payments = StripePayments(Settings(stripe_secret_key=SECRET_KEY))
    with pytest.raises(PaymentProviderFailed, match="price"):
        await payments.create_checkout(
            CheckoutRequest("org-1", Tier.PRO, None, None, "https://a/", "https://a/")
        )


def test_events_are_read_from_both_layouts_with_the_price_map():
    payments = _payments("http://127.0.0.1:9")
    current = load_sample("stripe-customer.subscription.updated.current-api.json")
    current["data"]["object"]["items"]["data"][0]["price"]["id"] = "price_advanced"
    payload = json.dumps(current).encode()
    header = stripe_events.sign(payload, "whsec_live_test")
    _, event = payments.read_event(payload, header)
    assert event is not None
    assert event.tier is Tier.ADVANCED
    assert int(event.period_end.timestamp()) == 1771113600
    assert event.cancel_at_period_end is True
    with pytest.raises(ValidationFailed):
        payments.read_event(payload, header.replace("t=", "t=1"))
