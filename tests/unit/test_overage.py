"""Overage money: how minutes become cents, week by week, without a cent lost
or charged twice."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from epoch_domain.metering import MS_PER_MINUTE
from epoch_domain.overage import (
    MAX_ATTEMPTS,
    MIN_CHARGE_CENTS,
    CycleOverage,
    Week,
    bill_week,
    current_overage,
    idempotency_key,
    last_complete_week,
    next_attempt_after,
    overage_ms,
    owed_cents,
    week_containing,
)

WEEK = Week(date(2026, 3, 2))
rates = st.integers(min_value=0, max_value=500)
call_ms = st.integers(min_value=0, max_value=4 * 3600 * 1000)


def test_the_spec_figures():
    assert owed_cents(int(12.5 * MS_PER_MINUTE), 30) == 375
    assert owed_cents(int(5.2 * MS_PER_MINUTE), 30) == 156


@pytest.mark.parametrize(
    ("ms", "rate", "cents"),
    [
        (0, 30, 0),
        (999, 30, 0),  # 0.4995 cents rounds down
        (1000, 30, 1),  # exactly half a cent rounds up
        (1999, 30, 1),
        (60_000, 40, 40),
        (90_000, 35, 53),  # 52.5 -> 53
    ],
)
def test_rounding_is_half_up_once(ms, rate, cents):
    assert owed_cents(ms, rate) == cents


@given(st.integers(min_value=0, max_value=10**12), rates)
def test_owed_is_the_exact_product_rounded_half_up(ms, rate):
    exact = Fraction(ms * rate, MS_PER_MINUTE)
    cents = owed_cents(ms, rate)
    assert cents - Fraction(1, 2) <= exact < cents + Fraction(1, 2)


@given(st.integers(0, 10**10), st.integers(0, 10**10), rates)
def test_owed_never_decreases(a, b, rate):
    low, high = sorted((a, b))
    assert owed_cents(low, rate) <= owed_cents(high, rate)


def test_negative_inputs_are_refused():
    with pytest.raises(ValueError, match="negative"):
        owed_cents(-1, 30)


@given(st.integers(0, 10**9), st.integers(0, 5000))
def test_overage_is_what_exceeds_the_included_minutes(used, included):
    over = overage_ms(used, included)
    assert over >= 0
    assert over == max(used - included * MS_PER_MINUTE, 0)


def _bill_weekly(
    weeks: list[list[int]], included: int, rate: int, min_charge: int = 0
) -> tuple[list[int], int, int]:
    """Meter the calls of each week into one cycle and bill after each week;
    returns the weekly cents, the cycle's final billed mark and used ms."""
    used = 0
    billed = 0
    amounts = []
    for k, calls in enumerate(weeks):
        used += sum(calls)
        cycle = CycleOverage("c1", included, used, billed)
        bill = bill_week(
            Week(WEEK.start + timedelta(weeks=k)), [cycle], rate, True, min_charge
        )
        amounts.append(bill.amount_cents)
        billed = bill.billed_through.get("c1", billed)
    return amounts, billed, used


@given(
    st.lists(st.lists(call_ms, max_size=12), min_size=1, max_size=8),
    st.integers(0, 600),
    rates,
)
def test_weekly_amounts_add_up_to_the_total_owed(weeks, included, rate):
    amounts, billed, used = _bill_weekly(weeks, included, rate)
    total_over = overage_ms(used, included)
    assert billed == total_over
    assert sum(amounts) == owed_cents(total_over, rate)
    assert all(a >= 0 for a in amounts)


@given(
    st.lists(st.lists(call_ms, max_size=12), min_size=1, max_size=8),
    st.integers(0, 600),
    rates,
)
def test_with_a_minimum_charge_nothing_is_lost_only_carried(weeks, included, rate):
    amounts, billed, used = _bill_weekly(weeks, included, rate, MIN_CHARGE_CENTS)
    total_over = overage_ms(used, included)
    # Everything not billed yet is exactly what the unbilled mark still owes.
    left = owed_cents(total_over, rate) - owed_cents(billed, rate)
    assert sum(amounts) + left == owed_cents(total_over, rate)
    assert all(a == 0 or a >= MIN_CHARGE_CENTS for a in amounts)
    assert 0 <= left < MIN_CHARGE_CENTS or billed == total_over


