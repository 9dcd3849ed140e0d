"""Minutes from milliseconds: exact fractions, rounded only for display."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from epoch_domain.metering import (
    MS_PER_MINUTE,
    UsageSnapshot,
    display_minutes,
    duration_ms,
    minutes,
)

# Up to a year of calls in a cycle, far beyond any plan.
ms_values = st.integers(min_value=0, max_value=366 * 24 * 60 * MS_PER_MINUTE)


@given(st.lists(ms_values, max_size=50))
def test_the_minutes_of_a_sum_are_the_sum_of_the_minutes(calls: list[int]) -> None:
    assert minutes(sum(calls)) == sum((minutes(ms) for ms in calls), Fraction(0))


@given(ms_values)
def test_minutes_are_the_exact_fraction_of_a_minute(ms: int) -> None:
    assert minutes(ms) * MS_PER_MINUTE == ms


@given(ms_values)
def test_display_is_never_off_by_more_than_half_a_hundredth(ms: int) -> None:
    shown = Fraction(repr(display_minutes(ms)))
    assert abs(shown - minutes(ms)) <= Fraction(1, 200)
    # Two decimals exactly.
    assert (shown * 100).denominator == 1


@given(st.integers(min_value=0, max_value=10**7))
def test_display_rounds_half_up(hundredths: int) -> None:
    # ms = hundredths / 100 minutes plus exactly half a hundredth.
    ms = hundredths * 600 + 300
    assert Fraction(repr(display_minutes(ms))) == Fraction(hundredths + 1, 100)


@given(st.integers(min_value=0, max_value=10**7), st.integers(1, 299))
def test_display_rounds_down_below_the_half(hundredths: int, extra: int) -> None:
    ms = hundredths * 600 + extra
    assert Fraction(repr(display_minutes(ms))) == Fraction(hundredths, 100)


@pytest.mark.parametrize(
    ("ms", "shown"),
    [
        (0, 0.0),
        (1, 0.0),
        (299, 0.0),
        (300, 0.01),
        (30_000, 0.5),
        (61_000, 1.02),
        (330_000, 5.5),
        (8_550_000, 142.5),
    ],
)
def test_display_examples(ms: int, shown: float) -> None:
    assert display_minutes(ms) == shown


def test_a_call_is_never_rounded_up_to_a_whole_minute() -> None:
    assert minutes(61_000) == Fraction(61, 60)
    assert minutes(1) == Fraction(1, 60_000)
    # Two 61-second calls are 2.03 minutes, not 4.
    assert display_minutes(61_000 * 2) == 2.03


def test_spec_figure_142_5_minutes_of_500_is_28_5_percent() -> None:
    snapshot = UsageSnapshot(used_ms=8_550_000, included_minutes=500)
    assert snapshot.minutes_used == 142.5
    assert snapshot.percent_used == 28.5
    assert snapshot.remaining_ms == (500 * 60_000) - 8_550_000


@given(ms_values, st.integers(min_value=1, max_value=5000))
def test_percent_used_is_the_share_rounded_to_two_decimals(
    used: int, included: int
) -> None:
    snapshot = UsageSnapshot(used, included)
    exact = Fraction(used * 100, included * MS_PER_MINUTE)
    assert abs(Fraction(repr(snapshot.percent_used)) - exact) <= Fraction(1, 200)
    assert snapshot.remaining_ms == max(included * MS_PER_MINUTE - used, 0)


@given(ms_values)
def test_nothing_included_means_zero_percent(used: int) -> None:
    assert UsageSnapshot(used, 0).percent_used == 0.0


instants = st.datetimes(
    min_value=datetime(2000, 1, 1),
    max_value=datetime(2100, 1, 1),
    timezones=st.just(UTC),
)


@given(instants, ms_values)
def test_duration_is_the_milliseconds_between_the_instants(
    start: datetime, ms: int
) -> None:
    assert duration_ms(start, start + timedelta(milliseconds=ms)) == ms


@given(instants, st.integers(min_value=0, max_value=999))
def test_sub_millisecond_remainders_are_dropped_not_rounded_up(
    start: datetime, micros: int
) -> None:
    assert duration_ms(start, start + timedelta(microseconds=micros)) == 0


@given(instants, st.integers(min_value=1, max_value=10**9))
def test_an_end_before_the_start_counts_as_zero(start: datetime, ms: int) -> None:
    assert duration_ms(start, start - timedelta(milliseconds=ms)) == 0


def test_an_unknown_instant_gives_no_duration() -> None:
    now = datetime(2026, 3, 1, tzinfo=UTC)
    assert duration_ms(None, now) is None
    assert duration_ms(now, None) is None


class TestPlausibleDurations:
    """A call's metered length is bounded, whatever a payload claims."""

    @given(
        st.datetimes(timezones=st.just(UTC)),
        st.datetimes(timezones=st.just(UTC)),
        st.one_of(st.none(), st.integers(min_value=-(10**30), max_value=10**30)),
    )
    def test_a_metered_duration_is_never_negative_nor_over_a_day(
        self, start, end, reported
    ):
        from epoch_domain.calls import CallEvent, CallEventKind
        from epoch_domain.metering import MAX_CALL_MS

        event = CallEvent(
            CallEventKind.END_OF_CALL_REPORT,
            "c",
            started_at=start,
            ended_at=end,
            reported_duration_ms=reported,
        )
        assert event.duration_ms is None or 0 <= event.duration_ms <= MAX_CALL_MS
        assert event.meters == (event.duration_ms is not None)

    def test_the_ceiling_is_a_day(self):
        from epoch_domain.metering import MAX_CALL_MS, plausible_duration

        assert plausible_duration(MAX_CALL_MS) == 86_400_000
        assert plausible_duration(MAX_CALL_MS + 1) is None
        assert plausible_duration(-1) is None
