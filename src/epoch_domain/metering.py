"""How call time becomes minutes.

Durations are kept in integer milliseconds. A call's minutes are the exact
fraction `ms / 60000`: never rounded up per call, so a 5 min 30 s call is 5.5
minutes and a cycle's total is the exact sum of its calls. Rounding happens
only when a number is shown, to two decimals, half up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

MS_PER_MINUTE = 60_000
_CENTI = Decimal("0.01")

# No real call lasts a day (VAPI's own ceiling is 12 hours). A longer figure
# is a broken or forged payload, and metering it would put years of minutes
# on one bill, so such a call is kept without a duration and not metered.
MAX_CALL_MS = 24 * 60 * MS_PER_MINUTE


def plausible_duration(ms: int | None) -> int | None:
    """`ms` when a real call could have lasted that long, otherwise None."""
    if ms is None or not 0 <= ms <= MAX_CALL_MS:
        return None
    return ms


def minutes(ms: int) -> Fraction:
    """The exact minutes in `ms` milliseconds."""
    return Fraction(ms, MS_PER_MINUTE)


def display_minutes(ms: int) -> float:
    """Minutes for a client, rounded half up to two decimals."""
    exact = Decimal(ms) / Decimal(MS_PER_MINUTE)
    return float(exact.quantize(_CENTI, rounding=ROUND_HALF_UP))


def duration_ms(started_at: datetime | None, ended_at: datetime | None) -> int | None:
    """Milliseconds between two instants, or None when either is unknown.

    An end before the start (clock skew in a provider's payload) counts as zero
    rather than a negative call.
    """
    if started_at is None or ended_at is None:
        return None
    delta = ended_at - started_at
    ms = delta.days * 86_400_000 + delta.seconds * 1000 + delta.microseconds // 1000
    return max(ms, 0)


@dataclass(frozen=True, slots=True)
class UsageSnapshot:
    used_ms: int
    included_minutes: int

    @property
    def minutes_used(self) -> float:
        return display_minutes(self.used_ms)

    @property
    def percent_used(self) -> float:
        """Share of the included minutes used, 0 when nothing is included."""
        if self.included_minutes <= 0:
            return 0.0
        share = Decimal(self.used_ms * 100) / Decimal(
            self.included_minutes * MS_PER_MINUTE
        )
        return float(share.quantize(_CENTI, rounding=ROUND_HALF_UP))

    @property
    def remaining_ms(self) -> int:
        return max(self.included_minutes * MS_PER_MINUTE - self.used_ms, 0)
