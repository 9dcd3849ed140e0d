"""Onboarding over the fakes: saving step by step, completing once, the
provisioning pipeline collecting its errors, and the website analysis."""

from __future__ import annotations

import pytest

from epoch_domain import prompt_sections
from epoch_domain.assistant_settings import FirstMessageMode
from epoch_domain.errors import (
    OnboardingAlreadyCompleted,
    PlanRequired,
    ProviderUnavailable,
    ValidationFailed,
)
from epoch_domain.hours import WEEKDAYS
from epoch_domain.plans import Tier
from epoch_domain.receptionist import expected_sections
from epoch_domain.receptionist_ports import ExtractedBusiness, WebPage
from epoch_domain.usecases.onboarding import Onboarding
from epoch_domain.usecases.phone_numbers import PhoneNumbers
from tests.fakes import FakeNumberImporter, FakeSecrets, FakeTelephony
from tests.unit.receptionist_world import NOW, World

pytestmark = pytest.mark.anyio

SPEC_DATA: dict[str, object] = {
    "businessName": "Acme Corp",
    "businessType": "dental_office",
    "websiteUrl": "https://acmedental.com",
    "voiceId": "pNInz6obpgDQGcFmaJgB",
}


@pytest.fixture
def world() -> World:
    return World()


async def test_a_fresh_organization_has_not_onboarded(world: World) -> None:
    view = await world.onboarding.status(world.organization())
    assert (view.completed, view.completed_at, view.data, view.phone_number) == (
        False,
        None,
        {},
        None,
    )
    assert view.organization_name == "Acme Dental"


async def test_saving_merges_steps_and_normalises_known_fields(world: World) -> None:
    org = world.organization(tier=Tier.FREE)
    result = await world.onboarding.save(org, {"businessName": " Acme Corp "})
    assert not result.completed
    await world.onboarding.save(org, {"websiteUrl": "acmedental.com", "wizardStep": 3})
    view = await world.onboarding.status(org)
    assert view.data == {
        "businessName": "Acme Corp",
        "websiteUrl": "https://acmedental.com/",
        "wizardStep": 3,
    }
    assert world.platform.calls == []


async def test_the_spec_example_completes_and_provisions(world: World) -> None:
    org = world.organization(tier=Tier.FREE)
    result = await world.onboarding.save(org, SPEC_DATA, complete=True)
    assert result.completed
    assert result.provisioning_errors == ()
    assert result.phone_number == "+14155550001"

    profile = world.profile()
    assert profile.onboarding.completed_at == NOW
    assert profile.business_name == "Acme Corp"
    assert profile.info.website_url == "https://acmedental.com/"
    (platform_id,) = world.platform.assistants
    assert profile.vapi_assistant_id == platform_id
    assert not profile.needs_sync
    config = world.config(platform_id)
    assert config.system_prompt == profile.system_prompt
    assert config.first_message == (
        "Hi! Thanks for calling Acme Corp. This is Savannah. How can I help you today?"
    )
    (assistant,) = world.db.tables.assistants.values()
    assert (assistant.id, assistant.vapi_assistant_id) == (
        profile.assistant_id,
        platform_id,
    )
    view = await world.onboarding.status(org)
    assert (view.completed, view.phone_number) == (True, "+14155550001")


async def test_completion_writes_every_section_from_the_data(world: World) -> None:
    org = world.organization()
    data = {
        **SPEC_DATA,
        "businessHours": {"monday": {"open": "09:00", "close": "17:00"}},
        "timezone": "America/Los_Angeles",
        "businessAddress": "123 Main St",
        "transferNumber": "(415) 555-2671",
        "assistantName": "Alex",
        "firstMessage": "Welcome to Acme!",
    }
    await world.onboarding.save(org, data, complete=True)
    profile = world.profile()
    sections = prompt_sections.parse(profile.system_prompt).sections
    expected = expected_sections(profile)
    assert sections == {k: v for k, v in expected.items() if v is not None}
    assert set(sections) == {
        "persona",
        "context",
        "hours",
        "address",
        "handling",
        "transfer",
    }
    assert profile.greeting.mode is FirstMessageMode.SPEAKS_FIRST
    assert profile.greeting.first_message == "Welcome to Acme!"
    assert world.numbers.requests == [("o1", "415")]


