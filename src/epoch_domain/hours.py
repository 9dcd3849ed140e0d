"""Business hours: a weekly schedule in an IANA time zone.

The schedule is what the API stores and shows, one entry per weekday:
`{"monday": {"open": "09:00", "close": "17:00", "closed": false}, ...}`.

Rules:

* Times are 24-hour "HH:MM". A close of "24:00" means the end of the day.
* A weekday missing from the input is closed. A closed day may keep its times
  (so the owner's form remembers them), but they must still be valid.
* Close after open is a same-day span. Close before open is an overnight span:
  it ends at the close time on the next day, even when the next day itself is
  closed (a bar open Friday 20:00 to 02:00 is open early Saturday). Close equal
  to open is rejected; "00:00" to "24:00" is open around the clock.
* The zone must be an IANA name that `zoneinfo` knows ("America/New_York").
* Each span is a pair of instants. A schedule time happens at the first moment
  the local clock shows that time or a later one:
  - a time skipped by a spring-forward change happens when the clock jumps
    (opening at 02:30 on the US spring-forward day opens at 03:00 EDT);
  - a time repeated by a fall-back change happens at its first occurrence
    (closing at 01:30 on the US fall-back day closes at 01:30 EDT), so a span
    is one unbroken interval and never closes and reopens at the switch.
  `is_open` is true exactly when the instant lies in [open, close) of some
  day's span.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from epoch_domain import prompt_sections
from epoch_domain.errors import ValidationFailed

WEEKDAYS: tuple[str, ...] = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)

END_OF_DAY = "24:00"
_CLOCK = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")
# Names zoneinfo can load that are not places: the server's own zone and
# tzdata's internal helpers.
_NOT_PLACES = frozenset({"localtime", "posixrules", "Factory"})


@dataclass(frozen=True, slots=True)
class DayHours:
    """One weekday. `open`/`close` are minutes after midnight (close may be
    1440, the end of the day); None only on a closed day given no times."""

    closed: bool
    open: int | None = None
    close: int | None = None

    @property
    def overnight(self) -> bool:
        return (
            not self.closed
            and self.open is not None
            and self.close is not None
            and self.close < self.open
        )


CLOSED = DayHours(closed=True)


@dataclass(frozen=True, slots=True)
class BusinessHours:
    days: tuple[DayHours, ...]  # indexed like WEEKDAYS, Monday first

    def day(self, weekday: int) -> DayHours:
        return self.days[weekday]


def _field(day: str, part: str) -> str:
    return f"businessHours.{day}.{part}"


def parse_clock(raw: object, field: str, *, allow_end_of_day: bool = False) -> int:
    if isinstance(raw, str):
        if allow_end_of_day and raw == END_OF_DAY:
            return 24 * 60
        found = _CLOCK.fullmatch(raw)
        if found is not None:
            return int(found.group(1)) * 60 + int(found.group(2))
    allowed = '"00:00" to "23:59"' + (' or "24:00"' if allow_end_of_day else "")
    raise ValidationFailed(field, f"must be a 24-hour time HH:MM, {allowed}")


def format_clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _parse_day(name: str, raw: object) -> DayHours:
    if not isinstance(raw, Mapping):
        raise ValidationFailed(
            f"businessHours.{name}", "must be an object with open, close, closed"
        )
    unknown = sorted(str(k) for k in raw if k not in ("open", "close", "closed"))
    if unknown:
        raise ValidationFailed(_field(name, unknown[0]), "is not a known field")
    closed = raw.get("closed", False)
    if not isinstance(closed, bool):
        raise ValidationFailed(_field(name, "closed"), "must be true or false")
    opens = raw.get("open")
    closes = raw.get("close")
    if closed and opens is None and closes is None:
        return CLOSED
    if opens is None or closes is None:
        missing = "open" if opens is None else "close"
        raise ValidationFailed(_field(name, missing), "is required")
    start = parse_clock(opens, _field(name, "open"))
    end = parse_clock(closes, _field(name, "close"), allow_end_of_day=True)
    if start == end:
        raise ValidationFailed(
            _field(name, "close"),
            "must differ from open (for round-the-clock use 00:00 to 24:00)",
        )
    return DayHours(closed=closed, open=start, close=end)


def parse_business_hours(raw: object) -> BusinessHours:
    """The schedule from its JSON shape; weekday names are case-insensitive."""
    if not isinstance(raw, Mapping):
        raise ValidationFailed("businessHours", "must be an object keyed by weekday")
    days: dict[str, DayHours] = {}
    for key, value in raw.items():
        name = str(key).strip().lower()
        if name not in WEEKDAYS:
            raise ValidationFailed(f"businessHours.{key}", "is not a weekday")
        if name in days:
            raise ValidationFailed(f"businessHours.{key}", "is given twice")
        days[name] = _parse_day(name, value)
    return BusinessHours(tuple(days.get(name, CLOSED) for name in WEEKDAYS))


def to_json(hours: BusinessHours) -> dict[str, dict[str, object]]:
    """The schedule in the API's shape; parsing it gives the same schedule."""
    shown: dict[str, dict[str, object]] = {}
    for name, day in zip(WEEKDAYS, hours.days, strict=True):
        entry: dict[str, object] = {"closed": day.closed}
        if day.open is not None and day.close is not None:
            entry = {
                "open": format_clock(day.open),
                "close": format_clock(day.close),
                **entry,
            }
        shown[name] = entry
    return shown


