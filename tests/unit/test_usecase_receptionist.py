"""Assistant name, greeting, voice, prompt and transfer number over the fakes:
plan gates, propagation into the prompt, and pushing to the voice platform."""

from __future__ import annotations

import pytest

from epoch_domain import prompt_sections
from epoch_domain.assistant_settings import FirstMessageMode
from epoch_domain.errors import PlanRequired, ProviderUnavailable, ValidationFailed
from epoch_domain.plans import Tier
from epoch_domain.receptionist import DEFAULT_VOICE, expected_sections
from epoch_domain.usecases.receptionist_sync import SyncStatus
from tests.unit.receptionist_world import World

pytestmark = pytest.mark.anyio


@pytest.fixture
def world() -> World:
    return World()


def _sections(prompt: str) -> dict[str, str]:
    return prompt_sections.parse(prompt).sections


# ------------------------------------------------------------ assistant name


@pytest.mark.parametrize(
    ("tier", "can_edit"),
    [(Tier.FREE, False), (Tier.ADVANCED, False), (Tier.PRO, True)],
)
async def test_the_name_view_offers_editing_from_pro_and_shows_the_default(
    world: World, tier: Tier, can_edit: bool
) -> None:
    view = await world.settings.name(world.organization(tier=tier))
    assert (view.name, view.default_name, view.can_edit) == (
        "Savannah",
        "Savannah",
        can_edit,
    )


async def test_renaming_below_pro_is_refused_naming_the_plan(world: World) -> None:
    org = world.organization(tier=Tier.ADVANCED)
    with pytest.raises(PlanRequired) as caught:
        await world.settings.rename(org, "Alex")
    assert (caught.value.required, caught.value.current) == ("PRO", "ADVANCED")
    assert world.db.tables.receptionists == {}


