"""The subscription timeline and how provider events move it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from epoch_domain.errors import (
    AlreadyCancelled,
    CancellationAlreadyEffective,
    NoSubscription,
    NotCancelled,
    ValidationFailed,
)
from epoch_domain.plans import Tier
from epoch_domain.subscription import (
    DELETION_GRACE,
    BillingEvent,
    EventKind,
    SubscriptionState,
    apply_event,
    cancel,
    check_checkout,
    check_return_path,
    reactivate,
)

T0 = datetime(2026, 3, 13, 9, tzinfo=UTC)
PERIOD_END = datetime(2026, 4, 1, tzinfo=UTC)
ACTIVE = SubscriptionState(
    tier=Tier.PRO, status="active", customer_id="cus_1", subscription_id="sub_1"
)


def test_cancel_takes_effect_at_period_end_and_deletes_a_week_later():
    state = cancel(ACTIVE, T0, PERIOD_END)
    assert state.cancelled_at == T0
    assert state.cancel_effective_at == PERIOD_END
    assert state.deletion_at == datetime(2026, 4, 8, tzinfo=UTC)
    assert state.tier is Tier.PRO  # paid until the end


def test_the_providers_period_end_wins_over_the_cycle():
    with_period = replace(ACTIVE, period_end=datetime(2026, 4, 5, tzinfo=UTC))
    state = cancel(with_period, T0, PERIOD_END)
    assert state.cancel_effective_at == datetime(2026, 4, 5, tzinfo=UTC)


def test_cancelling_twice_is_a_conflict():
    with pytest.raises(AlreadyCancelled):
        cancel(cancel(ACTIVE, T0, PERIOD_END), T0, PERIOD_END)


@pytest.mark.parametrize(
    "state",
    [
        SubscriptionState(tier=Tier.FREE),
        SubscriptionState(tier=Tier.FREE, status="active", subscription_id="sub_1"),
        replace(ACTIVE, status="canceled"),
        replace(ACTIVE, status="incomplete_expired"),
    ],
)
def test_nothing_to_cancel_is_a_conflict_and_changes_nothing(state):
    with pytest.raises(NoSubscription):
        cancel(state, T0, PERIOD_END)
    with pytest.raises(NotCancelled):
        reactivate(state, T0)


@given(
    st.sampled_from(list(Tier)),
    st.sampled_from([None, "active", "past_due", "canceled", "incomplete_expired"]),
)
def test_only_a_paid_plan_in_force_can_be_cancelled(tier, status):
    state = SubscriptionState(tier=tier, status=status)
    in_force = tier is not Tier.FREE and status not in (
        "canceled",
        "incomplete_expired",
    )
    try:
        cancelled = cancel(state, T0, PERIOD_END)
    except NoSubscription:
        assert not in_force
        return
    assert in_force
    assert cancelled.cancel_effective_at == PERIOD_END


def test_reactivate_before_the_effective_date_only():
    cancelled = cancel(ACTIVE, T0, PERIOD_END)
    back = reactivate(cancelled, PERIOD_END - timedelta(seconds=1))
    assert back.cancelled_at is None
    assert back.cancel_effective_at is None
    with pytest.raises(CancellationAlreadyEffective):
        reactivate(cancelled, PERIOD_END)
    with pytest.raises(NotCancelled):
        reactivate(ACTIVE, T0)


@given(st.integers(0, 10**7), st.integers(1, 10**7))
def test_cancel_then_reactivate_round_trips_before_the_end(offset, length):
    now = T0 + timedelta(seconds=offset)
    end = now + timedelta(seconds=length)
    state = cancel(ACTIVE, now, end)
    assert state.deletion_at == state.cancel_effective_at + DELETION_GRACE
    assert state.cancel_effective_at > now
    assert reactivate(state, now) == ACTIVE


@pytest.mark.parametrize(
    ("current", "target", "ok"),
    [
        (Tier.FREE, Tier.STARTER, True),
        (Tier.STARTER, Tier.PRO, True),
        (Tier.ADVANCED, Tier.PRO, True),
        (Tier.PRO, Tier.PRO, False),
        (Tier.PRO, Tier.STARTER, False),
        (Tier.FREE, Tier.ENTERPRISE, False),
        (Tier.FREE, Tier.FREE, False),
    ],
)
def test_checkout_sells_upgrades_only(current, target, ok):
    if ok:
        assert check_checkout(current, target) is target
    else:
        with pytest.raises(ValidationFailed) as err:
            check_checkout(current, target)
        assert err.value.field == "planTier"


@given(st.sampled_from(list(Tier)), st.sampled_from(list(Tier)))
def test_checkout_never_sells_a_downgrade(current, target):
    try:
        sold = check_checkout(current, target)
    except ValidationFailed:
        return
    assert sold > current


def _event(kind: EventKind, at: datetime, **fields) -> BillingEvent:
    return BillingEvent(id=f"evt_{at.timestamp()}", kind=kind, created=at, **fields)


def test_checkout_completed_upgrades_and_keeps_the_ids():
    free = SubscriptionState(tier=Tier.FREE)
    event = _event(
        EventKind.CHECKOUT_COMPLETED,
        T0,
        tier=Tier.PRO,
        customer_id="cus_9",
        subscription_id="sub_9",
    )
    state = apply_event(free, event)
    assert state is not None
    assert (state.tier, state.status) == (Tier.PRO, "active")
    assert (state.customer_id, state.subscription_id) == ("cus_9", "sub_9")
    assert state.last_event_at == T0


def test_an_older_event_never_overwrites_newer_state():
    later = T0 + timedelta(minutes=5)
    cancelled_update = _event(
        EventKind.SUBSCRIPTION_UPDATED,
        later,
        subscription_id="sub_1",
        status="active",
        tier=Tier.PRO,
        cancel_at_period_end=True,
        cancel_at=PERIOD_END,
    )
    state = apply_event(ACTIVE, cancelled_update)
    assert state is not None
    assert state.cancel_effective_at == PERIOD_END
    older = _event(
        EventKind.SUBSCRIPTION_UPDATED,
        T0,
        subscription_id="sub_1",
        status="active",
        tier=Tier.STARTER,
    )
    assert apply_event(state, older) is None


def test_events_about_a_replaced_subscription_change_nothing():
    deleted = _event(EventKind.SUBSCRIPTION_DELETED, T0, subscription_id="sub_old")
    assert apply_event(ACTIVE, deleted) is None


def test_deleted_subscription_falls_back_to_free():
    ended = datetime(2026, 4, 1, tzinfo=UTC)
    deleted = _event(
        EventKind.SUBSCRIPTION_DELETED, T0, subscription_id="sub_1", ended_at=ended
    )
    state = apply_event(ACTIVE, deleted)
    assert state is not None
    assert (state.tier, state.status) == (Tier.FREE, "canceled")
    assert state.deletion_at == ended + DELETION_GRACE


def test_failed_then_paid_invoice_moves_the_status():
    failed = apply_event(
        ACTIVE, _event(EventKind.INVOICE_PAYMENT_FAILED, T0, subscription_id="sub_1")
    )
    assert failed is not None
    assert failed.status == "past_due"
    paid = apply_event(
        failed,
        _event(EventKind.INVOICE_PAID, T0 + timedelta(1), subscription_id="sub_1"),
    )
    assert paid is not None
    assert paid.status == "active"


kinds = st.sampled_from(list(EventKind))
tiers = st.sampled_from([Tier.STARTER, Tier.ADVANCED, Tier.PRO])
statuses = st.sampled_from(["active", "past_due", "canceled", "unpaid", "trialing"])
events = st.builds(
    lambda kind, offset, tier, status, cancel_flag: _event(
        kind,
        T0 + timedelta(seconds=offset),
        subscription_id="sub_1",
        customer_id="cus_1",
        tier=tier,
        status=status,
        cancel_at_period_end=cancel_flag,
        period_end=PERIOD_END,
    ),
    kinds,
    st.integers(0, 1000),
    tiers,
    statuses,
    st.booleans(),
)


@given(st.lists(events, min_size=1, max_size=12), st.randoms())
def test_in_any_delivery_order_the_newest_event_decides(sequence, rnd):
    """Delivered shuffled and with duplicates: the newest event is applied
    last, every older one that arrives after it is refused, and the plan is
    the one the newest plan-deciding event says."""
    deliveries = sequence + sequence[: len(sequence) // 2]
    rnd.shuffle(deliveries)
    state = ACTIVE
    for item in deliveries:
        before = state
        state = apply_event(state, item) or state
        if before.last_event_at is not None and item.created < before.last_event_at:
            assert state == before
    newest = max(e.created for e in sequence)
    assert state.last_event_at == newest
    last = [e for e in deliveries if e.created == newest][-1]
    if last.kind is EventKind.CHECKOUT_COMPLETED:
        assert state.tier is last.tier
    elif last.kind is EventKind.SUBSCRIPTION_DELETED:
        assert state.tier is Tier.FREE
    elif last.kind is EventKind.SUBSCRIPTION_UPDATED:
        if last.status in ("active", "past_due", "trialing"):
            assert state.tier is last.tier
            assert (state.cancel_effective_at is not None) == last.cancel_at_period_end
        elif last.status == "canceled":
            assert state.tier is Tier.FREE


@pytest.mark.parametrize(
    "path",
    [
        "//evil.example",
        "https://evil.example/x",
        "/\\evil.example",
        "evil.example",
        "/ok\nLocation: x",
        "javascript:alert(1)",
    ],
)
def test_return_paths_off_this_service_are_refused(path):
    with pytest.raises(ValidationFailed):
        check_return_path(path)


@given(st.text(max_size=60))
def test_an_accepted_return_path_never_leaves_this_host(path):
    try:
        clean = check_return_path(path)
    except ValidationFailed:
        return
    url = urlsplit("https://app.example.com" + clean)
    assert url.hostname == "app.example.com"
    assert url.scheme == "https"


def test_no_return_path_means_the_billing_page():
    assert check_return_path(None) == "/dashboard/billing"


@given(events, st.text(min_size=1, max_size=20))
def test_an_unreadable_event_never_changes_the_state(event, problem):
    unreadable = replace(event, created=None, problem=problem)
    assert apply_event(ACTIVE, unreadable) is None
    assert apply_event(SubscriptionState(tier=Tier.FREE), unreadable) is None
