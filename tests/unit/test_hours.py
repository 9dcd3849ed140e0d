"""Business hours: validation, DST-correct evaluation, prompt text; examples and
properties."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from epoch_domain import hours as h
from epoch_domain import prompt_sections as ps
from epoch_domain.errors import ValidationFailed

NY = "America/New_York"
LONDON = "Europe/London"
ZONES = [
    "UTC",
    NY,
    LONDON,
    "America/Los_Angeles",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Australia/Sydney",
    "Pacific/Auckland",
]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def week(**days: dict[str, object]) -> h.BusinessHours:
    return h.parse_business_hours(days)


def only(day: str, open_: str, close: str) -> h.BusinessHours:
    return week(**{day: {"open": open_, "close": close, "closed": False}})


NINE_TO_FIVE = {"open": "09:00", "close": "17:00", "closed": False}


# -- validation -----------------------------------------------------------------


def test_spec_example_parses_and_shows_back() -> None:
    raw = {"monday": NINE_TO_FIVE, "tuesday": NINE_TO_FIVE}
    hours = h.parse_business_hours(raw)
    assert hours.day(0) == h.DayHours(closed=False, open=540, close=1020)
    assert hours.day(2) == h.CLOSED  # missing days are closed
    shown = h.to_json(hours)
    assert shown["monday"] == NINE_TO_FIVE
    assert shown["sunday"] == {"closed": True}


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"funday": NINE_TO_FIVE}, "businessHours.funday"),
        ({"monday": {"open": "9:00", "close": "17:00"}}, "businessHours.monday.open"),
        ({"monday": {"open": "09:00", "close": "25:00"}}, "businessHours.monday.close"),
        ({"monday": {"open": "24:00", "close": "23:00"}}, "businessHours.monday.open"),
        ({"monday": {"open": "09:60", "close": "17:00"}}, "businessHours.monday.open"),
        ({"monday": {"open": 900, "close": "17:00"}}, "businessHours.monday.open"),
        ({"monday": {"open": "09:00", "close": "09:00"}}, "businessHours.monday.close"),
        ({"monday": {"open": "09:00"}}, "businessHours.monday.close"),
        ({"monday": {"close": "09:00", "closed": False}}, "businessHours.monday.open"),
        ({"monday": {"closed": "no"}}, "businessHours.monday.closed"),
        ({"monday": {"opens": "09:00"}}, "businessHours.monday.opens"),
        ({"monday": "9 to 5"}, "businessHours.monday"),
        ({"monday": NINE_TO_FIVE, "Monday": NINE_TO_FIVE}, "businessHours.Monday"),
        (["monday"], "businessHours"),
    ],
)
def test_bad_hours_name_the_field(raw: object, field: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        h.parse_business_hours(raw)
    assert caught.value.field == field


def test_closed_day_may_keep_its_times_and_overnight_and_24h_are_accepted() -> None:
    hours = week(
        monday={"open": "09:00", "close": "17:00", "closed": True},
        friday={"open": "20:00", "close": "02:00"},
        saturday={"open": "00:00", "close": "24:00"},
        sunday={"closed": True},
    )
    assert hours.day(0) == h.DayHours(closed=True, open=540, close=1020)
    assert hours.day(4).overnight
    assert not hours.day(5).overnight
    assert hours.day(6) == h.CLOSED


@pytest.mark.parametrize("name", [NY, " Europe/London ", "UTC", "Asia/Kathmandu"])
def test_known_zones_are_accepted(name: str) -> None:
    assert h.check_timezone(name) == name.strip()


@pytest.mark.parametrize(
    "name",
    [
        "",
        "Mars/Olympus",
        "America",
        "../etc/passwd",
        "/etc/localtime",
        "localtime",
        "america/new_york",
        "EST+5",
    ],
)
def test_unknown_zones_are_rejected(name: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        h.check_timezone(name)
    assert caught.value.field == "timezone"


# -- DST examples: America/New_York 2026 (Mar 8 spring, Nov 1 fall back) --------


def test_new_york_spring_forward_day_keeps_wall_clock_hours() -> None:
    hours = only("sunday", "09:00", "17:00")
    # 09:00 EDT is 13:00 UTC (it would be 14:00 UTC in winter).
    assert not h.is_open(hours, NY, utc(2026, 3, 8, 12, 59, 59))
    assert h.is_open(hours, NY, utc(2026, 3, 8, 13, 0))
    assert h.is_open(hours, NY, utc(2026, 3, 8, 20, 59, 59))
    assert not h.is_open(hours, NY, utc(2026, 3, 8, 21, 0))


def test_new_york_nonexistent_opening_opens_when_the_clock_jumps() -> None:
    hours = only("sunday", "02:30", "05:00")
    assert not h.is_open(hours, NY, utc(2026, 3, 8, 6, 59, 59))  # 01:59:59 EST
    assert h.is_open(hours, NY, utc(2026, 3, 8, 7, 0))  # 03:00 EDT
    assert h.is_open(hours, NY, utc(2026, 3, 8, 8, 59, 59))
    assert not h.is_open(hours, NY, utc(2026, 3, 8, 9, 0))  # 05:00 EDT


def test_new_york_ambiguous_times_use_the_first_occurrence() -> None:
    hours = only("sunday", "01:30", "03:00")
    assert not h.is_open(hours, NY, utc(2026, 11, 1, 5, 29, 59))
    assert h.is_open(hours, NY, utc(2026, 11, 1, 5, 30))  # 01:30 EDT
    assert h.is_open(hours, NY, utc(2026, 11, 1, 6, 0))  # 01:00 EST, still open
    assert h.is_open(hours, NY, utc(2026, 11, 1, 6, 30))  # 01:30 EST, unbroken
    assert h.is_open(hours, NY, utc(2026, 11, 1, 7, 59, 59))
    assert not h.is_open(hours, NY, utc(2026, 11, 1, 8, 0))  # 03:00 EST


def test_new_york_overnight_span_across_fall_back_lasts_five_hours() -> None:
    hours = only("saturday", "22:00", "02:00")
    span = h.span_on(hours, date(2026, 10, 31), ZoneInfo(NY))
    assert span == h.Span(utc(2026, 11, 1, 2, 0), utc(2026, 11, 1, 7, 0))
    assert h.is_open(hours, NY, utc(2026, 11, 1, 6, 59, 59))
    assert not h.is_open(hours, NY, utc(2026, 11, 1, 7, 0))


def test_close_at_ambiguous_time_closes_at_the_first_occurrence() -> None:
    hours = only("saturday", "20:00", "01:30")
    assert h.is_open(hours, NY, utc(2026, 11, 1, 5, 29, 59))  # 01:29:59 EDT
    assert not h.is_open(hours, NY, utc(2026, 11, 1, 5, 30))  # 01:30 EDT
    assert not h.is_open(hours, NY, utc(2026, 11, 1, 6, 15))  # 01:15 EST: no reopening


# -- DST examples: Europe/London 2026 (Mar 29 spring, Oct 25 fall back) ---------


def test_london_spring_forward() -> None:
    hours = only("sunday", "01:30", "03:00")
    assert not h.is_open(hours, LONDON, utc(2026, 3, 29, 0, 59, 59))  # 00:59 GMT
    assert h.is_open(hours, LONDON, utc(2026, 3, 29, 1, 0))  # 02:00 BST
    assert not h.is_open(hours, LONDON, utc(2026, 3, 29, 2, 0))  # 03:00 BST
    nine = only("sunday", "09:00", "17:00")
    assert h.is_open(nine, LONDON, utc(2026, 3, 29, 8, 0))  # 09:00 BST
    assert not h.is_open(nine, LONDON, utc(2026, 3, 29, 7, 59))


def test_london_fall_back() -> None:
    hours = only("sunday", "01:15", "01:45")
    assert h.is_open(hours, LONDON, utc(2026, 10, 25, 0, 15))  # 01:15 BST
    assert not h.is_open(hours, LONDON, utc(2026, 10, 25, 0, 45))  # 01:45 BST
    assert not h.is_open(hours, LONDON, utc(2026, 10, 25, 1, 20))  # 01:20 GMT
    nine = only("sunday", "09:00", "17:00")
    assert h.is_open(nine, LONDON, utc(2026, 10, 25, 9, 0))  # 09:00 GMT
    assert not h.is_open(nine, LONDON, utc(2026, 10, 25, 8, 59))


def test_naive_instant_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="aware"):
        h.is_open(only("monday", "09:00", "17:00"), NY, datetime(2026, 3, 9, 12))


# -- prompt text ------------------------------------------------------------------


def test_hours_text_reads_naturally() -> None:
    hours = week(
        monday=NINE_TO_FIVE,
        tuesday={"open": "12:00", "close": "24:00"},
        wednesday={"open": "00:00", "close": "24:00"},
        thursday={"open": "09:30", "close": "17:00", "closed": True},
        friday={"open": "20:00", "close": "02:00"},
        saturday={"open": "18:00", "close": "00:00"},
    )
    assert h.hours_text(hours, "America/Los_Angeles") == (
        "Business hours (local time, America/Los_Angeles):\n"
        "- Monday: 9:00 AM to 5:00 PM\n"
        "- Tuesday: noon to midnight\n"
        "- Wednesday: Open 24 hours\n"
        "- Thursday: Closed\n"
        "- Friday: 8:00 PM to 2:00 AM (the next day)\n"
        "- Saturday: 6:00 PM to midnight\n"
        "- Sunday: Closed\n"
        "Outside these hours, tell callers the business is closed and offer to "
        "take a message."
    )


# -- properties ---------------------------------------------------------------------

clock = st.integers(0, 1439).map(h.format_clock)


@st.composite
def day_json(draw: st.DrawFn) -> dict[str, object]:
    if draw(st.booleans()) and draw(st.booleans()):
        return {"closed": True}
    opens = draw(clock)
    closes = draw(st.one_of(clock, st.just("24:00")))
    assume(opens != closes)
    return {"open": opens, "close": closes, "closed": draw(st.booleans())}


week_json = st.dictionaries(st.sampled_from(h.WEEKDAYS), day_json())
zones = st.sampled_from(ZONES)
instants = st.integers(
    int(utc(2020, 1, 1).timestamp()), int(utc(2035, 12, 31).timestamp())
).map(lambda s: datetime.fromtimestamp(s, UTC))
DST_DAYS = [
    date(2026, 3, 8),
    date(2026, 11, 1),
    date(2026, 3, 29),
    date(2026, 10, 25),
    date(2026, 4, 5),
    date(2026, 9, 27),
]
days = st.one_of(
    st.sampled_from(DST_DAYS), st.dates(date(2020, 1, 1), date(2035, 12, 31))
)


def wall_clock_rule(hours: h.BusinessHours, wall: datetime) -> bool:
    """The plain reading of a schedule, right wherever no clock change is near."""
    second = wall.hour * 3600 + wall.minute * 60 + wall.second
    today, yesterday = hours.day(wall.weekday()), hours.day((wall.weekday() - 1) % 7)
    if not today.closed and today.open is not None and today.close is not None:
        if today.overnight:
            if second >= today.open * 60:
                return True
        elif today.open * 60 <= second < today.close * 60:
            return True
    return yesterday.overnight and second < (yesterday.close or 0) * 60


@given(week_json)
def test_json_round_trip(raw: dict[str, dict[str, object]]) -> None:
    hours = h.parse_business_hours(raw)
    assert h.parse_business_hours(h.to_json(hours)) == hours


@given(week_json, zones, instants)
def test_matches_the_wall_clock_away_from_clock_changes(
    raw: dict[str, dict[str, object]], zone_name: str, instant: datetime
) -> None:
    zone = ZoneInfo(zone_name)
    around = [instant + timedelta(hours=k) for k in range(-50, 51, 10)]
    assume(len({t.astimezone(zone).utcoffset() for t in around}) == 1)
    hours = h.parse_business_hours(raw)
    wall = instant.astimezone(zone).replace(tzinfo=None)
    assert h.is_open(hours, zone_name, instant) == wall_clock_rule(hours, wall)


@given(zones, instants)
def test_all_closed_is_never_open(zone_name: str, instant: datetime) -> None:
    assert not h.is_open(h.parse_business_hours({}), zone_name, instant)


@given(week_json, zones, days, st.integers(0, 24 * 3600 - 1))
def test_a_closed_day_is_never_open(
    raw: dict[str, dict[str, object]], zone_name: str, day: date, second: int
) -> None:
    hours = h.parse_business_hours(raw)
    assume(hours.day(day.weekday()).closed)
    assume(not hours.day((day.weekday() - 1) % 7).overnight)
    zone = ZoneInfo(zone_name)
    instant = h.local_instant(day, 0, zone) + timedelta(seconds=second)
    assume(instant.astimezone(zone).date() == day)
    assert not h.is_open(hours, zone_name, instant)


@given(day_json().filter(lambda d: not d.get("closed")), zones, days)
def test_open_at_open_time_closed_at_close_time(
    entry: dict[str, object], zone_name: str, day: date
) -> None:
    name = h.WEEKDAYS[day.weekday()]
    hours = h.parse_business_hours({name: entry})
    span = h.span_on(hours, day, ZoneInfo(zone_name))
    assert span is not None
    assert not h.is_open(hours, zone_name, span.closes_at)
    assert not h.is_open(hours, zone_name, span.opens_at - timedelta(seconds=1))
    if span.opens_at < span.closes_at:
        assert h.is_open(hours, zone_name, span.opens_at)
        assert h.is_open(hours, zone_name, span.closes_at - timedelta(seconds=1))


@given(day_json().filter(lambda d: not d.get("closed")), zones, days)
def test_span_length_is_the_wall_length_give_or_take_a_clock_change(
    entry: dict[str, object], zone_name: str, day: date
) -> None:
    name = h.WEEKDAYS[day.weekday()]
    hours = h.parse_business_hours({name: entry})
    d = hours.day(day.weekday())
    assert d.open is not None
    assert d.close is not None
    wall_minutes = (d.close - d.open) % (24 * 60) or 24 * 60
    span = h.span_on(hours, day, ZoneInfo(zone_name))
    assert span is not None
    length = span.closes_at - span.opens_at
    assert abs(length - timedelta(minutes=wall_minutes)) <= timedelta(hours=1)
    assert length >= timedelta(0)


overnight_times = st.integers(1, 1439).flatmap(
    lambda opens: st.tuples(st.just(opens), st.integers(0, opens - 1))
)


@given(overnight_times, zones, days)
def test_overnight_spans_reach_into_a_closed_next_day(
    times: tuple[int, int], zone_name: str, day: date
) -> None:
    opens, closes = times
    name = h.WEEKDAYS[day.weekday()]
    hours = h.parse_business_hours(
        {name: {"open": h.format_clock(opens), "close": h.format_clock(closes)}}
    )
    assert hours.day((day.weekday() + 1) % 7).closed
    zone = ZoneInfo(zone_name)
    next_midnight = h.local_instant(day + timedelta(days=1), 0, zone)
    span = h.span_on(hours, day, zone)
    assert span is not None
    assert h.is_open(hours, zone_name, next_midnight) == (
        span.opens_at <= next_midnight < span.closes_at
    )
    if closes > 60:  # an hour past midnight is clear of any clock change
        assert h.is_open(hours, zone_name, next_midnight)


@given(
    st.sampled_from([*ZONES, "America/Havana", "America/Santiago"]),
    days,
    st.integers(0, 1440),
)
def test_local_instant_shows_the_time_or_the_first_later_one(
    zone_name: str, day: date, minutes: int
) -> None:
    zone = ZoneInfo(zone_name)
    instant = h.local_instant(day, minutes, zone)
    wall = datetime.combine(day, datetime.min.time()) + timedelta(minutes=minutes)
    shown = instant.astimezone(zone).replace(tzinfo=None)
    assert shown >= wall
    # One second earlier the clock showed an earlier time.
    before = (instant - timedelta(seconds=1)).astimezone(zone).replace(tzinfo=None)
    assert before < wall
    if shown != wall:  # only when the time was skipped
        assert shown - wall <= timedelta(hours=1)


@given(week_json, zones, st.text(max_size=40))
def test_apply_hours_rewrites_only_the_hours_section(
    raw: dict[str, dict[str, object]], zone_name: str, owner: str
) -> None:
    hours = h.parse_business_hours(raw)
    prompt = owner + "\n" + ps.build_prompt({"persona": "P", "hours": "old"})
    updated = h.apply_hours(prompt, hours, zone_name)
    assert updated.startswith(owner + "\n")
    assert ps.parse(updated).sections == {
        "persona": "P",
        "hours": h.hours_text(hours, zone_name),
    }
