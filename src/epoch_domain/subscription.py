"""The subscription timeline: upgrades, cancellation, reactivation, and how
the payment provider's events move an organization's plan.

* Upgrades go through checkout: only to a higher paid tier (STARTER, ADVANCED,
  PRO); a downgrade or the current plan is refused there (the billing portal
  does those).
* A cancellation takes effect at the end of the paid period; the data is
  deleted `DELETION_GRACE` after that. Cancelling twice is a conflict, and
  so is cancelling with no paid plan (FREE, or a subscription that ended).
* Reactivation undoes a pending cancellation, only before its effective date.
* Provider events arrive late, twice and out of order: an event older than the
  newest one applied to an organization changes nothing.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from epoch_domain.errors import (
    AlreadyCancelled,
    CancellationAlreadyEffective,
    NoSubscription,
    NotCancelled,
    ValidationFailed,
)
from epoch_domain.plans import Tier

DELETION_GRACE = timedelta(days=7)
CHECKOUT_TIERS = (Tier.STARTER, Tier.ADVANCED, Tier.PRO)
# Provider statuses under which the paid plan is in force.
PAYING_STATUSES = frozenset({"active", "trialing", "past_due"})
# Statuses that mean the subscription is over.
ENDED_STATUSES = frozenset({"canceled", "incomplete_expired"})


def check_checkout(current: Tier, target: Tier) -> Tier:
    """The tier a checkout may sell: an upgrade to a checkout tier."""
    if target not in CHECKOUT_TIERS:
        names = ", ".join(t.name for t in CHECKOUT_TIERS)
        raise ValidationFailed("planTier", f"must be one of {names}")
    if target == current:
        raise ValidationFailed(
            "planTier", f"the organization is already on {target.name}"
        )
    if target < current:
        raise ValidationFailed(
            "planTier", "is a downgrade; use the billing portal to change down"
        )
    return target


@dataclass(frozen=True, slots=True)
class SubscriptionState:
    tier: Tier
    status: str | None = None
    customer_id: str | None = None
    subscription_id: str | None = None
    period_start: datetime | None = None
    period_end: datetime | None = None
    cancelled_at: datetime | None = None
    cancel_effective_at: datetime | None = None
    deletion_at: datetime | None = None
    last_event_at: datetime | None = None

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    @property
    def has_paid_plan(self) -> bool:
        """Something to cancel: a paid tier whose subscription has not ended
        (with or without a provider subscription: an operator may set one)."""
        return self.tier is not Tier.FREE and self.status not in ENDED_STATUSES


def cancel(
    state: SubscriptionState, now: datetime, period_end: datetime
) -> SubscriptionState:
    """Cancel at the end of the paid period (`state.period_end` when the
    provider told us, else `period_end`, the end of the usage cycle)."""
    if state.is_cancelled:
        raise AlreadyCancelled()
    if not state.has_paid_plan:
        raise NoSubscription()
    effective = (
        state.period_end if state.period_end and state.period_end > now else None
    )
    effective = effective or period_end
    return replace(
        state,
        cancelled_at=now,
        cancel_effective_at=effective,
        deletion_at=effective + DELETION_GRACE,
    )


def reactivate(state: SubscriptionState, now: datetime) -> SubscriptionState:
    if not state.is_cancelled or state.cancel_effective_at is None:
        raise NotCancelled()
    if now >= state.cancel_effective_at:
        raise CancellationAlreadyEffective()
    return replace(state, cancelled_at=None, cancel_effective_at=None, deletion_at=None)


class EventKind(enum.StrEnum):
    CHECKOUT_COMPLETED = "checkout.session.completed"
    SUBSCRIPTION_UPDATED = "customer.subscription.updated"
    SUBSCRIPTION_DELETED = "customer.subscription.deleted"
    INVOICE_PAID = "invoice.paid"
    INVOICE_PAYMENT_FAILED = "invoice.payment_failed"


@dataclass(frozen=True, slots=True)
class BillingEvent:
    """A provider event, read from whichever API layout it came in."""

    id: str
    kind: EventKind
    # None when the event carries no usable time: it cannot be ordered
    # against the others, so it is never applied.
    created: datetime | None
    organization_ref: str | None = None
    customer_id: str | None = None
    subscription_id: str | None = None
    tier: Tier | None = None
    status: str | None = None
    period_start: datetime | None = None
    period_end: datetime | None = None
    cancel_at_period_end: bool = False
    cancel_at: datetime | None = None
    canceled_at: datetime | None = None
    ended_at: datetime | None = None
    # checkout: the session finished and was paid
    completed: bool = True
    # Why the event could not be read (a field is not what the provider
    # sends); such an event is stored and changes nothing.
    problem: str | None = None


def _other_subscription(state: SubscriptionState, event: BillingEvent) -> bool:
    """An event about a subscription this organization no longer has."""
    return (
        event.subscription_id is not None
        and state.subscription_id is not None
        and event.subscription_id != state.subscription_id
    )


def apply_event(
    state: SubscriptionState, event: BillingEvent
) -> SubscriptionState | None:
    """The state after `event`, or None when the event changes nothing: older
    than the newest applied, about another subscription, not final, without
    a usable time, or unreadable."""
    created = event.created
    if created is None or event.problem is not None:
        return None
    if state.last_event_at is not None and created < state.last_event_at:
        return None
    new = _apply(state, event, created)
    if new is None:
        return None
    return replace(new, last_event_at=created)


def _apply(
    state: SubscriptionState, event: BillingEvent, created: datetime
) -> SubscriptionState | None:
    if event.kind is EventKind.CHECKOUT_COMPLETED:
        if not event.completed:
            return None
        return replace(
            state,
            tier=event.tier or state.tier,
            status="active",
            customer_id=event.customer_id or state.customer_id,
            subscription_id=event.subscription_id or state.subscription_id,
            cancelled_at=None,
            cancel_effective_at=None,
            deletion_at=None,
        )
    if _other_subscription(state, event):
        return None
    if event.kind is EventKind.SUBSCRIPTION_UPDATED:
        return _subscription_updated(state, event, created)
    if event.kind is EventKind.SUBSCRIPTION_DELETED:
        effective = event.ended_at or created
        return replace(
            state,
            tier=Tier.FREE,
            status="canceled",
            customer_id=state.customer_id or event.customer_id,
            subscription_id=state.subscription_id or event.subscription_id,
            cancelled_at=state.cancelled_at or event.canceled_at or created,
            cancel_effective_at=effective,
            deletion_at=effective + DELETION_GRACE,
        )
    if event.kind is EventKind.INVOICE_PAYMENT_FAILED:
        return replace(state, status="past_due")
    if event.kind is EventKind.INVOICE_PAID:
        paid_up = state.status in (None, "past_due", "unpaid", "incomplete")
        return replace(state, status="active" if paid_up else state.status)
    return None


def _subscription_updated(
    state: SubscriptionState, event: BillingEvent, created: datetime
) -> SubscriptionState:
    status = event.status or state.status
    tier = state.tier
    if status in PAYING_STATUSES and event.tier is not None:
        tier = event.tier
    elif status in ENDED_STATUSES:
        tier = Tier.FREE
    new = replace(
        state,
        tier=tier,
        status=status,
        customer_id=state.customer_id or event.customer_id,
        subscription_id=state.subscription_id or event.subscription_id,
        period_start=event.period_start or state.period_start,
        period_end=event.period_end or state.period_end,
    )
    if event.cancel_at_period_end or event.cancel_at is not None:
        effective = event.cancel_at or event.period_end or state.period_end
        if effective is None:
            return new
        return replace(
            new,
            cancelled_at=event.canceled_at or state.cancelled_at or created,
            cancel_effective_at=effective,
            deletion_at=effective + DELETION_GRACE,
        )
    return replace(new, cancelled_at=None, cancel_effective_at=None, deletion_at=None)


DEFAULT_RETURN_PATH = "/dashboard/billing"
MAX_RETURN_PATH = 512


def check_return_path(path: str | None) -> str:
    """A return path on this service: one leading slash, no host, no scheme,
    no backslash (browsers read `/\\host` as `//host`), no control characters."""
    if path is None or path == "":
        return DEFAULT_RETURN_PATH
    bad = (
        not path.startswith("/")
        or path.startswith("//")
        or "\\" in path
        or len(path) > MAX_RETURN_PATH
        or any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in path)
    )
    if bad:
        raise ValidationFailed("returnPath", "must be a path on this service")
    return path
