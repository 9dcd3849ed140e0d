"""Overage money: minutes beyond a cycle's included amount, billed weekly.

How a minute becomes a cent:

* A cycle's overage is the exact number of milliseconds used beyond its
  included minutes (`overage_ms`). Nothing is rounded per call.
* The money owed for an overage is rounded exactly once, half up, on the
  integer product `ms x rate`: `owed_cents(ms, rate) = round(ms * rate / 60000)`.
  12.5 minutes at 30 c/min is 375 cents; 5.2 minutes is 156 cents.
* A cycle is billed week by week. Each cycle remembers how much of its overage
  is already on a record (`billed_overage_ms`); week k bills
  `owed(overage through k) - owed(overage through k-1)`. The weekly amounts
  therefore telescope: over any run of weeks they add up to the cents owed for
  the cycle's total overage, whatever the call lengths, with no cent lost to
  rounding and none charged twice.
* A week whose amount is below the card network's minimum charge is not
  billed and its overage is not marked billed: it rolls into the next week's
  difference, so the cents are carried forward, never dropped.
* With overage disabled nothing is billed: the overage is marked as handled
  (waived) without a record or a charge.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction

from epoch_domain.metering import MS_PER_MINUTE

# Stripe refuses charges under 50 cents (USD); smaller weeks roll forward.
MIN_CHARGE_CENTS = 50
# Tries of one week's charge: the first and three retries.
MAX_ATTEMPTS = 4
# Wait after the n-th failed try before the next one.
RETRY_SPACING: tuple[timedelta, ...] = (
    timedelta(days=1),
    timedelta(days=2),
    timedelta(days=3),
)


class OverageStatus(enum.StrEnum):
    PENDING = "PENDING"
    PAID = "PAID"
    FAILED = "FAILED"


def overage_ms(used_ms: int, included_minutes: int) -> int:
    """Milliseconds used beyond the included minutes (0 when within them)."""
    return max(used_ms - included_minutes * MS_PER_MINUTE, 0)


def owed_cents(ms: int, rate_cents_per_minute: int) -> int:
    """Cents owed for `ms` of overage: `ms x rate / 60000`, rounded half up once."""
    if ms < 0 or rate_cents_per_minute < 0:
        raise ValueError("overage and rate must not be negative")
    return (2 * ms * rate_cents_per_minute + MS_PER_MINUTE) // (2 * MS_PER_MINUTE)


def exact_minutes(ms: int) -> Fraction:
    return Fraction(ms, MS_PER_MINUTE)


@dataclass(frozen=True, slots=True)
class Week:
    """A billing week: Monday to Sunday, UTC, as the half-open [starts, ends)."""

    start: date

    @property
    def end(self) -> date:
        """The week's last day (Sunday), as records show it."""
        return self.start + timedelta(days=6)

    @property
    def starts_at(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=UTC)

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(days=7)


def week_containing(instant: datetime) -> Week:
    day = instant.astimezone(UTC).date()
    return Week(day - timedelta(days=day.weekday()))


def last_complete_week(now: datetime) -> Week:
    """The most recent Monday-to-Sunday week that has fully ended at `now`."""
    current = week_containing(now)
    return Week(current.start - timedelta(days=7))


def idempotency_key(organization_id: str, week: Week, attempt: int = 1) -> str:
    """The payment provider's idempotency key for one try of one week's charge.

    The first try's key depends only on the organization and the week, so a
    rerun after a crash re-sends it and the provider answers with the first
    result instead of charging again. A retry after a definite decline is a
    new payment and gets its own key, still derived from the same two facts.
    """
    base = f"overage-{organization_id}-{week.start.isoformat()}"
    return base if attempt <= 1 else f"{base}-retry-{attempt}"


@dataclass(frozen=True, slots=True)
class CycleOverage:
    """One cycle's usage up to the bill's cut-off and what is already billed."""

    cycle_id: str
    included_minutes: int
    used_ms: int
    billed_overage_ms: int = 0

    @property
    def overage_ms(self) -> int:
        return overage_ms(self.used_ms, self.included_minutes)

    @property
    def unbilled_ms(self) -> int:
        return max(self.overage_ms - self.billed_overage_ms, 0)

    def unbilled_cents(self, rate: int) -> int:
        if self.unbilled_ms == 0:
            return 0
        return owed_cents(self.overage_ms, rate) - owed_cents(
            self.billed_overage_ms, rate
        )