@functools.cache
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones()) - _NOT_PLACES


def _loads(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def check_timezone(raw: str, field: str = "timezone") -> str:
    name = raw.strip()
    if name not in _known_zones() or not _loads(name):
        raise ValidationFailed(
            field, "must be an IANA time zone such as America/New_York"
        )
    return name


# -- evaluating the schedule -------------------------------------------------


def _wall(instant: datetime, zone: ZoneInfo) -> datetime:
    return instant.astimezone(zone).replace(tzinfo=None)


def local_instant(day: date, minutes: int, zone: ZoneInfo) -> datetime:
    """The first UTC instant at which the local clock in `zone` shows
    `day` + `minutes`, or a later time (see the module rules)."""
    wall = datetime.combine(day, time()) + timedelta(minutes=minutes)
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if _wall(first, zone) == wall:
        return first  # exists; fold=0 is the earlier of two occurrences
    # Skipped by a forward jump: fold=1 reads the time with the offset after
    # the jump and lands before it, fold=0 lands after it. Zone changes fall
    # on whole seconds, so bisecting whole seconds finds the jump exactly.
    other = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    low, high = int(min(first, other).timestamp()), int(max(first, other).timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if _wall(datetime.fromtimestamp(middle, UTC), zone) >= wall:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


@dataclass(frozen=True, slots=True)
class Span:
    opens_at: datetime
    closes_at: datetime

    def contains(self, instant: datetime) -> bool:
        return self.opens_at <= instant < self.closes_at


def span_on(hours: BusinessHours, day: date, zone: ZoneInfo) -> Span | None:
    """The open span that starts on local date `day`, if that day opens."""
    entry = hours.day(day.weekday())
    if entry.closed or entry.open is None or entry.close is None:
        return None
    start = local_instant(day, entry.open, zone)
    end_day = day + timedelta(days=1) if entry.close < entry.open else day
    end = local_instant(end_day, entry.close, zone)
    return Span(start, end)


def is_open(hours: BusinessHours, timezone: str, instant: datetime) -> bool:
    """Whether the business is open at `instant` (an aware datetime)."""
    if instant.tzinfo is None:
        raise ValueError("instant must be timezone-aware")
    zone = ZoneInfo(timezone)
    moment = instant.astimezone(UTC)
    today = _wall(moment, zone).date()
    # A span starting the day before can reach into today; the day after only
    # matters where a fall-back change crosses midnight.
    for offset in (-1, 0, 1):
        span = span_on(hours, today + timedelta(days=offset), zone)
        if span is not None and span.contains(moment):
            return True
    return False


# -- the text the prompt's hours section shows --------------------------------


def _spoken_clock(minutes: int) -> str:
    if minutes in (0, 24 * 60):
        return "midnight"
    if minutes == 12 * 60:
        return "noon"
    hour, minute = divmod(minutes, 60)
    suffix = "AM" if hour < 12 else "PM"
    return f"{(hour % 12) or 12}:{minute:02d} {suffix}"


def day_text(day: DayHours) -> str:
    if day.closed or day.open is None or day.close is None:
        return "Closed"
    if day.open == 0 and day.close == 24 * 60:
        return "Open 24 hours"
    text = f"{_spoken_clock(day.open)} to {_spoken_clock(day.close)}"
    if day.overnight and day.close != 0:
        text += " (the next day)"
    return text


def hours_text(hours: BusinessHours, timezone: str) -> str:
    """The hours section of the system prompt."""
    lines = [f"Business hours (local time, {timezone}):"]
    lines.extend(
        f"- {name.capitalize()}: {day_text(day)}"
        for name, day in zip(WEEKDAYS, hours.days, strict=True)
    )
    lines.append(
        "Outside these hours, tell callers the business is closed and offer to "
        "take a message."
    )
    return "\n".join(lines)


def apply_hours(prompt: str, hours: BusinessHours, timezone: str) -> str:
    """`prompt` with its hours section rewritten; nothing else changes."""
    return prompt_sections.update_section(
        prompt, prompt_sections.HOURS, hours_text(hours, timezone)
    )
