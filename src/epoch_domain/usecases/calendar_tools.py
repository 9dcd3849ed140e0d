"""The calendar tools the assistant calls during a phone call.

The voice platform's tool-call arguments arrive in several shapes; reading
them is the adapter's job. Here they are typed values as the model wrote
them (a date as YYYY-MM-DD, a start as an ISO date-time, an IANA zone), and
every answer is a sentence for the assistant to act on: a tool never raises,
and a failure is a `ToolResult` with `ok=False` whose text tells the assistant
what to do instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from epoch_domain.accounts import check_name, normalize_email
from epoch_domain.errors import ProviderUnavailable, ValidationFailed
from epoch_domain.integrations import CalendarConnection
from epoch_domain.phone import normalize_optional
from epoch_domain.ports import Clock, UnitOfWorkFactory
from epoch_domain.telephony_ports import (
    BookingRequest,
    CalendarProvider,
    SecretBox,
    SecretUnreadable,
)

MAX_SLOTS_SPOKEN = 12
MAX_DAYS_AHEAD = 365
NOT_CONNECTED = "The calendar is not connected. Offer to take a message instead."
UNREACHABLE = "The calendar cannot be reached right now. Offer to take a message."


@dataclass(frozen=True, slots=True)
class AvailabilityArgs:
    date: str
    time_zone: str | None = None


@dataclass(frozen=True, slots=True)
class BookingArgs:
    start: str
    name: str
    email: str
    phone: str | None = None
    time_zone: str | None = None
    notes: str | None = None


@dataclass(frozen=True, slots=True)
class ToolResult:
    text: str
    ok: bool = True


class _Refusal(Exception):
    """A tool answer that is a refusal; carries the sentence."""


def spoken_time(instant: datetime) -> str:
    half = "AM" if instant.hour < 12 else "PM"
    return f"{instant.hour % 12 or 12}:{instant.minute:02d} {half}"


def spoken_day(day: date) -> str:
    return f"{day:%A}, {day:%B} {day.day}"


def _zone(name: str | None, default: str) -> ZoneInfo:
    try:
        return ZoneInfo((name or "").strip() or default)
    except (ZoneInfoNotFoundError, ValueError):
        raise _Refusal(
            f"{name!r} is not a time zone I know; ask for the city."
        ) from None


def _day(raw: str, today: date) -> date:
    try:
        day = date.fromisoformat(raw.strip())
    except ValueError:
        raise _Refusal("Give the date as YYYY-MM-DD.") from None
    if day < today:
        raise _Refusal("That date has passed; ask for a later date.")
    if day > today + timedelta(days=MAX_DAYS_AHEAD):
        raise _Refusal("That date is too far ahead; ask for an earlier date.")
    return day


def _start(raw: str, zone: ZoneInfo, now: datetime) -> datetime:
    try:
        start = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise _Refusal("Give the start as an ISO date and time.") from None
    if start.tzinfo is None:
        start = start.replace(tzinfo=zone)
    if start <= now:
        raise _Refusal("That time has passed; offer a later time.")
    return start


class CalendarTools:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        calendar: CalendarProvider,
        box: SecretBox,
        default_time_zone: str = "UTC",
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._calendar = calendar
        self._box = box
        self._default_zone = default_time_zone

    async def check_availability(
        self, org_id: str | None, args: AvailabilityArgs
    ) -> ToolResult:
        try:
            connection, key = await self._connection(org_id)
            zone = _zone(args.time_zone, self._default_zone)
            day = _day(args.date, self._clock.now().astimezone(zone).date())
            slots = await self._calendar.available_slots(
                key, connection.event_type_id, day, day, zone.key
            )
        except _Refusal as refusal:
            return ToolResult(str(refusal), ok=False)
        except ProviderUnavailable:
            return ToolResult(UNREACHABLE, ok=False)
        return ToolResult(_slots_text(day, slots, zone))

    async def book(self, org_id: str | None, args: BookingArgs) -> ToolResult:
        try:
            connection, key = await self._connection(org_id)
            zone = _zone(args.time_zone, self._default_zone)
            request = self._booking(connection, args, zone)
            outcome = await self._calendar.book(key, request)
        except _Refusal as refusal:
            return ToolResult(str(refusal), ok=False)
        except ProviderUnavailable:
            return ToolResult(UNREACHABLE, ok=False)
        if not outcome.booked:
            why = outcome.reason or "the time is no longer free"
            return ToolResult(f"Not booked: {why}. Offer another time.", ok=False)
        local = (outcome.start or request.start).astimezone(zone)
        ref = f" Confirmation {outcome.booking_id}." if outcome.booking_id else ""
        return ToolResult(
            f"Booked for {spoken_day(local.date())} at {spoken_time(local)} "
            f"({zone.key}).{ref}"
        )

    def _booking(
        self, connection: CalendarConnection, args: BookingArgs, zone: ZoneInfo
    ) -> BookingRequest:
        start = _start(args.start, zone, self._clock.now())
        try:
            name = check_name(args.name, "name")
            email = normalize_email(args.email)
            phone = normalize_optional(args.phone, "phone")
        except ValidationFailed as error:
            raise _Refusal(f"The caller's {error.field} {error.problem}.") from None
        notes = (args.notes or "").strip()[:1000] or None
        return BookingRequest(
            connection.event_type_id, start, zone.key, name, email, phone, notes
        )

    async def _connection(self, org_id: str | None) -> tuple[CalendarConnection, str]:
        if org_id is None:
            raise _Refusal(NOT_CONNECTED)
        async with self._uow() as uow:
            connection = await uow.calendars.get(org_id)
        if connection is None:
            raise _Refusal(NOT_CONNECTED)
        try:
            return connection, self._box.decrypt(connection.encrypted_api_key)
        except SecretUnreadable:
            raise _Refusal(NOT_CONNECTED) from None


def _slots_text(day: date, slots: Sequence[datetime], zone: ZoneInfo) -> str:
    local = [s.astimezone(zone) for s in slots]
    on_day = [s for s in local if s.date() == day]
    if not on_day:
        return f"No free times on {spoken_day(day)}. Offer another day."
    shown = ", ".join(spoken_time(s) for s in on_day[:MAX_SLOTS_SPOKEN])
    more = " and more" if len(on_day) > MAX_SLOTS_SPOKEN else ""
    return f"Free times on {spoken_day(day)} ({zone.key}): {shown}{more}."
