"""What an organization sees of its minutes, calls and plan."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from epoch_domain.accounts import Organization
from epoch_domain.assistants import Assistant
from epoch_domain.calls import Call
from epoch_domain.cycles import UsageCycle, cycle_containing
from epoch_domain.errors import NotFound, ValidationFailed
from epoch_domain.metering import UsageSnapshot
from epoch_domain.plans import Plan, plan_for
from epoch_domain.ports import Clock, UnitOfWorkFactory

MAX_HISTORY_DAYS = 365
RECENT_CALLS = 20


@dataclass(frozen=True, slots=True)
class DailyUsage:
    day: date
    calls: int
    used_ms: int


@dataclass(frozen=True, slots=True)
class UsageReport:
    snapshot: UsageSnapshot
    cycle_start: datetime
    cycle_end: datetime
    plan: Plan
    organization: Organization
    assistant: Assistant | None
    history: Sequence[DailyUsage]
    recent_calls: Sequence[Call]

    @property
    def cycle_end_display(self) -> datetime:
        """The cycle's last whole second, as the API shows it (…T23:59:59Z)."""
        return self.cycle_end - timedelta(seconds=1)


@dataclass(frozen=True, slots=True)
class CallDetail:
    call: Call
    plan: Plan


def check_days(days: int) -> int:
    if not 1 <= days <= MAX_HISTORY_DAYS:
        raise ValidationFailed("days", f"must be between 1 and {MAX_HISTORY_DAYS}")
    return days


def fill_days(
    rows: Sequence[tuple[date, int, int]], first: date, last: date
) -> list[DailyUsage]:
    """One entry per day from `first` to `last`, zero where nothing happened."""
    by_day = {day: (calls, ms) for day, calls, ms in rows}
    out = []
    day = first
    while day <= last:
        calls, ms = by_day.get(day, (0, 0))
        out.append(DailyUsage(day, calls, ms))
        day += timedelta(days=1)
    return out


class Usage:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def report(self, org: Organization, days: int) -> UsageReport:
        days = check_days(days)
        now = self._clock.now()
        first_day = (now - timedelta(days=days - 1)).date()
        since = datetime.combine(first_day, datetime.min.time(), tzinfo=now.tzinfo)
        async with self._uow() as uow:
            cycle = await uow.cycles.current(org.id)
            assistants = await uow.assistants.list_with_call_counts(org.id)
            rows = await uow.calls.daily_minutes(org.id, since)
            recent = await uow.calls.recent(org.id, RECENT_CALLS)
        plan = plan_for(org.tier)
        cycle = cycle or _empty_cycle(org, now, plan)
        return UsageReport(
            snapshot=UsageSnapshot(cycle.used_ms, plan.included_minutes),
            cycle_start=cycle.starts_at,
            cycle_end=cycle.ends_at,
            plan=plan,
            organization=org,
            assistant=assistants[0] if assistants else None,
            history=fill_days(rows, first_day, now.date()),
            recent_calls=recent,
        )

    async def call_detail(self, org: Organization, call_id: str) -> CallDetail:
        async with self._uow() as uow:
            call = await uow.calls.get(org.id, call_id)
        if call is None:
            raise NotFound("call", call_id)
        return CallDetail(call, plan_for(org.tier))


def _empty_cycle(org: Organization, now: datetime, plan: Plan) -> UsageCycle:
    bounds = cycle_containing(org.cycle_anchor, now)
    return UsageCycle(
        id="",
        organization_id=org.id,
        starts_at=bounds.starts_at,
        ends_at=bounds.ends_at,
        used_ms=0,
        included_minutes=plan.included_minutes,
    )
