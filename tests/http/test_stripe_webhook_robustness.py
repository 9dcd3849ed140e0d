"""The Stripe webhook against signed events it cannot act on: a customer id
that belongs to another organization, events we cannot read, events without
a creation time, and signatures timestamped in the future."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from epoch_adapters import stripe_events
from epoch_adapters.settings import Settings
from tests.conftest import CRON_SECRET
from tests.http.billing_helpers import WEBHOOK_SECRET, post_event, sql
from tests.http.helpers import Account, load_sample, signed_up

pytestmark = pytest.mark.anyio

CHECKOUT = "stripe-checkout.session.completed.json"
UPDATED = "stripe-customer.subscription.updated.current-api.json"
FAILED = "stripe-invoice.payment_failed.current-api.json"


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


def _event(
    account: Account, name: str, event_id: str, **object_fields: Any
) -> dict[str, Any]:
    """A sample pointed at this organization, under a fresh id, created now."""
    event = load_sample(name)
    event["id"] = event_id
    event["created"] = int(time.time())
    obj = event["data"]["object"]
    if "client_reference_id" in obj:
        obj["client_reference_id"] = account.organization_id
    for holder in (obj, obj.get("parent", {}).get("subscription_details") or {}):
        if isinstance(holder.get("metadata"), dict) and "org_id" in holder["metadata"]:
            holder["metadata"]["org_id"] = account.organization_id
    obj.update(object_fields)
    return event


async def _org(client: AsyncTestClient, org_id: str) -> dict[str, Any]:
    [row] = await sql(
        client,
        "SELECT plan, subscription_status, stripe_customer_id, "
        "stripe_subscription_id, cancelled_at, stripe_event_at "
        "FROM organizations WHERE id = $1",
        org_id,
    )
    return dict(row)


async def _stored(client: AsyncTestClient, event_id: str) -> dict[str, Any]:
    [row] = await sql(
        client,
        "SELECT processed_at, error FROM webhook_events "
        "WHERE provider = 'stripe' AND external_id = $1",
        event_id,
    )
    return dict(row)


# 1. A customer id that already belongs to another organization --------------


async def test_a_customer_of_another_organization_is_acknowledged_and_changes_nothing(
    client: AsyncTestClient, caplog
):
    other = await signed_up(client)
    theirs = _event(other, CHECKOUT, "evt_checkout_y", customer="cus_shared")
    assert (await post_event(client, theirs)).json()["outcome"] == "applied"
    other_before = await _org(client, other.organization_id)

    account = await signed_up(client)
    before = await _org(client, account.organization_id)
    ours = _event(
        account, CHECKOUT, "evt_checkout_x", customer="cus_shared", subscription="sub_x"
    )
    caplog.clear()
    response = await post_event(client, ours)
    assert response.status_code == 200, response.text
    assert response.json() == {"received": True, "outcome": "customer_conflict"}
    [conflict] = [
        r.msg
        for r in caplog.records
        if isinstance(r.msg, dict)
        and r.msg.get("event") == "billing.stripe.customer_conflict"
    ]
    assert conflict["organization_id"] == account.organization_id
    assert conflict["other_organization_id"] == other.organization_id
    assert conflict["event_id"] == "evt_checkout_x"

    assert await _org(client, account.organization_id) == before
    assert await _org(client, other.organization_id) == other_before
    stored = await _stored(client, "evt_checkout_x")
    assert stored["processed_at"] is not None
    assert stored["error"].startswith("customer_conflict")
    assert other.organization_id in stored["error"]

    # Stripe's redelivery is acknowledged too, and still changes nothing.
    again = await post_event(client, ours)
    assert again.status_code == 200
    assert again.json()["outcome"] == "duplicate"
    assert await _org(client, account.organization_id) == before


async def test_a_subscription_update_cannot_take_another_organizations_customer(
    client: AsyncTestClient,
):
    other = await signed_up(client)
    await post_event(client, _event(other, CHECKOUT, "evt_y", customer="cus_shared"))
    account = await signed_up(client)
    before = await _org(client, account.organization_id)
    update = _event(account, UPDATED, "evt_upd_x", customer="cus_shared", id="sub_x")
    response = await post_event(client, update)
    assert response.status_code == 200
    assert response.json()["outcome"] == "customer_conflict"
    assert await _org(client, account.organization_id) == before


# 2. Signed events we cannot read ---------------------------------------------


def _object_is_a_list(event: dict[str, Any]) -> None:
    event["data"]["object"] = [event["data"]["object"]]


def _data_is_a_list(event: dict[str, Any]) -> None:
    event["data"] = [event["data"]]


def _created(value: Any) -> Any:
    def change(event: dict[str, Any]) -> None:
        event["created"] = value

    return change


def _field(name: str, value: Any) -> Any:
    def change(event: dict[str, Any]) -> None:
        event["data"]["object"][name] = value

    return change


UNREADABLE = {
    "object-is-a-list": _object_is_a_list,
    "data-is-a-list": _data_is_a_list,
    "data-is-a-string": lambda event: event.update(data="x"),
    "created-1e300": _created(1e300),
    "created-minus-1e300": _created(-1e300),
    "created-huge-int": _created(10**30),
    "created-a-string": _created("1700000000"),
    "created-a-bool": _created(True),
    "status-a-list": _field("status", ["active"]),
    "customer-a-number": _field("customer", 42),
    "reference-an-object": _field("client_reference_id", {"id": "x"}),
    "period-end-1e300": _field("current_period_end", 1e300),
    "customer-with-nul": _field("customer", "cus_\x00x"),
    "subscription-with-nul": _field("subscription", "sub_\x00x"),
    "reference-with-nul": _field("client_reference_id", "org\x00"),
    "status-with-nul": _field("status", "active\x00"),
    # Random, so that PostgreSQL cannot compress it under the index's limit.
    "customer-too-long": _field("customer", "cus_" + os.urandom(4000).hex()),
}


# Fields only matter where that kind of event is read for them.
ONLY_IN = {
    "status-a-list": (UPDATED, FAILED),
    "reference-an-object": (CHECKOUT,),
    "period-end-1e300": (UPDATED,),
    "subscription-with-nul": (CHECKOUT,),
    "reference-with-nul": (CHECKOUT,),
    "status-with-nul": (UPDATED, FAILED),
}
CASES = [
    (name, case)
    for case in sorted(UNREADABLE)
    for name in ONLY_IN.get(case, (CHECKOUT, UPDATED, FAILED))
]


@pytest.mark.parametrize(("name", "case"), CASES)
async def test_an_unreadable_signed_event_is_stored_acknowledged_and_changes_nothing(
    client: AsyncTestClient, name, case
):
    account = await signed_up(client)
    applied = _event(account, CHECKOUT, "evt_first", customer="cus_mine")
    assert (await post_event(client, applied)).json()["outcome"] == "applied"
    before = await _org(client, account.organization_id)

    event = _event(account, name, "evt_bad")
    event["created"] = int(time.time()) + 60
    UNREADABLE[case](event)
    response = await post_event(client, event)
    assert response.status_code == 200, response.text
    assert response.json() == {"received": True, "outcome": "unreadable"}
    stored = await _stored(client, "evt_bad")
    assert stored["processed_at"] is not None
    assert stored["error"].startswith("unreadable")
    assert await _org(client, account.organization_id) == before
    again = await post_event(client, event)
    assert (again.status_code, again.json()["outcome"]) == (200, "duplicate")


@pytest.mark.parametrize("case", ["data-is-a-list", "metadata-a-string"])
async def test_a_malformed_one_off_checkout_is_acknowledged(
    client: AsyncTestClient, case
):
    account = await signed_up(client)
    event = _event(account, CHECKOUT, "evt_one_off", mode="payment", subscription=None)
    if case == "data-is-a-list":
        _data_is_a_list(event)
    else:
        event["data"]["object"]["metadata"] = "a2p_registration"
    response = await post_event(client, event)
    assert response.status_code == 200, response.text
    assert (await _org(client, account.organization_id))["plan"] == "FREE"


async def test_non_standard_json_numbers_are_refused_as_not_json(
    client: AsyncTestClient,
):
    """`Infinity` and `NaN` are not JSON (RFC 8259): 400 and nothing stored,
    as for any body that does not parse."""
    for raw in ("Infinity", "NaN"):
        payload = b'{"id": "evt_inf", "type": "invoice.paid", "created": ' + (
            raw.encode() + b', "data": {"object": {}}}'
        )
        response = await client.post(
            "/api/webhooks/stripe",
            content=payload,
            headers={"stripe-signature": stripe_events.sign(payload, WEBHOOK_SECRET)},
        )
        assert response.status_code == 400, raw
    rows = await sql(client, "SELECT count(*) AS n FROM webhook_events")
    assert rows[0]["n"] == 0


async def test_a_body_with_an_unpaired_surrogate_is_refused_as_not_unicode(
    client: AsyncTestClient,
):
    """`"\\ud800"` parses as JSON but is not Unicode text, and PostgreSQL
    cannot store it: 400 and nothing stored, as for a body that is not JSON."""
    account = await signed_up(client)
    event = _event(account, CHECKOUT, "evt_surrogate", description="PLACEHOLDER")
    payload = json.dumps(event).replace("PLACEHOLDER", "\\ud800x").encode()
    response = await client.post(
        "/api/webhooks/stripe",
        content=payload,
        headers={"stripe-signature": stripe_events.sign(payload, WEBHOOK_SECRET)},
    )
    assert response.status_code == 400, response.text
    assert response.json()["field"] == "body"
    rows = await sql(client, "SELECT count(*) AS n FROM webhook_events")
    assert rows[0]["n"] == 0


# 3. An event without a usable creation time ---------------------------------


@pytest.mark.parametrize("name", [UPDATED, FAILED, CHECKOUT])
async def test_an_undated_event_never_wins_over_a_dated_one(
    client: AsyncTestClient, name
):
    account = await signed_up(client)
    checkout = _event(account, CHECKOUT, "evt_pro", customer="cus_mine")
    checkout["data"]["object"]["metadata"]["plan"] = "pro"
    assert (await post_event(client, checkout)).json()["outcome"] == "applied"
    before = await _org(client, account.organization_id)
    assert (before["plan"], before["subscription_status"]) == ("PRO", "active")

    undated = _event(account, name, "evt_undated", customer="cus_mine")
    del undated["created"]
    response = await post_event(client, undated)
    assert response.status_code == 200
    assert response.json()["outcome"] == "unreadable"
    assert (await _stored(client, "evt_undated"))["error"].startswith("unreadable")
    assert await _org(client, account.organization_id) == before

    # The ordering still works from the last dated event: an older dated one
    # is stale, a newer one applies.
    older = _event(account, FAILED, "evt_older", customer="cus_mine")
    older["created"] = checkout["created"] - 60
    assert (await post_event(client, older)).json()["outcome"] == "stale"
    newer = _event(account, FAILED, "evt_newer", customer="cus_mine")
    newer["created"] = checkout["created"] + 60
    assert (await post_event(client, newer)).json()["outcome"] == "applied"
    after = await _org(client, account.organization_id)
    assert (after["plan"], after["subscription_status"]) == ("PRO", "past_due")


# 5. A signature timestamped in the future -----------------------------------


@pytest.mark.parametrize(
    ("ahead", "accepted"), [(301, False), (3600, False), (60, True)]
)
async def test_a_signature_from_the_future_is_refused_beyond_the_tolerance(
    client: AsyncTestClient, ahead, accepted
):
    account = await signed_up(client)
    event = _event(account, CHECKOUT, "evt_future")
    payload = json.dumps(event).encode()
    header = stripe_events.sign(payload, WEBHOOK_SECRET, int(time.time()) + ahead)
    response = await client.post(
        "/api/webhooks/stripe",
        content=payload,
        headers={"stripe-signature": header, "content-type": "application/json"},
    )
    rows = await sql(client, "SELECT count(*) AS n FROM webhook_events")
    if accepted:
        assert response.status_code == 200
        assert rows[0]["n"] == 1
    else:
        assert response.status_code == 400, response.text
        assert response.json()["field"] == "Stripe-Signature"
        assert rows[0]["n"] == 0
        assert (await _org(client, account.organization_id))["plan"] == "FREE"
