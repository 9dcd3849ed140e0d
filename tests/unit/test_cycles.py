"""Billing cycles counted from an anchor: contiguous, clamped to short months,
and the roll-over after missed resets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from epoch_domain.cycles import (
    UsageCycle,
    add_months,
    cycle_at,
    cycle_containing,
    next_cycle_bounds,
)

instants = st.datetimes(
    min_value=datetime(2000, 1, 1),
    max_value=datetime(2090, 1, 1),
    timezones=st.just(UTC),
)
# Anchors on the days that short months have to clamp.
late_anchors = st.builds(
    lambda year, month, day, hour: datetime(
        year,
        month,
        min(day, 28 if month == 2 else 30 if month in (4, 6, 9, 11) else 31),
        hour,
        tzinfo=UTC,
    ),
    st.integers(2000, 2080),
    st.integers(1, 12),
    st.sampled_from([28, 29, 30, 31]),
    st.integers(0, 23),
)
anchors = st.one_of(instants, late_anchors)
offsets = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3660))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("anchor", "expected"),
    [
        # Jan 31 in a non-leap year: Feb 28, then back to the 31st.
        (utc(2025, 1, 31), [utc(2025, 1, 31), utc(2025, 2, 28), utc(2025, 3, 31)]),
        # In a leap year: Feb 29, then Mar 31.
        (utc(2024, 1, 31), [utc(2024, 1, 31), utc(2024, 2, 29), utc(2024, 3, 31)]),
        (utc(2024, 1, 30), [utc(2024, 1, 30), utc(2024, 2, 29), utc(2024, 3, 30)]),
        (utc(2025, 1, 29), [utc(2025, 1, 29), utc(2025, 2, 28), utc(2025, 3, 29)]),
        (utc(2024, 1, 29), [utc(2024, 1, 29), utc(2024, 2, 29), utc(2024, 3, 29)]),
        # An anchor on Feb 29 keeps the 29th where the month has one.
        (utc(2024, 2, 29), [utc(2024, 2, 29), utc(2024, 3, 29), utc(2024, 4, 29)]),
        # Across a year end.
        (utc(2025, 12, 31), [utc(2025, 12, 31), utc(2026, 1, 31), utc(2026, 2, 28)]),
    ],
)
def test_cycle_starts_clamp_to_short_months_and_come_back(
    anchor: datetime, expected: list[datetime]
) -> None:
    assert [cycle_at(anchor, n).starts_at for n in range(3)] == expected


def test_the_spec_example_cycle_is_march_with_a_23_59_59_display_end() -> None:
    cycle = cycle_containing(utc(2026, 1, 1), utc(2026, 3, 15, 9))
    assert cycle.starts_at == utc(2026, 3, 1)
    assert cycle.display_end == utc(2026, 3, 31, 23, 59, 59)


def test_an_anchor_on_feb_29_comes_back_to_feb_29_four_years_later() -> None:
    assert add_months(utc(2024, 2, 29), 12) == utc(2025, 2, 28)
    assert add_months(utc(2024, 2, 29), 48) == utc(2028, 2, 29)


@given(anchors, st.integers(0, 1200))
def test_consecutive_cycles_are_contiguous(anchor: datetime, n: int) -> None:
    assert cycle_at(anchor, n).ends_at == cycle_at(anchor, n + 1).starts_at
    assert cycle_at(anchor, n).starts_at < cycle_at(anchor, n).ends_at


@given(anchors, st.integers(0, 1200))
def test_a_cycle_starts_on_the_anchor_day_or_the_last_day_of_a_short_month(
    anchor: datetime, n: int
) -> None:
    start = cycle_at(anchor, n).starts_at
    last_day = (start.replace(day=1) + timedelta(days=32)).replace(day=1) - timedelta(
        days=1
    )
    assert start.day == anchor.day or (start.day == last_day.day < anchor.day)
    assert start.time() == anchor.time()


@given(anchors, offsets)
def test_the_cycle_containing_an_instant_contains_it(
    anchor: datetime, offset: timedelta
) -> None:
    instant = anchor + offset
    cycle = cycle_containing(anchor, instant)
    assert cycle.contains(instant)
    assert cycle == cycle_at(anchor, cycle.index)


@given(anchors, offsets)
def test_the_cycle_index_counts_the_months_since_the_anchor(
    anchor: datetime, offset: timedelta
) -> None:
    instant = anchor + offset
    index = cycle_containing(anchor, instant).index
    assert cycle_at(anchor, index).starts_at <= instant
    assert index == 0 or not cycle_at(anchor, index - 1).contains(instant)


@given(anchors, st.timedeltas(min_value=timedelta(microseconds=1)))
def test_instants_before_the_anchor_get_the_first_cycle(
    anchor: datetime, before: timedelta
) -> None:
    assume(anchor - datetime(1990, 1, 1, tzinfo=UTC) > before)
    assert cycle_containing(anchor, anchor - before).index == 0


@given(
    anchors,
    offsets,
    st.sampled_from([-12, -8, -5, -3, 0, 1, 5, 9, 14]),
    st.sampled_from([-11, -4, 0, 2, 10]),
)
def test_time_zones_of_the_anchor_and_the_instant_do_not_matter(
    anchor: datetime, offset: timedelta, anchor_hours: int, instant_hours: int
) -> None:
    zoned_anchor = anchor.astimezone(timezone(timedelta(hours=anchor_hours)))
    instant = (anchor + offset).astimezone(timezone(timedelta(hours=instant_hours)))
    assert cycle_containing(zoned_anchor, instant).contains(instant)


# ---------------------------------------------------------------- roll-over


def stored(anchor: datetime, index: int, used_ms: int = 0) -> UsageCycle:
    bounds = cycle_at(anchor, index)
    return UsageCycle("c", "org", bounds.starts_at, bounds.ends_at, used_ms, 500)


@given(anchors, st.integers(0, 600), st.timedeltas(timedelta(0), timedelta(days=27)))
def test_a_timely_reset_opens_the_very_next_cycle(
    anchor: datetime, index: int, late: timedelta
) -> None:
    ended = stored(anchor, index)
    following = next_cycle_bounds(anchor, ended, ended.ends_at + late)
    assert following == cycle_at(anchor, index + 1)
    assert following.starts_at == ended.ends_at


@given(anchors, st.integers(0, 600), st.timedeltas(timedelta(0), timedelta(days=3000)))
def test_after_missed_resets_the_new_cycle_holds_now(
    anchor: datetime, index: int, late: timedelta
) -> None:
    ended = stored(anchor, index)
    now = ended.ends_at + late
    following = next_cycle_bounds(anchor, ended, now)
    assert following.contains(now)
    assert following.starts_at >= ended.ends_at
    assert following == cycle_at(anchor, following.index)


def test_three_missed_months_land_on_the_cycle_of_today() -> None:
    anchor = utc(2026, 1, 31)
    ended = stored(anchor, 0)  # Jan 31 .. Feb 28
    following = next_cycle_bounds(anchor, ended, utc(2026, 5, 15))
    assert (following.starts_at, following.ends_at) == (
        utc(2026, 4, 30),
        utc(2026, 5, 31),
    )


@given(
    anchors,
    anchors,
    st.timedeltas(timedelta(hours=1), timedelta(days=60)),
    st.timedeltas(timedelta(0), timedelta(days=400)),
)
def test_the_next_cycle_never_overlaps_the_one_that_ended(
    anchor: datetime, old_start: datetime, length: timedelta, late: timedelta
) -> None:
    """Even when the stored cycle is not on the anchor's grid (an anchor moved
    by a plan change), the next one starts where it ended, or later."""
    ended = UsageCycle("c", "org", old_start, old_start + length, 0, 500)
    now = ended.ends_at + late
    following = next_cycle_bounds(anchor, ended, now)
    assert following.starts_at >= ended.ends_at
    assert following.starts_at < following.ends_at
    assert following.contains(now) or following.starts_at > now


def test_an_instant_already_in_next_month_in_utc_finds_its_cycle() -> None:
    """Regression: an anchor in a zone west of UTC and an instant that is in
    the next month in UTC used to send the search past the right cycle, on
    and on until the year 10000."""
    eastern = timezone(timedelta(hours=-5))
    anchor = datetime(2024, 1, 31, 23, 0, tzinfo=eastern)
    instant = datetime(2024, 3, 31, 22, 0, tzinfo=eastern).astimezone(UTC)
    cycle = cycle_containing(anchor, instant)
    assert cycle.index == 1
    assert cycle.contains(instant)


def test_a_cycle_off_the_anchor_grid_is_followed_by_a_short_one_up_to_the_grid() -> (
    None
):
    anchor = utc(2026, 3, 10)  # the anchor moved to the 10th
    ended = UsageCycle("c", "org", utc(2026, 3, 1), utc(2026, 4, 1), 0, 500)
    following = next_cycle_bounds(anchor, ended, utc(2026, 4, 1, 0, 5))
    assert (following.starts_at, following.ends_at) == (
        utc(2026, 4, 1),
        utc(2026, 4, 10),
    )
    after = next_cycle_bounds(
        anchor,
        UsageCycle("d", "org", following.starts_at, following.ends_at, 0, 500),
        utc(2026, 4, 10, 0, 5),
    )
    assert after == cycle_at(anchor, 1)
