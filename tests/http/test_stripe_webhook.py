"""The Stripe webhook over HTTP: every signature case, storage by event id,
duplicates, out-of-order delivery, and both API layouts of the samples."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from dependency_injector import providers
from litestar.testing import AsyncTestClient

from epoch_adapters import stripe_events
from epoch_adapters.settings import Settings
from tests.conftest import CRON_SECRET
from tests.http.billing_helpers import WEBHOOK_SECRET, post_event, sql
from tests.http.helpers import Account, load_sample, signed_up

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


def _for(account: Account, name: str) -> dict[str, Any]:
    """A sample event pointed at this organization (the samples carry
    placeholder organization ids)."""
    event = load_sample(name)
    # The legacy samples share one placeholder event id; real ids are unique.
    event["id"] = "evt_" + name.removeprefix("stripe-").removesuffix(".json")
    obj = event["data"]["object"]
    if "client_reference_id" in obj:
        obj["client_reference_id"] = account.organization_id
    for holder in (obj, obj.get("parent", {}).get("subscription_details") or {}):
        if isinstance(holder.get("metadata"), dict) and "org_id" in holder["metadata"]:
            holder["metadata"]["org_id"] = account.organization_id
    return event


async def _status(client: AsyncTestClient) -> dict:
    return (await client.get("/api/subscription/status")).json()


async def _stored(client: AsyncTestClient) -> int:
    rows = await sql(
        client, "SELECT count(*) AS n FROM webhook_events WHERE provider = 'stripe'"
    )
    return int(rows[0]["n"])


async def test_the_published_test_vector_verifies_with_the_sdk():
    """API-NOTES §3.1: the SDK test payload and secret at t=1700000000."""
    payload = (
        b'{\n  "id": "evt_test_webhook",\n  "object": "event",\n'
        b'  "data": { "object": { "id": "rdr_123", "object": "terminal.reader" } }\n}'
    )
    header = stripe_events.sign(payload, "whsec_test_secret", at=1_700_000_000)
    assert header == (
        "t=1700000000,v1="
        "3bfab77baf5f7b6991a46c9b53b6547d7afc56148b10468fcad9f35c1992ffbd"
    )


@pytest.mark.parametrize(
    "case", ["missing", "garbage", "wrong-secret", "too-old", "tampered", "v0-only"]
)
async def test_bad_signatures_are_refused_and_nothing_is_stored(
    client: AsyncTestClient, case
):
    account = await signed_up(client)
    event = _for(account, "stripe-checkout.session.completed.json")
    payload = json.dumps(event).encode()
    headers = {"content-type": "application/json"}
    body = payload
    if case == "garbage":
        headers["stripe-signature"] = "not-a-signature"
    elif case == "wrong-secret":
        headers["stripe-signature"] = stripe_events.sign(payload, "whsec_other")
    elif case == "too-old":
        old = int(time.time()) - 301
        headers["stripe-signature"] = stripe_events.sign(payload, WEBHOOK_SECRET, old)
    elif case == "tampered":
        headers["stripe-signature"] = stripe_events.sign(payload, WEBHOOK_SECRET)
        body = payload.replace(b'"starter"', b'"pro"')
    elif case == "v0-only":
        v1 = stripe_events.sign(payload, WEBHOOK_SECRET)
        headers["stripe-signature"] = v1.replace("v1=", "v0=")
    response = await client.post("/api/webhooks/stripe", content=body, headers=headers)
    assert response.status_code == 400, response.text
    assert response.json()["field"] == "Stripe-Signature"
    assert await _stored(client) == 0
    assert (await _status(client))["plan"] == "FREE"


async def test_a_signature_among_several_v1_values_is_accepted(client: AsyncTestClient):
    account = await signed_up(client)
    event = _for(account, "stripe-checkout.session.completed.json")
    payload = json.dumps(event).encode()
    good = stripe_events.sign(payload, WEBHOOK_SECRET)
    header = good + ",v1=" + "0" * 64
    response = await client.post(
        "/api/webhooks/stripe",
        content=payload,
        headers={"stripe-signature": header, "content-type": "application/json"},
    )
    assert response.status_code == 200
    assert (await _status(client))["plan"] == "STARTER"


async def test_checkout_completed_upgrades_and_is_handled_once(client: AsyncTestClient):
    account = await signed_up(client)
    event = _for(account, "stripe-checkout.session.completed.json")

    first = await post_event(client, event)
    assert first.status_code == 200
    assert first.json() == {"received": True, "outcome": "applied"}
    status = await _status(client)
    assert status["plan"] == "STARTER"
    assert status["stripeSubscriptionId"] == "sub_000000000000000000000000"

    second = await post_event(client, event)
    assert second.json()["outcome"] == "duplicate"
    assert await _stored(client) == 1
    [org] = await sql(
        client,
        "SELECT stripe_customer_id FROM organizations WHERE id = $1",
        account.organization_id,
    )
    assert org["stripe_customer_id"] == "cus_00000000000000"


async def test_both_api_layouts_and_out_of_order_delivery(client: AsyncTestClient):
    account = await signed_up(client)
    await post_event(client, _for(account, "stripe-checkout.session.completed.json"))

    # Legacy layout: the period is on the subscription itself.
    legacy = _for(account, "stripe-customer.subscription.updated.json")
    assert (await post_event(client, legacy)).json()["outcome"] == "applied"
    [org] = await sql(
        client,
        "SELECT subscription_period_end FROM organizations WHERE id = $1",
        account.organization_id,
    )
    assert int(org["subscription_period_end"].timestamp()) == 1650998505

    # Current layout: the invoice's subscription sits under parent.*.
    failed = _for(account, "stripe-invoice.payment_failed.current-api.json")
    assert (await post_event(client, failed)).json()["outcome"] == "applied"
    assert (await _status(client))["status"] == "past_due"

    # An older invoice.paid (2022) arrives late: it must not undo past_due.
    late = _for(account, "stripe-invoice.paid.json")
    assert (await post_event(client, late)).json()["outcome"] == "stale"
    assert (await _status(client))["status"] == "past_due"

    # Current layout: the period is on items.data[]; a pending cancellation.
    updated = _for(account, "stripe-customer.subscription.updated.current-api.json")
    assert (await post_event(client, updated)).json()["outcome"] == "applied"
    status = await _status(client)
    assert status["status"] == "active"
    assert status["effectiveAt"] == "2026-02-15T00:00:00Z"
    assert status["cancelledAt"] == "2026-01-15T02:00:00Z"
    [org] = await sql(
        client,
        "SELECT subscription_period_end, data_deletion_at FROM organizations "
        "WHERE id = $1",
        account.organization_id,
    )
    assert int(org["subscription_period_end"].timestamp()) == 1771113600
    assert org["data_deletion_at"].isoformat() == "2026-02-22T00:00:00+00:00"

    # The legacy update again (older, new id): changes nothing.
    replay = dict(legacy, id="evt_legacy_replay")
    assert (await post_event(client, replay)).json()["outcome"] == "stale"
    assert (await _status(client))["effectiveAt"] == "2026-02-15T00:00:00Z"

    deleted = _for(account, "stripe-customer.subscription.deleted.current-api.json")
    assert (await post_event(client, deleted)).json()["outcome"] == "applied"
    status = await _status(client)
    assert (status["plan"], status["status"]) == ("FREE", "canceled")


async def test_the_current_layout_invoice_paid_clears_past_due(client: AsyncTestClient):
    account = await signed_up(client)
    await post_event(client, _for(account, "stripe-checkout.session.completed.json"))
    failed = _for(account, "stripe-invoice.payment_failed.current-api.json")
    await post_event(client, failed)
    paid = _for(account, "stripe-invoice.paid.current-api.json")
    paid["created"] = failed["created"] + 60
    assert (await post_event(client, paid)).json()["outcome"] == "applied"
    assert (await _status(client))["status"] == "active"


async def test_unknown_types_and_organizations_are_acknowledged(
    client: AsyncTestClient,
):
    await signed_up(client)
    other = {"id": "evt_other", "object": "event", "type": "charge.refunded"}
    other.update(created=int(time.time()), data={"object": {"id": "ch_1"}})
    response = await post_event(client, other)
    assert response.json()["outcome"] == "ignored"
    stranger = load_sample("stripe-customer.subscription.deleted.json")
    response = await post_event(client, stranger)
    assert response.status_code == 200
    assert response.json()["outcome"] == "unknown_organization"
    assert await _stored(client) == 2


async def test_a_non_json_body_with_a_good_signature_is_refused(
    client: AsyncTestClient,
):
    payload = b"not json"
    response = await client.post(
        "/api/webhooks/stripe",
        content=payload,
        headers={"stripe-signature": stripe_events.sign(payload, WEBHOOK_SECRET)},
    )
    assert response.status_code == 400
    assert await _stored(client) == 0


class FakeA2P:
    def __init__(self) -> None:
        self.paid: list[str] = []

    async def record_payment(self, org_id: str) -> None:
        self.paid.append(org_id)


async def test_a_paid_one_off_checkout_reaches_its_feature(client: AsyncTestClient):
    """The A2P fee is a one-off checkout; its payment is recorded by the A2P
    use case, again on a redelivery (that use case ignores repeats)."""
    account = await signed_up(client)
    fake = FakeA2P()
    client.app.state.container.set_provider("a2p_registrations", providers.Object(fake))
    event = _for(account, "stripe-checkout.session.completed.json")
    session = event["data"]["object"]
    session.update(mode="payment", subscription=None)
    session["metadata"] = {
        "purpose": "a2p_registration",
        "organizationId": account.organization_id,
    }
    first = await post_event(client, event)
    assert first.json()["outcome"] == "ignored"
    again = await post_event(client, event)
    assert again.json()["outcome"] == "duplicate"
    assert fake.paid == [account.organization_id] * 2
    # Not a subscription: the plan is untouched.
    assert (await _status(client))["plan"] == "FREE"

    unpaid = dict(event, id="evt_unpaid")
    unpaid["data"] = {"object": dict(session, payment_status="unpaid")}
    await post_event(client, unpaid)
    assert len(fake.paid) == 2
