"""Stripe webhook events: signature check (with the official SDK) and reading
the fields we act on from either API layout.

Stripe moved fields between API versions (see the shared API notes, §3.2):
an invoice's subscription is `invoice.subscription` before 2025-03-31.basil
and `invoice.parent.subscription_details.subscription` (or per line,
`lines.data[].parent.subscription_item_details.subscription`) after; a
subscription's `current_period_*` moved from the subscription onto each
`items.data[]`. The readers below try the current layout, then the old one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import stripe
import structlog

from epoch_domain.errors import ValidationFailed
from epoch_domain.plans import Tier
from epoch_domain.subscription import BillingEvent, EventKind

log = structlog.get_logger()

TOLERANCE_SECONDS = 300
SIGNATURE_FIELD = "Stripe-Signature"


def verify(payload: bytes, header: str | None, secret: str | None) -> dict[str, Any]:
    """The event as a dict, once its signature verifies within the tolerance."""
    if not secret:
        raise ValidationFailed(SIGNATURE_FIELD, "no webhook secret is configured")
    if not header:
        raise ValidationFailed(SIGNATURE_FIELD, "is missing")
    try:
        stripe.WebhookSignature.verify_header(
            payload, header, secret, tolerance=TOLERANCE_SECONDS
        )
    except stripe.SignatureVerificationError as err:
        raise ValidationFailed(SIGNATURE_FIELD, "does not verify") from err
    # The SDK refuses only old timestamps; one from the future is as suspect
    # (a signature made in advance, or a sender's clock far off).
    if _signed_at(header) > time.time() + TOLERANCE_SECONDS:
        raise ValidationFailed(SIGNATURE_FIELD, "is timestamped in the future")
    try:
        # NaN and Infinity are not JSON (RFC 8259); Python would accept them.
        data = json.loads(payload, parse_constant=_not_json)
    except ValueError as err:
        raise ValidationFailed("body", "is not JSON") from err
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        raise ValidationFailed("body", "is not a Stripe event")
    try:
        # An unpaired surrogate escape (`"\\ud800"`) parses, but is not
        # Unicode text: PostgreSQL cannot store it, Stripe never sends it.
        json.dumps(data, ensure_ascii=False).encode()
    except UnicodeEncodeError as err:
        raise ValidationFailed("body", "has text that is not valid Unicode") from err
    return data


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def _signed_at(header: str) -> int:
    """The header's `t=` value, read as the SDK reads it (the last one wins);
    only called once the SDK has verified the header, so it is an integer."""
    found = 0
    for part in header.split(","):
        key, _, value = part.partition("=")
        if key.strip() == "t":
            found = int(value)
    return found


def sign(payload: bytes, secret: str, at: int | None = None) -> str:
    """A `Stripe-Signature` header for `payload`, as Stripe computes it."""
    timestamp = int(time.time()) if at is None else at
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def _get(data: Any, *path: str | int) -> Any:
    for key in path:
        if isinstance(key, int):
            if not isinstance(data, list) or len(data) <= key:
                return None
            data = data[key]
        else:
            if not isinstance(data, Mapping):
                return None
            data = data.get(key)
    return data


# The instants we accept: Stripe's are all after 2011; anything outside this
# window is not a time Stripe sent (and could overflow the date arithmetic).
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


MAX_ID_LENGTH = 255


class Unreadable(Exception):
    """A field we act on is not what Stripe sends."""


def _ts(value: Any, field: str) -> datetime | None:
    """A Unix time, None when absent; `Unreadable` for anything else."""
    if value is None:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise Unreadable(f"{field} is not a Unix time")
    try:
        found = datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError) as err:
        raise Unreadable(f"{field} is not a usable time") from err
    if not EARLIEST <= found < LATEST:
        raise Unreadable(f"{field} is not a usable time")
    return found


def _text(value: Any, field: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise Unreadable(f"{field} is not a string")
    if "\x00" in value:
        # Nothing Stripe names holds NUL, and PostgreSQL cannot compare it.
        raise Unreadable(f"{field} contains NUL")
    return value or None


def _flag(value: Any, field: str) -> bool:
    if value is None or isinstance(value, bool):
        return bool(value)
    raise Unreadable(f"{field} is not a boolean")


def _id(value: Any, field: str = "id") -> str | None:
    """An id given as a string or as an expanded object."""
    if isinstance(value, Mapping) and isinstance(value.get("id"), str):
        value = value["id"]
    if value is not None and not isinstance(value, str):
        raise Unreadable(f"{field} is not an id")
    if value is not None and len(value) > MAX_ID_LENGTH:
        # Stripe's ids are short; ours are indexed, and a btree entry is
        # limited to about 2.7 kB.
        raise Unreadable(f"{field} is too long for an id")
    return _text(value, field)


def _tier(value: Any) -> Tier | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return Tier.parse(value)
    except ValidationFailed:
        return None


def _subscription_tier(
    obj: Mapping[str, Any], prices: Mapping[str, Tier]
) -> Tier | None:
    price = _get(obj, "items", "data", 0, "price")
    price_id = _id(price, "items.data[0].price")
    if price_id and price_id in prices:
        return prices[price_id]
    by_metadata = _tier(_get(obj, "metadata", "plan"))
    if by_metadata:
        return by_metadata
    lookup = _get(price, "lookup_key")
    if isinstance(lookup, str):
        return _tier(lookup.split("_", 1)[0])
    return None


def _invoice_subscription(obj: Mapping[str, Any]) -> str | None:
    found = _id(
        _get(obj, "parent", "subscription_details", "subscription"),
        "parent.subscription_details.subscription",
    )
    found = found or _id(obj.get("subscription"), "subscription")
    if found:
        return found
    lines = _get(obj, "lines", "data")
    for line in lines if isinstance(lines, list) else []:
        found = _id(
            _get(line, "parent", "subscription_item_details", "subscription"),
            "lines.data[].parent.subscription_item_details.subscription",
        ) or _id(_get(line, "subscription"), "lines.data[].subscription")
        if found:
            return found
    return None


def read_event(
    data: Mapping[str, Any], prices: Mapping[str, Tier]
) -> BillingEvent | None:
    """The event in our terms, or None for a type we do not act on. An event
    of a type we act on whose fields are not what Stripe sends comes back
    with `problem` set (and no time): it is stored and changes nothing."""
    try:
        kind = EventKind(data.get("type"))
    except ValueError:
        return None
    event_id = str(data["id"])
    try:
        return _read(event_id, kind, data, prices)
    except Unreadable as err:
        problem = str(err)
    except Exception as err:  # a signed event we cannot read never makes a 500
        log.warning("billing.stripe.unreadable_event", event_id=event_id, exc_info=True)
        problem = f"could not be read ({type(err).__name__})"
    return BillingEvent(id=event_id, kind=kind, created=None, problem=problem)


def _read(
    event_id: str,
    kind: EventKind,
    data: Mapping[str, Any],
    prices: Mapping[str, Tier],
) -> BillingEvent:
    holder = data.get("data")
    if not isinstance(holder, Mapping):
        raise Unreadable("data is not an object")
    obj = holder.get("object")
    if not isinstance(obj, Mapping):
        raise Unreadable("data.object is not an object")
    # No time, no order: an undated event is never taken as the newest.
    created = _ts(data.get("created"), "created")
    if created is None:
        raise Unreadable("created is missing")
    base: dict[str, Any] = {
        "id": event_id,
        "kind": kind,
        "created": created,
        "customer_id": _id(obj.get("customer"), "customer"),
    }
    if kind is EventKind.CHECKOUT_COMPLETED:
        return BillingEvent(
            **base,
            organization_ref=_text(
                obj.get("client_reference_id"), "client_reference_id"
            )
            or _text(_get(obj, "metadata", "org_id"), "metadata.org_id"),
            subscription_id=_id(obj.get("subscription"), "subscription"),
            tier=_tier(_get(obj, "metadata", "plan")),
            completed=(
                obj.get("mode") == "subscription"
                and obj.get("status") == "complete"
                and obj.get("payment_status") in ("paid", "no_payment_required")
            ),
        )
    if kind in (EventKind.SUBSCRIPTION_UPDATED, EventKind.SUBSCRIPTION_DELETED):
        item = _get(obj, "items", "data", 0) or {}
        return BillingEvent(
            **base,
            organization_ref=_text(_get(obj, "metadata", "org_id"), "metadata.org_id"),
            subscription_id=_id(obj.get("id")),
            tier=_subscription_tier(obj, prices),
            status=_text(obj.get("status"), "status"),
            period_start=_ts(obj.get("current_period_start"), "current_period_start")
            or _ts(_get(item, "current_period_start"), "items.current_period_start"),
            period_end=_ts(obj.get("current_period_end"), "current_period_end")
            or _ts(_get(item, "current_period_end"), "items.current_period_end"),
            cancel_at_period_end=_flag(
                obj.get("cancel_at_period_end"), "cancel_at_period_end"
            ),
            cancel_at=_ts(obj.get("cancel_at"), "cancel_at"),
            canceled_at=_ts(obj.get("canceled_at"), "canceled_at"),
            ended_at=_ts(obj.get("ended_at"), "ended_at"),
        )
    return BillingEvent(
        **base,
        organization_ref=_text(
            _get(obj, "parent", "subscription_details", "metadata", "org_id"),
            "parent.subscription_details.metadata.org_id",
        )
        or _text(_get(obj, "metadata", "org_id"), "metadata.org_id"),
        subscription_id=_invoice_subscription(obj),
        status=_text(obj.get("status"), "status"),
    )