@given(st.lists(call_ms, min_size=1, max_size=20), st.integers(0, 600), rates)
def test_billing_the_same_week_twice_bills_nothing_the_second_time(
    calls, included, rate
):
    cycle = CycleOverage("c1", included, sum(calls), 0)
    first = bill_week(WEEK, [cycle], rate, True, 0)
    again = CycleOverage("c1", included, sum(calls), first.billed_through.get("c1", 0))
    second = bill_week(WEEK, [again], rate, True, 0)
    assert second.amount_cents == 0
    assert second.overage_ms == 0


@given(
    st.lists(
        st.tuples(st.integers(0, 600), st.integers(0, 10**8), st.integers(0, 10**8)),
        max_size=4,
    ),
    rates,
)
def test_a_week_across_cycles_bills_each_cycle_separately(cycles, rate):
    items = [
        CycleOverage(f"c{i}", inc, used, min(billed, overage_ms(used, inc)))
        for i, (inc, used, billed) in enumerate(cycles)
    ]
    bill = bill_week(WEEK, items, rate, True, 0)
    expected = sum(
        owed_cents(c.overage_ms, rate) - owed_cents(c.billed_overage_ms, rate)
        for c in items
    )
    assert bill.amount_cents == expected
    assert bill.overage_ms == sum(c.unbilled_ms for c in items)


@given(st.lists(call_ms, min_size=1, max_size=20), st.integers(0, 600), rates)
def test_disabled_overage_bills_nothing_and_waives_it(calls, included, rate):
    cycle = CycleOverage("c1", included, sum(calls), 0)
    bill = bill_week(WEEK, [cycle], rate, overage_enabled=False)
    assert bill.amount_cents == 0
    assert not bill.chargeable
    assert bill.billed_through.get("c1", 0) == cycle.overage_ms
    estimate = current_overage(cycle, [cycle], rate, overage_enabled=False)
    assert estimate.estimated_cost_cents == 0


def test_current_overage_matches_the_spec_example():
    cycle = CycleOverage("c1", 500, 500 * MS_PER_MINUTE + 312_000, 0)
    now = current_overage(cycle, [cycle], 30, True)
    assert now.total_overage_ms == 312_000
    assert now.unbilled_ms == 312_000
    assert now.estimated_cost_cents == 156


@given(st.lists(call_ms, min_size=1, max_size=20), st.integers(0, 600), rates)
def test_the_estimate_is_what_the_next_bill_charges(calls, included, rate):
    cycle = CycleOverage("c1", included, sum(calls), 0)
    estimate = current_overage(cycle, [cycle], rate, True)
    bill = bill_week(WEEK, [cycle], rate, True, 0)
    assert estimate.estimated_cost_cents == bill.amount_cents


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)))
def test_the_billed_week_is_the_last_full_monday_to_sunday(naive):
    now = naive.replace(tzinfo=UTC)
    week = last_complete_week(now)
    assert week.start.weekday() == 0
    assert week.end.weekday() == 6
    assert week.ends_at <= now < week.ends_at + timedelta(days=7)
    assert week_containing(week.starts_at) == week


def test_monday_eleven_bills_the_week_before():
    week = last_complete_week(datetime(2026, 3, 9, 11, 0, tzinfo=UTC))
    assert (week.start, week.end) == (date(2026, 3, 2), date(2026, 3, 8))


def test_keys_are_derived_from_organization_and_week():
    key = idempotency_key("org-1", WEEK)
    assert key == idempotency_key("org-1", WEEK, attempt=1)
    assert key != idempotency_key("org-2", WEEK)
    assert key != idempotency_key("org-1", Week(date(2026, 3, 9)))
    retries = {idempotency_key("org-1", WEEK, n) for n in range(1, MAX_ATTEMPTS + 1)}
    assert len(retries) == MAX_ATTEMPTS


def test_retries_are_spaced_and_limited():
    failed = datetime(2026, 3, 9, 11, tzinfo=UTC)
    times = [next_attempt_after(n, failed) for n in range(1, MAX_ATTEMPTS + 1)]
    assert times[:-1] == [failed + timedelta(days=d) for d in (1, 2, 3)]
    assert times[-1] is None