@pytest.mark.parametrize("name", ["A", "x" * 31, "   ", "Al\nex"])
async def test_a_name_outside_2_to_30_visible_characters_is_refused(
    world: World, name: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        await world.settings.rename(world.organization(), name)
    assert caught.value.field == "name"


async def test_renaming_propagates_to_greeting_and_persona_and_the_platform(
    world: World,
) -> None:
    org = world.organization()
    platform_id = await world.live(org)
    saved = await world.settings.rename(org, "  Alex ")
    profile = world.profile()
    assert profile.assistant_name == "Alex"
    assert profile.greeting.first_message == (
        "Hi! Thanks for calling Acme Dental. This is Alex. How can I help you today?"
    )
    assert (
        "You are Alex, the AI receptionist for Acme Dental"
        in (_sections(profile.system_prompt)["persona"])
    )
    assert saved.sync is SyncStatus.SYNCED
    assert world.config(platform_id).name == "Alex"
    assert world.config(platform_id).system_prompt == profile.system_prompt
    assert not world.profile().needs_sync


async def test_a_failing_platform_keeps_the_change_and_reports_it_unsynced(
    world: World,
) -> None:
    org = world.organization()
    platform_id = await world.live(org)
    world.platform.failing = True
    saved = await world.settings.rename(org, "Alex")
    assert saved.sync is SyncStatus.PENDING
    assert not saved.synced
    assert world.profile().assistant_name == "Alex"
    assert world.profile().needs_sync
    assert world.config(platform_id).name == "Savannah"

    world.platform.failing = False
    assert await world.sync.retry_pending() == {
        "synced": 1,
        "pending": 0,
        "not-provisioned": 0,
    }
    assert world.config(platform_id).name == "Alex"
    assert not world.profile().needs_sync


async def test_before_onboarding_a_change_is_stored_with_nothing_to_push(
    world: World,
) -> None:
    saved = await world.settings.rename(world.organization(), "Alex")
    assert saved.sync is SyncStatus.NOT_PROVISIONED
    assert world.platform.calls == []
    assert world.profile().assistant_name == "Alex"


async def test_setting_the_same_name_twice_stores_one_revision(world: World) -> None:
    org = world.organization()
    await world.settings.rename(org, "Alex")
    first = world.profile()
    await world.settings.rename(org, "Alex")
    assert world.profile() == first


# ------------------------------------------------------------ greeting


async def test_the_greeting_defaults_to_speaking_first_with_the_business_name(
    world: World,
) -> None:
    greeting = await world.settings.greeting(world.organization())
    assert greeting.mode is FirstMessageMode.SPEAKS_FIRST
    assert greeting.first_message == (
        "Hi! Thanks for calling Acme Dental. This is Savannah. "
        "How can I help you today?"
    )


async def test_the_spec_example_greeting_is_stored_and_spoken(world: World) -> None:
    org = world.organization(tier=Tier.FREE)
    platform_id = await world.live(org)
    await world.settings.set_greeting(
        org, "assistant-speaks-first", "Welcome! How can I help?"
    )
    assert world.config(platform_id).first_message == "Welcome! How can I help?"


async def test_waiting_for_the_caller_sends_no_first_message_but_keeps_it(
    world: World,
) -> None:
    org = world.organization()
    platform_id = await world.live(org)
    await world.settings.set_greeting(org, "assistant-waits-for-user", None)
    config = world.config(platform_id)
    assert config.first_message_mode is FirstMessageMode.WAITS_FOR_USER
    assert config.first_message is None
    assert world.profile().greeting.first_message is not None


@pytest.mark.parametrize(
    ("mode", "message", "field"),
    [
        ("assistant-speaks-last", None, "mode"),
        ("assistant-speaks-first", "   ", "firstMessage"),
    ],
)
async def test_an_unknown_mode_or_a_missing_message_is_refused(
    world: World, mode: str, message: str | None, field: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        await world.settings.set_greeting(world.organization(), mode, message)
    assert caught.value.field == field


# ------------------------------------------------------------ voice


async def test_the_voice_view_shows_the_default_and_edit_rights_from_advanced(
    world: World,
) -> None:
    view = await world.settings.voice(world.organization(tier=Tier.STARTER))
    assert (view.provider, view.voice_id, view.voice_name, view.can_edit) == (
        "elevenlabs",
        DEFAULT_VOICE.voice_id,
        "Savannah",
        False,
    )
    assert (
        await world.settings.voice(world.organization("o2", Tier.ADVANCED))
    ).can_edit


async def test_changing_the_voice_needs_advanced(world: World) -> None:
    with pytest.raises(PlanRequired):
        await world.settings.set_voice(
            world.organization(tier=Tier.STARTER), "voice_marcus", None
        )


async def test_a_voice_takes_its_name_from_the_catalog_and_reaches_the_platform(
    world: World,
) -> None:
    org = world.organization()
    platform_id = await world.live(org)
    await world.settings.set_voice(org, "voice_marcus", None)
    assert world.profile().voice.voice_name == "Marcus"
    assert world.config(platform_id).voice_id == "voice_marcus"
    assert "persona" in _sections(world.profile().system_prompt)


async def test_a_voice_the_catalog_does_not_list_is_refused(world: World) -> None:
    with pytest.raises(ValidationFailed) as caught:
        await world.settings.set_voice(world.organization(), "voice_nobody", None)
    assert caught.value.field == "voiceId"


async def test_an_unreachable_catalog_does_not_block_a_voice_change(
    world: World,
) -> None:
    world.catalog.failing = True
    await world.settings.set_voice(world.organization(), "voice_new", "New")
    assert world.profile().voice.voice_id == "voice_new"


async def test_the_catalog_lists_the_providers_voices_or_says_it_is_down(
    world: World,
) -> None:
    assert [v.name for v in await world.settings.catalog()] == ["Savannah", "Marcus"]
    world.catalog.failing = True
    with pytest.raises(ProviderUnavailable) as caught:
        await world.settings.catalog()
    assert caught.value.provider == "voice catalog"


# ------------------------------------------------------------ prompt


@pytest.mark.parametrize(
    ("tier", "can_edit"), [(Tier.STARTER, False), (Tier.ADVANCED, True)]
)
async def test_the_prompt_view_shows_the_built_prompt(
    world: World, tier: Tier, can_edit: bool
) -> None:
    view = await world.prompt.get(world.organization(tier=tier))
    assert view.can_edit is can_edit
    assert view.assistant_name == "Savannah"
    assert view.vapi_assistant_id is None
    assert set(_sections(view.system_prompt)) == {"persona", "context", "handling"}


async def test_overwriting_keeps_the_inline_transfer_tool(world: World) -> None:
    org = world.organization()
    await world.business.set_transfer_number(org, "(555) 987-6543")
    transfer = _sections(world.profile().system_prompt)["transfer"]
    await world.prompt.overwrite(org, "You are a friendly AI receptionist...")
    prompt = world.profile().system_prompt
    assert prompt.startswith("You are a friendly AI receptionist...")
    assert _sections(prompt) == {"transfer": transfer}


async def test_overwriting_needs_advanced_and_some_text(world: World) -> None:
    with pytest.raises(PlanRequired):
        await world.prompt.overwrite(world.organization(tier=Tier.STARTER), "Hi")
    with pytest.raises(ValidationFailed) as caught:
        await world.prompt.overwrite(world.organization("o2"), "  \n ")
    assert caught.value.field == "systemPrompt"


async def test_regenerating_defaults_to_persona_and_context_from_business_data(
    world: World,
) -> None:
    org = world.organization()
    await world.business.set_info(org, "dental_office", "Family dental practice")
    result = await world.prompt.regenerate(org)
    assert result.regenerated == ("persona", "context")
    sections = _sections(world.profile().system_prompt)
    assert sections["context"].startswith("Written from:\n")
    assert "Business type: dental_office" in sections["context"]
    assert "Description: Family dental practice" in sections["persona"]
    assert len(world.model.requests) == 2


async def test_regenerating_one_section_leaves_the_other(world: World) -> None:
    org = world.organization()
    before = _sections((await world.prompt.get(org)).system_prompt)
    result = await world.prompt.regenerate(org, ["context"])
    after = _sections(world.profile().system_prompt)
    assert result.regenerated == ("context",)
    assert after["persona"] == before["persona"]
    assert after["context"] != before["context"]


@pytest.mark.parametrize("sections", [["hours"], ["persona", "free-text"]])
async def test_only_persona_and_context_can_be_regenerated(
    world: World, sections: list[str]
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        await world.prompt.regenerate(world.organization(), sections)
    assert caught.value.field == "sections"


@pytest.mark.parametrize("answer", ["", "   ", "x" * 4001])
async def test_an_unusable_model_answer_changes_nothing(
    world: World, answer: str
) -> None:
    world.model.answer = answer
    with pytest.raises(ProviderUnavailable):
        await world.prompt.regenerate(world.organization())
    assert world.db.tables.receptionists == {}


async def test_a_failing_model_changes_nothing(world: World) -> None:
    world.model.failing = True
    with pytest.raises(ProviderUnavailable):
        await world.prompt.regenerate(world.organization())
    assert world.db.tables.receptionists == {}


async def test_other_use_cases_can_write_and_remove_one_section(world: World) -> None:
    org = world.organization(tier=Tier.FREE)
    await world.prompt.set_section(org, "calendar-tools", "Book with the tool.")
    assert _sections(world.profile().system_prompt)["calendar-tools"] == (
        "Book with the tool."
    )
    await world.prompt.set_section(org, "calendar-tools", None)
    assert "calendar-tools" not in _sections(world.profile().system_prompt)


# ------------------------------------------------------------ transfer number


async def test_the_spec_transfer_number_is_normalised_and_wired_in(
    world: World,
) -> None:
    org = world.organization(tier=Tier.ADVANCED)
    platform_id = await world.live(org)
    saved = await world.business.set_transfer_number(org, "+15559876543")
    assert saved.profile.transfer_number == "+15559876543"
    sections = _sections(world.profile().system_prompt)
    assert "+15559876543" in sections["transfer"]
    assert "transfer the call" in sections["handling"]
    assert world.config(platform_id).transfer_number == "+15559876543"
    view = await world.business.transfer_number(org)
    assert (view.transfer_number, view.can_edit) == ("+15559876543", True)


@pytest.mark.parametrize("cleared", [None, "", "  "])
async def test_omitting_the_transfer_number_clears_tool_and_instructions(
    world: World, cleared: str | None
) -> None:
    org = world.organization()
    await world.business.set_transfer_number(org, "+15559876543")
    await world.business.set_transfer_number(org, cleared)
    profile = world.profile()
    sections = _sections(profile.system_prompt)
    assert profile.transfer_number is None
    assert "transfer" not in sections
    assert "take a message" in sections["handling"]


async def test_the_transfer_number_needs_advanced_and_a_real_number(
    world: World,
) -> None:
    org = world.organization(tier=Tier.STARTER)
    assert not (await world.business.transfer_number(org)).can_edit
    with pytest.raises(PlanRequired):
        await world.business.set_transfer_number(org, "+15559876543")
    with pytest.raises(ValidationFailed) as caught:
        await world.business.set_transfer_number(
            world.organization("o2"), "1-800-FLOWERS"
        )
    assert caught.value.field == "transferNumber"


# ------------------------------------------------------------ consistency


async def test_each_change_rewrites_only_its_own_sections(world: World) -> None:
    org = world.organization()
    await world.prompt.overwrite(org, "Owner intro\n\nOwner rules")
    await world.business.set_address(org, "123 Main St\nSuite 100")
    before = _sections(world.profile().system_prompt)
    await world.business.set_hours(
        org, {"monday": {"open": "09:00", "close": "17:00"}}, "America/Los_Angeles"
    )
    after = _sections(world.profile().system_prompt)
    changed = {k for k in after if before.get(k) != after[k]}
    assert changed == {"hours"}
    assert world.profile().system_prompt.startswith("Owner intro\n\nOwner rules")
    expected = expected_sections(world.profile())
    assert after["address"] == expected["address"]
    assert after["hours"] == expected["hours"]
