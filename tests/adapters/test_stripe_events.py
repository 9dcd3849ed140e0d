"""Reading the shared Stripe samples in both API layouts, and the signature
test vectors of the API notes (checked with the SDK, tolerance aside)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import stripe
from hypothesis import given
from hypothesis import strategies as st

from epoch_adapters import stripe_events
from epoch_domain.errors import ValidationFailed
from epoch_domain.plans import Tier
from epoch_domain.subscription import EventKind
from tests.conftest import sample_path
from tests.http.helpers import load_sample

SUB = "sub_000000000000000000000000"


def _at(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


@pytest.mark.parametrize(
    ("name", "kind", "subscription", "period_end"),
    [
        (
            "stripe-checkout.session.completed.json",
            EventKind.CHECKOUT_COMPLETED,
            SUB,
            None,
        ),
        (
            "stripe-customer.subscription.updated.json",
            EventKind.SUBSCRIPTION_UPDATED,
            SUB,
            1650998505,
        ),
        (
            "stripe-customer.subscription.updated.current-api.json",
            EventKind.SUBSCRIPTION_UPDATED,
            SUB,
            1771113600,
        ),
        (
            "stripe-customer.subscription.deleted.json",
            EventKind.SUBSCRIPTION_DELETED,
            SUB,
            1650998496,
        ),
        (
            "stripe-customer.subscription.deleted.current-api.json",
            EventKind.SUBSCRIPTION_DELETED,
            SUB,
            1771113600,
        ),
        ("stripe-invoice.paid.json", EventKind.INVOICE_PAID, None, None),
        ("stripe-invoice.paid.current-api.json", EventKind.INVOICE_PAID, SUB, None),
        (
            "stripe-invoice.payment_failed.current-api.json",
            EventKind.INVOICE_PAYMENT_FAILED,
            SUB,
            None,
        ),
    ],
)
def test_every_sample_is_read_in_its_layout(name, kind, subscription, period_end):
    event = stripe_events.read_event(load_sample(name), {})
    assert event is not None
    assert event.kind is kind
    assert event.customer_id == "cus_00000000000000"
    assert event.subscription_id == subscription
    if period_end is not None:
        assert event.period_end == _at(period_end)


def test_checkout_reads_the_plan_and_the_organization():
    event = stripe_events.read_event(
        load_sample("stripe-checkout.session.completed.json"), {}
    )
    assert event is not None
    assert event.tier is Tier.STARTER
    assert event.organization_ref == "org_example_0001"
    assert event.completed is True


def test_the_current_subscription_layout_gives_the_pending_cancellation():
    data = load_sample("stripe-customer.subscription.updated.current-api.json")
    event = stripe_events.read_event(data, {"price_000000000000000000000000": Tier.PRO})
    assert event is not None
    assert event.tier is Tier.PRO
    assert event.cancel_at_period_end is True
    assert event.cancel_at == _at(1771113600)
    assert event.period_start == _at(1768435200)
    assert event.organization_ref == "org_example_0001"


def test_lookup_keys_name_the_tier_when_the_price_is_unknown():
    data = load_sample("stripe-customer.subscription.updated.current-api.json")
    event = stripe_events.read_event(data, {})
    assert event is not None
    assert event.tier is Tier.STARTER  # lookup_key "starter_monthly"


def test_other_types_are_not_read():
    assert (
        stripe_events.read_event({"id": "evt_1", "type": "charge.refunded"}, {}) is None
    )


def test_the_notes_vectors_match_our_signer_and_the_sdk():
    raw = sample_path("stripe-invoice.paid.current-api.json").read_bytes()
    header = stripe_events.sign(raw, "whsec_test_secret", at=1_700_000_000)
    assert header.endswith(
        "v1=e425a34472028da7e27ced464a6e67902c5bbfdcc0729bc30d4d305323a8020f"
    )
    assert stripe.WebhookSignature.verify_header(raw, header, "whsec_test_secret")
    # With the 300 s tolerance, a 2023 timestamp is too old.
    with pytest.raises(ValidationFailed):
        stripe_events.verify(raw, header, "whsec_test_secret")
    small = b'{"id":"evt_1","object":"event","type":"invoice.paid"}'
    assert stripe_events.sign(small, "whsec_test_secret", 1_700_000_000).endswith(
        "v1=dfb4777aaaec4ea29ff455dd4df7fe6b2ef71096ad3a93a158db7e100109ea91"
    )


def test_without_a_configured_secret_nothing_verifies():
    payload = b'{"id":"evt_1","object":"event","type":"invoice.paid"}'
    header = stripe_events.sign(payload, "whsec_any")
    with pytest.raises(ValidationFailed, match="no webhook secret"):
        stripe_events.verify(payload, header, None)


@given(st.binary(min_size=1, max_size=300), st.data())
def test_a_signature_covers_every_byte(body, data):
    payload = b'{"id":"evt_p","x":"' + body.hex().encode() + b'"}'
    header = stripe_events.sign(payload, "whsec_prop")
    assert stripe_events.verify(payload, header, "whsec_prop")["id"] == "evt_p"
    index = data.draw(st.integers(0, len(payload) - 1))
    flipped = bytearray(payload)
    flipped[index] ^= 0x01
    with pytest.raises(ValidationFailed):
        stripe_events.verify(bytes(flipped), header, "whsec_prop")


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
SAMPLES = [
    "stripe-checkout.session.completed.json",
    "stripe-customer.subscription.updated.current-api.json",
    "stripe-customer.subscription.updated.json",
    "stripe-customer.subscription.deleted.current-api.json",
    "stripe-invoice.paid.json",
    "stripe-invoice.paid.current-api.json",
    "stripe-invoice.payment_failed.current-api.json",
]
FIELDS = [
    ("created",),
    ("data",),
    ("data", "object"),
    ("data", "object", "customer"),
    ("data", "object", "status"),
    ("data", "object", "client_reference_id"),
    ("data", "object", "metadata"),
    ("data", "object", "subscription"),
    ("data", "object", "current_period_end"),
    ("data", "object", "cancel_at"),
    ("data", "object", "cancel_at_period_end"),
    ("data", "object", "items"),
    ("data", "object", "lines"),
    ("data", "object", "parent"),
]


@given(
    st.sampled_from(SAMPLES),
    st.lists(st.tuples(st.sampled_from(FIELDS), json_values), min_size=1, max_size=4),
)
def test_any_value_in_any_field_is_read_or_named_as_unreadable(name, changes):
    """Whatever a signed event carries, reading it never raises: the event in
    our terms with a usable time, or one naming its problem with no time."""
    data = load_sample(name)
    for path, value in changes:
        holder = data
        for key in path[:-1]:
            holder = holder.get(key) if isinstance(holder, dict) else None
        if isinstance(holder, dict):
            holder[path[-1]] = value
    event = stripe_events.read_event(data, {})
    assert event is not None
    if event.problem is None:
        assert event.created is not None
        assert stripe_events.EARLIEST <= event.created < stripe_events.LATEST
        for when in (event.period_start, event.period_end, event.cancel_at):
            assert when is None or when >= stripe_events.EARLIEST
    else:
        assert event.created is None


@pytest.mark.parametrize("created", [1e300, -1e300, 10**30, "1700000000", True, 0])
def test_an_unusable_created_makes_the_event_unreadable(created):
    data = load_sample("stripe-invoice.paid.current-api.json")
    data["created"] = created
    event = stripe_events.read_event(data, {})
    assert event is not None
    assert event.created is None
    assert event.problem in (
        "created is not a usable time",
        "created is not a Unix time",
    )


def test_an_event_without_created_is_unreadable_not_new():
    """Stripe always dates its events; one without a time cannot be ordered
    against the others, so it is never taken as the newest."""
    data = load_sample("stripe-customer.subscription.updated.current-api.json")
    del data["created"]
    event = stripe_events.read_event(data, {})
    assert event is not None
    assert (event.created, event.problem) == (None, "created is missing")
