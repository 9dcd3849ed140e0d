"""The calendar over the fakes: connecting (key checked, stored encrypted,
tools and prompt section), status, disconnecting, the diagnostic, and the
tools the assistant calls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import anyio
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from epoch_domain import prompt_sections
from epoch_domain.accounts import Organization
from epoch_domain.errors import PlanRequired, ProviderUnavailable, ValidationFailed
from epoch_domain.plans import Tier
from epoch_domain.usecases.calendar import CALENDAR_PROMPT, CalendarIntegration
from epoch_domain.usecases.calendar_tools import (
    NOT_CONNECTED,
    UNREACHABLE,
    AvailabilityArgs,
    BookingArgs,
    CalendarTools,
)
from tests.fakes import FakeSecretBox
from tests.unit.telephony_world import NOW, World

pytestmark = pytest.mark.anyio

KEY = "cal_live_good"
OWNER_TEXT = "Always greet callers warmly.\n"


@pytest.fixture
def world() -> World:
    return World()


def integration(world: World) -> CalendarIntegration:
    return CalendarIntegration(
        world.uow, world.clock, world.calendar, world.tools, world.prompts, world.box
    )


def tools(world: World) -> CalendarTools:
    return CalendarTools(
        world.uow, world.clock, world.calendar, world.box, "America/Los_Angeles"
    )


def ready(world: World, tier: Tier = Tier.ADVANCED) -> Organization:
    org = world.organization("o1", tier)
    world.assistant("o1")
    world.prompts.prompts["o1"] = OWNER_TEXT + prompt_sections.build_prompt(
        {prompt_sections.PERSONA: "You are Ava."}
    )
    return org


async def connected(world: World) -> Organization:
    org = ready(world)
    await integration(world).connect(org, "cal_com", f" {KEY} ", 12345)
    return org


# ---------------------------------------------------------------- connecting


async def test_connecting_stores_the_key_encrypted_and_adds_tools_and_prompt(
    world: World,
) -> None:
    org = await connected(world)
    stored = world.t.calendars["o1"]
    assert KEY not in stored.encrypted_api_key
    assert world.box.decrypt(stored.encrypted_api_key) == KEY
    assert stored.event_type_id == 12345
    assert stored.connected_at == NOW
    assert world.tools.tools["vapi-asst-o1"] == list(stored.tool_ids)
    prompt = world.prompts.prompts["o1"]
    assert prompt_sections.parse(prompt).sections[prompt_sections.CALENDAR_TOOLS] == (
        CALENDAR_PROMPT
    )
    assert prompt.startswith(OWNER_TEXT)
    status = await integration(world).status(org)
    assert status.connected
    assert status.can_edit


async def test_reconnecting_replaces_the_tools_instead_of_adding_more(
    world: World,
) -> None:
    org = await connected(world)
    await integration(world).connect(org, "CAL_COM", KEY, 777)
    stored = world.t.calendars["o1"]
    assert world.tools.tools["vapi-asst-o1"] == list(stored.tool_ids)
    assert stored.event_type_id == 777
    parsed = prompt_sections.parse(world.prompts.prompts["o1"])
    assert list(parsed.sections).count(prompt_sections.CALENDAR_TOOLS) == 1


async def test_a_rejected_key_changes_nothing(world: World) -> None:
    org = ready(world)
    before = world.prompts.prompts["o1"]
    with pytest.raises(ValidationFailed) as raised:
        await integration(world).connect(org, "CAL_COM", "cal_live_bad", 1)
    assert raised.value.field == "apiKey"
    assert world.t.calendars == {}
    assert world.tools.tools == {}
    assert world.prompts.prompts["o1"] == before


@pytest.mark.parametrize(
    ("provider", "key", "event_type", "field"),
    [
        ("GOOGLE", KEY, 1, "provider"),
        ("CAL_COM", "  ", 1, "apiKey"),
        ("CAL_COM", "two words", 1, "apiKey"),
        ("CAL_COM", KEY, 0, "eventTypeId"),
        ("CAL_COM", KEY, True, "eventTypeId"),
    ],
)
async def test_bad_input_is_refused_before_asking_the_provider(
    world: World, provider: str, key: str, event_type: int, field: str
) -> None:
    org = ready(world)
    world.calendar.down = True  # would raise if it were asked
    with pytest.raises(ValidationFailed) as raised:
        await integration(world).connect(org, provider, key, event_type)
    assert raised.value.field == field


async def test_connecting_is_advanced_and_up(world: World) -> None:
    org = ready(world, Tier.STARTER)
    with pytest.raises(PlanRequired) as raised:
        await integration(world).connect(org, "CAL_COM", KEY, 1)
    assert raised.value.required == "ADVANCED"
    assert not (await integration(world).status(org)).can_edit


async def test_connecting_needs_an_active_assistant(world: World) -> None:
    org = world.organization("o1", Tier.ADVANCED)
    with pytest.raises(ValidationFailed) as raised:
        await integration(world).connect(org, "CAL_COM", KEY, 1)
    assert raised.value.field == "assistant"


async def test_an_unreachable_calendar_is_a_provider_error(world: World) -> None:
    org = ready(world)
    world.calendar.down = True
    with pytest.raises(ProviderUnavailable):
        await integration(world).connect(org, "CAL_COM", KEY, 1)
    assert world.t.calendars == {}


# ---------------------------------------------------------------- disconnecting


async def test_disconnecting_removes_tools_section_and_connection(
    world: World,
) -> None:
    org = await connected(world)
    assert await integration(world).disconnect(org)
    assert world.t.calendars == {}
    assert world.tools.tools["vapi-asst-o1"] == []
    prompt = world.prompts.prompts["o1"]
    assert prompt_sections.CALENDAR_TOOLS not in prompt_sections.parse(prompt).sections
    assert prompt.startswith(OWNER_TEXT)
    assert not (await integration(world).status(org)).connected


async def test_disconnecting_nothing_succeeds_and_changes_nothing(
    world: World,
) -> None:
    org = ready(world)
    before = world.prompts.prompts["o1"]
    assert not await integration(world).disconnect(org)
    assert world.prompts.prompts["o1"] == before


# ---------------------------------------------------------------- diagnostic


def _steps(diagnosis: object) -> list[tuple[str, bool]]:
    return [(s.name, s.ok) for s in diagnosis.steps]  # type: ignore[attr-defined]


async def test_the_diagnostic_passes_every_step_when_all_is_well(
    world: World,
) -> None:
    await connected(world)
    diagnosis = await integration(world).diagnose("o1")
    assert diagnosis.ok
    assert diagnosis.timestamp == NOW
    assert _steps(diagnosis) == [
        ("org_lookup", True),
        ("plan_check", True),
        ("credential_decrypt", True),
        ("cal_com_api", True),
    ]


async def test_the_diagnostic_reports_each_failure_without_raising(
    world: World,
) -> None:
    missing = await integration(world).diagnose("nobody")
    assert _steps(missing) == [
        ("org_lookup", False),
        ("plan_check", False),
        ("credential_decrypt", False),
        ("cal_com_api", False),
    ]
    await connected(world)
    world.t.organizations["o1"] = world.organization("o1", Tier.STARTER)
    assert _steps(await integration(world).diagnose("o1"))[1] == ("plan_check", False)
    world.organization("o1", Tier.ADVANCED)
    rotated = CalendarIntegration(
        world.uow,
        world.clock,
        world.calendar,
        world.tools,
        world.prompts,
        FakeSecretBox("another key"),
    )
    unreadable = await rotated.diagnose("o1")
    assert _steps(unreadable)[2] == ("credential_decrypt", False)
    world.calendar.down = True
    down = await integration(world).diagnose("o1")
    assert _steps(down)[3] == ("cal_com_api", False)
    assert not down.ok
    world.calendar.down = False
    world.calendar.valid_keys.clear()
    assert _steps(await integration(world).diagnose("o1"))[3] == ("cal_com_api", False)


# ---------------------------------------------------------------- the tools

LA = "America/Los_Angeles"


def slot(day: int, hour: int, minute: int = 0) -> datetime:
    # 2026-03-17 is a Tuesday; Los Angeles is UTC-7 then (after the DST change).
    return datetime(2026, 3, day, hour + 7, minute, tzinfo=UTC)


async def test_availability_lists_the_days_free_times_in_the_callers_zone(
    world: World,
) -> None:
    await connected(world)
    world.calendar.slots = [slot(17, 9), slot(17, 14, 30), slot(18, 9)]
    result = await tools(world).check_availability("o1", AvailabilityArgs("2026-03-17"))
    assert result.ok
    assert result.text == (
        "Free times on Tuesday, March 17 (America/Los_Angeles): 9:00 AM, 2:30 PM."
    )
    assert world.calendar.slot_queries[0][0] == 12345


async def test_a_day_without_slots_says_so(world: World) -> None:
    await connected(world)
    result = await tools(world).check_availability(
        "o1", AvailabilityArgs("2026-03-20", "UTC")
    )
    assert result.ok
    assert result.text == "No free times on Friday, March 20. Offer another day."


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (AvailabilityArgs("next tuesday"), "YYYY-MM-DD"),
        (AvailabilityArgs("2026-03-01"), "passed"),
        (AvailabilityArgs("2030-01-01"), "too far"),
        (AvailabilityArgs("2026-03-17", "Mars/Olympus"), "time zone"),
    ],
)
async def test_bad_tool_arguments_get_an_instruction_not_an_exception(
    world: World, args: AvailabilityArgs, fragment: str
) -> None:
    await connected(world)
    result = await tools(world).check_availability("o1", args)
    assert not result.ok
    assert fragment in result.text


async def test_without_a_calendar_the_tools_offer_a_message(world: World) -> None:
    world.organization("o1", Tier.ADVANCED)
    for org_id in ("o1", None):
        result = await tools(world).check_availability(
            org_id, AvailabilityArgs("2026-03-17")
        )
        assert (result.ok, result.text) == (False, NOT_CONNECTED)


async def test_an_unreachable_calendar_is_said_plainly(world: World) -> None:
    await connected(world)
    world.calendar.down = True
    result = await tools(world).book(
        "o1", BookingArgs("2026-03-17T09:00:00", "Jane", "jane@example.com")
    )
    assert (result.ok, result.text) == (False, UNREACHABLE)


async def test_booking_a_free_slot_confirms_it_in_local_time(world: World) -> None:
    await connected(world)
    world.calendar.slots = [slot(17, 14, 30)]
    result = await tools(world).book(
        "o1",
        BookingArgs(
            "2026-03-17T14:30:00",
            " Jane Smith ",
            "Jane@Example.com",
            "(415) 555-2671",
            notes="Cleaning",
        ),
    )
    assert result.ok
    assert result.text == (
        "Booked for Tuesday, March 17 at 2:30 PM (America/Los_Angeles). "
        "Confirmation bk-1."
    )
    booking = world.calendar.bookings[0]
    assert booking.start == slot(17, 14, 30)
    assert (booking.attendee_name, booking.attendee_email) == (
        "Jane Smith",
        "jane@example.com",
    )
    assert booking.attendee_phone == "+14155552671"
    assert booking.event_type_id == 12345


async def test_booking_a_taken_slot_asks_for_another(world: World) -> None:
    await connected(world)
    result = await tools(world).book(
        "o1", BookingArgs("2026-03-17T14:30:00-07:00", "Jane", "jane@example.com")
    )
    assert not result.ok
    assert result.text.startswith("Not booked: that time is not available.")


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (BookingArgs("tomorrow at 2", "Jane", "jane@example.com"), "ISO"),
        (BookingArgs("2026-03-12T09:00:00", "Jane", "jane@example.com"), "passed"),
        (BookingArgs("2026-03-17T09:00:00", "  ", "jane@example.com"), "name"),
        (BookingArgs("2026-03-17T09:00:00", "Jane", "not-an-email"), "email"),
        (BookingArgs("2026-03-17T09:00:00", "Jane", "j@example.com", "12"), "phone"),
    ],
)
async def test_bad_booking_arguments_are_explained(
    world: World, args: BookingArgs, fragment: str
) -> None:
    await connected(world)
    world.clock.set(NOW + timedelta(hours=1))
    result = await tools(world).book("o1", args)
    assert not result.ok
    assert fragment in result.text
    assert world.calendar.bookings == []


@settings(max_examples=50, deadline=None)
@given(
    owner=st.text(alphabet=st.characters(codec="utf-8"), max_size=200),
    sections=st.dictionaries(
        st.sampled_from(
            [prompt_sections.PERSONA, prompt_sections.HOURS, prompt_sections.FREE_TEXT]
        ),
        st.text(max_size=40),
    ),
)
def test_connect_then_disconnect_gives_the_prompt_back(
    owner: str, sections: dict[str, str]
) -> None:
    """Whatever the owner wrote around whichever sections, connecting adds the
    calendar section alone and disconnecting takes exactly it away again."""
    original = prompt_sections.build_prompt(sections) + "\n" + owner
    assume(
        prompt_sections.CALENDAR_TOOLS not in prompt_sections.parse(original).sections
    )

    async def scenario() -> None:
        world = World()
        org = world.organization("o1", Tier.ADVANCED)
        world.assistant("o1")
        world.prompts.prompts["o1"] = original
        await integration(world).connect(org, "CAL_COM", KEY, 1)
        with_calendar = prompt_sections.parse(world.prompts.prompts["o1"]).sections
        assert with_calendar[prompt_sections.CALENDAR_TOOLS] == CALENDAR_PROMPT
        for key, body in prompt_sections.parse(original).sections.items():
            assert with_calendar[key] == body
        await integration(world).disconnect(org)
        assert world.prompts.prompts["o1"] == original

    anyio.run(scenario)
