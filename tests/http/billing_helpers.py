"""Steps the billing tests share: a movable clock, the sandbox, signed
Stripe events, and upgrading through the sandbox checkout."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import asyncpg
from dependency_injector import providers
from litestar.testing import AsyncTestClient

from epoch_adapters import stripe_events
from epoch_adapters.stripe_sandbox import SandboxPayments
from tests.conftest import CRON_SECRET, fetch

WEBHOOK_SECRET = "whsec_billing_tests_0123456789"


class MovableClock:
    def __init__(self, now: datetime | None = None) -> None:
        self.instant = now or datetime.now(UTC)

    def now(self) -> datetime:
        return self.instant

    def advance(self, delta: timedelta) -> None:
        self.instant += delta

    def set(self, instant: datetime) -> None:
        self.instant = instant


def use_clock(client: AsyncTestClient, clock: MovableClock) -> None:
    """Must run before the first request: use cases take the clock when built."""
    client.app.state.container.clock.override(providers.Object(clock))


def sandbox(client: AsyncTestClient) -> SandboxPayments:
    payments = client.app.state.container.payments()
    assert isinstance(payments, SandboxPayments)
    return payments


async def post_event(
    client: AsyncTestClient,
    event: dict[str, Any],
    secret: str = WEBHOOK_SECRET,
    at: int | None = None,
) -> Any:
    payload = json.dumps(event).encode()
    header = stripe_events.sign(payload, secret, at)
    return await client.post(
        "/api/webhooks/stripe",
        content=payload,
        headers={"stripe-signature": header, "content-type": "application/json"},
    )


async def upgrade(client: AsyncTestClient, tier: str) -> str:
    """Checkout, then the sandbox page's Pay button; returns the checkout URL."""
    response = await client.post("/api/stripe/checkout", json={"planTier": tier})
    assert response.status_code == 200, response.text
    url = response.json()["url"]
    parts = urlsplit(url)
    token = parse_qs(parts.query)["token"][0]
    page = await client.get(parts.path, params={"token": token})
    assert page.status_code == 200
    assert "Pay" in page.text
    paid = await client.post(
        "/sandbox/stripe/checkout", data={"token": token}, follow_redirects=False
    )
    assert paid.status_code == 303, paid.text
    assert "checkout=success" in paid.headers["location"]
    return str(url)


async def cron(client: AsyncTestClient, job: str) -> dict[str, int]:
    response = await client.get(
        f"/api/cron/{job}", headers={"authorization": f"Bearer {CRON_SECRET}"}
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def sql(client: AsyncTestClient, query: str, *args: Any) -> list[asyncpg.Record]:
    return await fetch(client.app.state.settings.database_url, query, *args)


def next_billing_run(instant: datetime) -> datetime:
    """Monday 11:00 UTC after the week that holds `instant`."""
    day = instant.astimezone(UTC).date()
    monday = day - timedelta(days=day.weekday()) + timedelta(days=7)
    return datetime(monday.year, monday.month, monday.day, 11, tzinfo=UTC)