@dataclass(frozen=True, slots=True)
class WeekBill:
    """What one week bills: the record's figures and each cycle's new mark."""

    week: Week
    overage_ms: int
    amount_cents: int
    rate_cents_per_minute: int
    # cycle id -> overage ms billed (or waived) through this week
    billed_through: Mapping[str, int] = field(default_factory=dict)
    waived: bool = False

    @property
    def chargeable(self) -> bool:
        return self.amount_cents > 0 and not self.waived

    @property
    def overage_minutes(self) -> Fraction:
        return exact_minutes(self.overage_ms)


def bill_week(
    week: Week,
    cycles: Iterable[CycleOverage],
    rate_cents_per_minute: int,
    overage_enabled: bool,
    min_charge_cents: int = MIN_CHARGE_CENTS,
) -> WeekBill:
    """The week's bill over the cycles that have unbilled overage.

    * enabled and at least the minimum charge: bill it and move each cycle's
      billed mark to its overage;
    * enabled but below the minimum: bill nothing and move no mark, so the
      amount rolls into next week's difference;
    * disabled: bill nothing and move the marks (the overage is waived).
    """
    ms = 0
    cents = 0
    marks: dict[str, int] = {}
    for cycle in cycles:
        if cycle.unbilled_ms == 0:
            continue
        ms += cycle.unbilled_ms
        cents += cycle.unbilled_cents(rate_cents_per_minute)
        marks[cycle.cycle_id] = cycle.overage_ms
    if not overage_enabled:
        return WeekBill(week, ms, 0, rate_cents_per_minute, marks, waived=True)
    if cents < min_charge_cents:
        return WeekBill(week, 0, 0, rate_cents_per_minute)
    return WeekBill(week, ms, cents, rate_cents_per_minute, marks)


@dataclass(frozen=True, slots=True)
class CurrentOverage:
    """The overage of the open cycle and what is not yet on a record."""

    total_overage_ms: int
    unbilled_ms: int
    estimated_cost_cents: int
    overage_enabled: bool
    rate_cents_per_minute: int


def current_overage(
    current: CycleOverage | None,
    unbilled: Iterable[CycleOverage],
    rate_cents_per_minute: int,
    overage_enabled: bool,
) -> CurrentOverage:
    """`current` is the open cycle; `unbilled` every cycle with overage not yet
    on a record (the open one included). The estimate is exactly what the next
    bill would charge for it; nothing when overage is disabled."""
    cycles = list(unbilled)
    unbilled_ms = sum(c.unbilled_ms for c in cycles)
    estimate = sum(c.unbilled_cents(rate_cents_per_minute) for c in cycles)
    return CurrentOverage(
        total_overage_ms=current.overage_ms if current else 0,
        unbilled_ms=unbilled_ms if overage_enabled else 0,
        estimated_cost_cents=estimate if overage_enabled else 0,
        overage_enabled=overage_enabled,
        rate_cents_per_minute=rate_cents_per_minute,
    )


@dataclass(frozen=True, slots=True)
class OverageRecord:
    id: str
    organization_id: str
    week: Week
    overage_ms: int
    amount_cents: int
    rate_cents_per_minute: int
    status: OverageStatus
    idempotency_key: str
    attempts: int
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    payment_id: str | None = None

    @property
    def charge_key(self) -> str:
        """The idempotency key of the current try."""
        return idempotency_key(self.organization_id, self.week, self.attempts)


def next_attempt_after(attempts: int, failed_at: datetime) -> datetime | None:
    """When a declined charge is tried again; None after the last try."""
    if attempts >= MAX_ATTEMPTS:
        return None
    spacing = RETRY_SPACING[min(attempts, len(RETRY_SPACING)) - 1]
    return failed_at + spacing