async def test_a_second_completion_is_refused(world: World) -> None:
    org = world.organization()
    await world.onboarding.save(org, SPEC_DATA, complete=True)
    with pytest.raises(OnboardingAlreadyCompleted) as caught:
        await world.onboarding.save(org, {"businessName": "Other"})
    assert isinstance(caught.value, ValidationFailed)
    assert world.profile().business_name == "Acme Corp"


async def test_completing_needs_a_business_name(world: World) -> None:
    org = world.organization()
    with pytest.raises(ValidationFailed) as caught:
        await world.onboarding.save(org, {"businessType": "bakery"}, complete=True)
    assert caught.value.field == "onboardingData.businessName"
    assert world.db.tables.receptionists == {}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"websiteUrl": "ftp://x.com"}, "onboardingData.websiteUrl"),
        ({"transferNumber": "12"}, "onboardingData.transferNumber"),
        ({"businessName": 7}, "onboardingData.businessName"),
        ({"timezone": "Mars/Olympus"}, "onboardingData.timezone"),
        ({"areaCode": "041"}, "onboardingData.areaCode"),
        ({"businessHours": {"funday": {}}}, "businessHours.funday"),
    ],
)
async def test_bad_onboarding_data_is_refused_naming_the_field(
    world: World, data: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        await world.onboarding.save(world.organization(), data)
    assert caught.value.field == field


async def test_gated_choices_keep_their_plan_gates(world: World) -> None:
    org = world.organization(tier=Tier.STARTER)
    with pytest.raises(PlanRequired):
        await world.onboarding.save(org, {"assistantName": "Alex"})
    with pytest.raises(PlanRequired):
        await world.onboarding.save(org, {"transferNumber": "+15559876543"})
    await world.onboarding.save(org, {"voiceId": "voice_marcus"})


async def test_a_failing_platform_completes_with_an_assistant_error(
    world: World,
) -> None:
    org = world.organization()
    world.platform.failing = True
    result = await world.onboarding.save(org, SPEC_DATA, complete=True)
    assert result.completed
    assert result.phone_number is None
    assert [e.step for e in result.provisioning_errors] == ["assistant"]
    assert world.profile().onboarding.completed
    assert world.numbers.requests == []


async def test_a_failing_number_purchase_keeps_the_assistant(world: World) -> None:
    org = world.organization()
    world.numbers.failing = True
    result = await world.onboarding.save(org, SPEC_DATA, complete=True)
    assert [(e.step, e.message) for e in result.provisioning_errors] == [
        ("phone-number", "The telephony provider is unavailable: no number available")
    ]
    assert world.profile().vapi_assistant_id is not None
    assert len(world.db.tables.assistants) == 1


# ------------------------------------------------------------ analysis


async def test_analysis_reports_checked_data_pages_and_warnings(world: World) -> None:
    org = world.organization()
    world.fetcher.pages = [
        WebPage("https://acmedental.com/", "Acme Dental ..."),
        WebPage("https://acmedental.com/about", "About ..."),
        WebPage("https://acmedental.com/contact", "Contact ..."),
    ]
    world.fetcher.warnings = ["https://acmedental.com/team: 404"]
    world.model.extracted = ExtractedBusiness(
        business_name="Acme Dental",
        business_type="dental_office",
        description="Family dental practice...",
        hours={"monday": {"open": "09:00", "close": "17:00"}},
        timezone="Nowhere/Special",
        address="123 Main St...",
    )
    analysis = await world.onboarding.analyze(org, "acmedental.com")
    assert world.fetcher.fetched == [("https://acmedental.com/", 5)]
    assert analysis.business_name == "Acme Dental"
    assert analysis.pages_scraped == 3
    assert analysis.extracted_data["hours"] == {
        "monday": {"open": "09:00", "close": "17:00", "closed": False},
        **{day: {"closed": True} for day in WEEKDAYS[1:]},
    }
    assert "timezone" not in analysis.extracted_data
    assert analysis.scrape_warnings == (
        "https://acmedental.com/team: 404",
        "The time zone found on the website could not be used",
    )


async def test_a_site_with_no_readable_page_is_a_bad_url(world: World) -> None:
    world.fetcher.warnings = ["https://nowhere.example: connection refused"]
    with pytest.raises(ValidationFailed) as caught:
        await world.onboarding.analyze(world.organization(), "nowhere.example")
    assert caught.value.field == "url"
    assert "connection refused" in caught.value.problem


async def test_analysis_is_only_for_onboarding(world: World) -> None:
    org = world.organization()
    await world.onboarding.save(org, SPEC_DATA, complete=True)
    with pytest.raises(OnboardingAlreadyCompleted):
        await world.onboarding.analyze(org, "https://acmedental.com")


async def test_a_failing_model_surfaces_as_provider_unavailable(world: World) -> None:
    world.fetcher.pages = [WebPage("https://a.com/", "A")]
    world.model.failing = True
    with pytest.raises(ProviderUnavailable) as caught:
        await world.onboarding.analyze(world.organization(), "https://a.com")
    assert caught.value.provider == "language model"


# ------------------------------------------------------------ with phone numbers


def _with_phone_numbers(world: World) -> tuple[FakeTelephony, FakeNumberImporter]:
    """Onboarding driving the real phone-numbers use case over its fakes."""
    telephony, importer = FakeTelephony(), FakeNumberImporter()
    world.onboarding = Onboarding(
        world.uow,
        world.clock,
        FakeSecrets(),
        world.platform,
        PhoneNumbers(world.uow, telephony, importer),
        world.fetcher,
        world.model,
    )
    return telephony, importer


async def test_the_pipeline_buys_and_imports_a_number_for_the_new_assistant(
    world: World,
) -> None:
    telephony, importer = _with_phone_numbers(world)
    org = world.organization()
    data = {**SPEC_DATA, "areaCode": "212"}
    result = await world.onboarding.save(org, data, complete=True)
    assert result.provisioning_errors == ()
    assert result.phone_number == "+12125552001"
    (platform_id,) = world.platform.assistants
    assert [(n.phone_number, a) for n, a in importer.imported] == [
        ("+12125552001", platform_id)
    ]
    assert (await world.onboarding.status(org)).phone_number == "+12125552001"
    assert len(telephony.bought) == 1


async def test_a_number_that_failed_at_onboarding_can_be_provisioned_later(
    world: World,
) -> None:
    telephony, importer = _with_phone_numbers(world)
    org = world.organization()
    telephony.down = True
    result = await world.onboarding.save(org, SPEC_DATA, complete=True)
    assert [e.step for e in result.provisioning_errors] == ["phone-number"]
    telephony.down = False
    later = await PhoneNumbers(world.uow, telephony, importer).provision(org, None)
    assert later.phone_number == (await world.onboarding.status(org)).phone_number
    assert later.complete


async def test_settings_made_before_completing_survive_unless_the_data_says_otherwise(
    world: World,
) -> None:
    org = world.organization()
    await world.business.set_transfer_number(org, "+15559876543")
    await world.business.set_address(org, "1 Old Road")
    await world.settings.set_greeting(
        org, "assistant-speaks-first", "Hello, Savannah here"
    )
    data = {**SPEC_DATA, "assistantName": "Alex", "businessAddress": ""}
    await world.onboarding.save(org, data, complete=True)
    profile = world.profile()
    assert profile.transfer_number == "+15559876543"
    assert profile.address is None
    assert profile.greeting.first_message == "Hello, Alex here"
    sections = prompt_sections.parse(profile.system_prompt).sections
    assert "+15559876543" in sections["transfer"]
    assert "address" not in sections


async def test_knowledge_written_before_completing_reaches_the_new_assistant(
    world: World,
) -> None:
    org = world.organization()
    await world.kb.put(org, "faqs", text="Q: Parking?\nA: Behind the building.")
    await world.onboarding.save(org, SPEC_DATA, complete=True)
    (platform_id,) = world.platform.assistants
    (section,) = world.db.tables.kb_sections.values()
    assert section.file_id is not None
    assert world.config(platform_id).knowledge_file_ids == (section.file_id,)
    assert not world.profile().needs_sync
