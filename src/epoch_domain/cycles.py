"""Billing cycles: monthly periods counted from a subscription anchor.

Cycle n starts n months after the anchor, on the anchor's day of the month, or
on the month's last day when the month is shorter (an anchor on Jan 31 gives
Feb 28, or Feb 29 in a leap year, then Mar 31). The day is always taken from
the anchor, never from the previous cycle, so a short month does not drag every
later cycle earlier. A cycle is the half-open interval [start, end).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class Cycle:
    index: int
    starts_at: datetime
    ends_at: datetime

    def contains(self, instant: datetime) -> bool:
        return self.starts_at <= instant < self.ends_at

    @property
    def display_end(self) -> datetime:
        """The last whole second inside the cycle, as the API shows it."""
        return self.ends_at - timedelta(seconds=1)


def add_months(anchor: datetime, months: int) -> datetime:
    """`anchor` moved by whole months, the day clamped to the month's length."""
    total = anchor.year * 12 + (anchor.month - 1) + months
    year, month = divmod(total, 12)
    month += 1
    day = min(anchor.day, calendar.monthrange(year, month)[1])
    return anchor.replace(year=year, month=month, day=day)


def cycle_at(anchor: datetime, index: int) -> Cycle:
    return Cycle(index, add_months(anchor, index), add_months(anchor, index + 1))


def cycle_containing(anchor: datetime, instant: datetime) -> Cycle:
    """The cycle that holds `instant`; instants before the anchor get cycle 0."""
    if instant < anchor:
        return cycle_at(anchor, 0)
    # Count months on the anchor's calendar: in another zone the instant can
    # fall in the next month already, which would put the estimate too late.
    local = instant.astimezone(anchor.tzinfo) if anchor.tzinfo else instant
    months = (local.year - anchor.year) * 12 + (local.month - anchor.month)
    index = max(months - 1, 0)
    # The estimate is at most one month early; step forward to the right one.
    while not cycle_at(anchor, index).contains(instant):
        index += 1
    return cycle_at(anchor, index)


@dataclass(frozen=True, slots=True)
class UsageCycle:
    """A stored cycle of one organization and the minutes metered into it."""

    id: str
    organization_id: str
    starts_at: datetime
    ends_at: datetime
    used_ms: int
    included_minutes: int
    closed_at: datetime | None = None

    def has_ended(self, now: datetime) -> bool:
        return now >= self.ends_at


def next_cycle_bounds(anchor: datetime, ended: UsageCycle, now: datetime) -> Cycle:
    """The cycle that follows `ended`, or, when resets were missed for a while,
    the one that holds `now`: the months in between had no open cycle to use.

    The next cycle starts where `ended` ends and runs to the anchor's next
    boundary, so it never overlaps `ended`, even when `ended` was not on the
    anchor's grid (the anchor moved); the first such cycle may be short.
    """
    holding_end = cycle_containing(anchor, ended.ends_at)
    if ended.ends_at < anchor:
        # `ended` stops before the anchor: the stretch up to it is a cycle of
        # its own, numbered -1 as it comes before the anchor's first.
        following = Cycle(-1, ended.ends_at, anchor)
    else:
        following = Cycle(holding_end.index, ended.ends_at, holding_end.ends_at)
    if following.contains(now) or following.starts_at > now:
        return following
    return cycle_containing(anchor, now)
