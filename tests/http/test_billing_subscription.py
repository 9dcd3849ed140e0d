"""Upgrades through checkout and the sandbox's signed events; cancel, 409,
reactivate and status; the portal and its return path."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from litestar.testing import AsyncTestClient

from epoch_adapters.settings import Settings
from tests.conftest import CRON_SECRET
from tests.http.billing_helpers import (
    WEBHOOK_SECRET,
    MovableClock,
    sandbox,
    sql,
    upgrade,
    use_clock,
)
from tests.http.helpers import sign_in, signed_up

pytestmark = pytest.mark.anyio


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path,
        cron_secret=CRON_SECRET,
        csrf_secret="csrf-secret-for-tests",
        log_level="WARNING",
        stripe_webhook_secret=WEBHOOK_SECRET,
    )


async def _status(client: AsyncTestClient) -> dict:
    response = await client.get("/api/subscription/status")
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_new_organization_has_no_subscription(client: AsyncTestClient):
    await signed_up(client)
    assert await _status(client) == {
        "plan": "FREE",
        "status": "none",
        "cancelledAt": None,
        "effectiveAt": None,
        "stripeSubscriptionId": None,
    }
    history = (await client.get("/api/billing/history")).json()
    assert history == {
        "records": [],
        "currentOverage": {
            "totalOverageMinutes": 0.0,
            "unbilledMinutes": 0.0,
            "estimatedCostCents": 0,
            "overageEnabled": False,
            "rateCentsPerMin": 0,
        },
    }


async def test_upgrade_through_checkout_and_the_signed_webhook(client: AsyncTestClient):
    account = await signed_up(client)
    url = await upgrade(client, "PRO")
    assert url.startswith("http://127.0.0.1:8000/sandbox/stripe/checkout?token=")

    status = await _status(client)
    assert status["plan"] == "PRO"
    assert status["status"] == "active"
    assert status["stripeSubscriptionId"].startswith("sub_sandbox_")
    usage = (await client.get("/api/usage")).json()
    assert usage["plan"] == "PRO"
    assert usage["snapshot"]["minutesLimit"] == 500
    # The events went through the webhook path: stored by their ids, processed.
    rows = await sql(
        client,
        "SELECT event_type, processed_at FROM webhook_events WHERE provider = 'stripe'",
    )
    assert sorted(r["event_type"] for r in rows) == [
        "checkout.session.completed",
        "customer.subscription.updated",
    ]
    assert all(r["processed_at"] is not None for r in rows)
    [org] = await sql(
        client,
        "SELECT stripe_customer_id, subscription_period_end FROM organizations "
        "WHERE id = $1",
        account.organization_id,
    )
    assert org["stripe_customer_id"].startswith("cus_sandbox_")
    assert org["subscription_period_end"] is not None
    # The open cycle gets the new plan's minutes at once.
    [cycle] = await sql(
        client,
        "SELECT included_minutes FROM usage_cycles WHERE organization_id = $1",
        account.organization_id,
    )
    assert cycle["included_minutes"] == 500

    history = (await client.get("/api/billing/history")).json()["currentOverage"]
    assert history["overageEnabled"] is True
    assert history["rateCentsPerMin"] == 30


async def test_a_paying_customer_upgrades_the_same_subscription(
    client: AsyncTestClient,
):
    await signed_up(client)
    await upgrade(client, "STARTER")
    before = await _status(client)
    await upgrade(client, "PRO")
    after = await _status(client)
    assert after["plan"] == "PRO"
    assert after["stripeSubscriptionId"] == before["stripeSubscriptionId"]
    usage = (await client.get("/api/usage")).json()
    assert usage["snapshot"]["minutesLimit"] == 500


@pytest.mark.parametrize(
    ("tier", "field_problem"),
    [("PRO", "already on PRO"), ("STARTER", "downgrade"), ("ENTERPRISE", "one of")],
)
async def test_checkout_refuses_the_current_plan_downgrades_and_enterprise(
    client: AsyncTestClient, tier, field_problem
):
    await signed_up(client)
    await upgrade(client, "PRO")
    response = await client.post("/api/stripe/checkout", json={"planTier": tier})
    assert response.status_code == 400
    assert response.json()["field"] == "planTier"
    assert field_problem in response.json()["detail"]


async def test_checkout_validates_the_body(client: AsyncTestClient):
    await signed_up(client)
    for body in ({}, {"planTier": "GOLD"}, {"planTier": 3}):
        response = await client.post("/api/stripe/checkout", json=body)
        assert response.status_code == 400, body


async def test_cancel_twice_reactivate_and_status(client: AsyncTestClient):
    clock = MovableClock()
    use_clock(client, clock)
    await signed_up(client)
    await upgrade(client, "STARTER")
    subscription = (await _status(client))["stripeSubscriptionId"]

    refused = await client.post(
        "/api/subscription/cancel", json={"acknowledged": False}
    )
    assert refused.status_code == 400

    response = await client.post(
        "/api/subscription/cancel", json={"acknowledged": True}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    effective = datetime.fromisoformat(body["effectiveAt"])
    # The sandbox subscription's period is 30 days from the checkout.
    assert effective == clock.now().replace(microsecond=0) + timedelta(days=30)
    assert datetime.fromisoformat(body["deletionAt"]) == effective + timedelta(days=7)

    status = await _status(client)
    assert status["plan"] == "STARTER"  # paid until the period ends
    assert status["cancelledAt"] == body["cancelledAt"]
    assert status["effectiveAt"] == body["effectiveAt"]

    again = await client.post("/api/subscription/cancel", json={"acknowledged": True})
    assert again.status_code == 409
    assert again.json()["error"] == "AlreadyCancelled"

    back = await client.post("/api/subscription/reactivate", json={})
    assert back.status_code == 200
    assert back.json() == {"success": True}
    status = await _status(client)
    assert status["cancelledAt"] is None
    assert status["effectiveAt"] is None
    assert sandbox(client).subscription_changes == [
        (subscription, True),
        (subscription, False),
    ]

    assert (
        await client.post("/api/subscription/reactivate", json={})
    ).status_code == 409


async def test_a_free_organization_has_nothing_to_cancel_or_reactivate(
    client: AsyncTestClient,
):
    account = await signed_up(client)
    before = await _status(client)
    response = await client.post(
        "/api/subscription/cancel", json={"acknowledged": True}
    )
    assert response.status_code == 409, response.text
    assert response.json()["error"] == "NoSubscription"
    back = await client.post("/api/subscription/reactivate", json={})
    assert back.status_code == 409
    assert back.json()["error"] == "NotCancelled"
    assert await _status(client) == before
    [org] = await sql(
        client,
        "SELECT cancelled_at, cancel_effective_at, data_deletion_at "
        "FROM organizations WHERE id = $1",
        account.organization_id,
    )
    assert dict(org) == {
        "cancelled_at": None,
        "cancel_effective_at": None,
        "data_deletion_at": None,
    }
    assert sandbox(client).subscription_changes == []


async def test_reactivate_after_the_effective_date_is_refused(client: AsyncTestClient):
    clock = MovableClock()
    use_clock(client, clock)
    account = await signed_up(client)
    # A paid plan without a Stripe subscription (set by an operator).
    await sql(
        client,
        "UPDATE organizations SET plan = 'STARTER' WHERE id = $1",
        account.organization_id,
    )
    response = await client.post(
        "/api/subscription/cancel", json={"acknowledged": True}
    )
    assert response.status_code == 200
    # Without a provider period, the cancellation ends with the usage cycle.
    [cycle] = await sql(
        client,
        "SELECT ends_at FROM usage_cycles WHERE organization_id = $1",
        account.organization_id,
    )
    effective = datetime.fromisoformat(response.json()["effectiveAt"])
    assert effective == cycle["ends_at"]
    clock.set(effective + timedelta(seconds=1))
    await sign_in(client, account)  # the old session idled out meanwhile
    late = await client.post("/api/subscription/reactivate", json={})
    assert late.status_code == 409
    assert late.json()["error"] == "CancellationAlreadyEffective"


@pytest.mark.parametrize(
    "path",
    ["//evil.example/x", "https://evil.example/", "/\\evil.example", "dashboard"],
)
async def test_the_portal_returns_only_to_this_service(client: AsyncTestClient, path):
    await signed_up(client)
    await upgrade(client, "STARTER")
    response = await client.post("/api/stripe/portal", json={"returnPath": path})
    assert response.status_code == 400
    assert response.json()["field"] == "returnPath"


async def test_the_portal_needs_a_billing_account(client: AsyncTestClient):
    await signed_up(client)
    response = await client.post("/api/stripe/portal", json={})
    assert response.status_code == 400


async def test_the_sandbox_portal_changes_the_plan(client: AsyncTestClient):
    await signed_up(client)
    await upgrade(client, "PRO")
    response = await client.post(
        "/api/stripe/portal", json={"returnPath": "/dashboard/billing"}
    )
    assert response.status_code == 200
    url = urlsplit(response.json()["url"])
    token = parse_qs(url.query)["token"][0]
    page = await client.get(url.path, params={"token": token})
    assert page.status_code == 200
    assert "Switch to STARTER" in page.text
    assert "Switch to PRO" not in page.text
    moved = await client.post(
        "/sandbox/stripe/portal",
        data={"token": token, "tier": "STARTER"},
        follow_redirects=False,
    )
    assert moved.status_code == 303
    assert moved.headers["location"] == "http://127.0.0.1:8000/dashboard/billing"
    assert (await _status(client))["plan"] == "STARTER"


async def test_a_forged_sandbox_token_is_refused(client: AsyncTestClient):
    await signed_up(client)
    response = await client.post(
        "/sandbox/stripe/checkout", data={"token": "e30.deadbeef"}
    )
    assert response.status_code == 400
    assert (await _status(client))["plan"] == "FREE"


async def test_billing_routes_need_a_session(client: AsyncTestClient):
    for method, path in (
        ("GET", "/api/billing/history"),
        ("POST", "/api/stripe/checkout"),
        ("POST", "/api/subscription/cancel"),
        ("GET", "/api/subscription/status"),
    ):
        response = await client.request(method, path, json={})
        assert response.status_code == 401, path
