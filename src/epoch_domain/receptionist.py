"""The receptionist profile of an organization: everything its assistant says
and knows, and the configuration the voice platform receives from it.

* One profile per organization. Before the owner saves anything it is
  `new_profile(...)`: the default name, greeting and voice, and a prompt built
  from them.
* Every stored change increments `revision`. The voice platform holds the
  profile's `synced_revision`; a profile with `synced_revision < revision`
  still has a change to push, which a later push retries.
* `expected_sections` is what each system-managed prompt section holds for a
  profile and its knowledge base (None for a section that must be absent).
  Every settings change rewrites exactly the sections it affects, so after any
  sequence of them the prompt agrees with it (persona and context may instead
  hold text the language model wrote, or the owner's own edit).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from epoch_domain import business, hours, prompt_sections
from epoch_domain.assistant_settings import (
    FirstMessageMode,
    GreetingSettings,
    VoiceChoice,
    default_greeting,
    effective_name,
    persona_text,
)
from epoch_domain.business import BusinessInfo
from epoch_domain.hours import BusinessHours
from epoch_domain.knowledge_base import KnowledgeSection, kb_prompt_text, section_labels

VOICE_PROVIDER = "elevenlabs"
DEFAULT_VOICE = VoiceChoice("pNInz6obpgDQGcFmaJgB", "Savannah")
DEFAULT_TIMEZONE = "America/New_York"


@dataclass(frozen=True, slots=True)
class OnboardingState:
    completed_at: datetime | None = None
    data: Mapping[str, object] = field(default_factory=dict)

    @property
    def completed(self) -> bool:
        return self.completed_at is not None


@dataclass(frozen=True, slots=True)
class ReceptionistProfile:
    organization_id: str
    business_name: str | None
    system_prompt: str
    info: BusinessInfo = field(default_factory=BusinessInfo)
    business_hours: BusinessHours | None = None
    timezone: str = DEFAULT_TIMEZONE
    address: str | None = None
    assistant_name: str | None = None
    greeting: GreetingSettings = field(default_factory=default_greeting)
    voice: VoiceChoice = DEFAULT_VOICE
    transfer_number: str | None = None
    onboarding: OnboardingState = field(default_factory=OnboardingState)
    assistant_id: str | None = None  # our Assistant row
    vapi_assistant_id: str | None = None  # the assistant on the voice platform
    revision: int = 0
    synced_revision: int = 0

    @property
    def name(self) -> str:
        return effective_name(self.assistant_name)

    @property
    def needs_sync(self) -> bool:
        return self.synced_revision < self.revision


def expected_sections(
    profile: ReceptionistProfile, kb: Sequence[KnowledgeSection] = ()
) -> dict[str, str | None]:
    """Each system-managed section's body for `profile` (None: absent)."""
    labels = section_labels(kb)
    return {
        prompt_sections.PERSONA: persona_text(profile.name, profile.business_name),
        prompt_sections.CONTEXT: business.context_text(
            profile.business_name, profile.info
        ),
        prompt_sections.HOURS: (
            hours.hours_text(profile.business_hours, profile.timezone)
            if profile.business_hours is not None
            else None
        ),
        prompt_sections.ADDRESS: (
            business.address_text(profile.address) if profile.address else None
        ),
        prompt_sections.HANDLING: business.handling_text(profile.transfer_number),
        prompt_sections.TRANSFER: (
            business.transfer_text(profile.transfer_number)
            if profile.transfer_number
            else None
        ),
        prompt_sections.KNOWLEDGE_BASE: kb_prompt_text(labels) if labels else None,
    }


def build_receptionist_prompt(
    profile: ReceptionistProfile, kb: Sequence[KnowledgeSection] = ()
) -> str:
    """A fresh prompt with every section the profile calls for."""
    present = {k: v for k, v in expected_sections(profile, kb).items() if v is not None}
    return prompt_sections.build_prompt(present)


def refresh_sections(
    profile: ReceptionistProfile, kb: Sequence[KnowledgeSection] = ()
) -> str:
    """The profile's prompt with every system-managed section rewritten (or
    removed) to agree with the profile; the owner's text stays."""
    prompt = profile.system_prompt
    for key, body in expected_sections(profile, kb).items():
        if body is None:
            prompt = prompt_sections.remove_section(prompt, key)
        else:
            prompt = prompt_sections.update_section(prompt, key, body)
    return prompt


def new_profile(organization_id: str, business_name: str | None) -> ReceptionistProfile:
    blank = ReceptionistProfile(
        organization_id,
        business_name,
        system_prompt="",
        greeting=default_greeting(business_name=business_name),
    )
    return replace(blank, system_prompt=build_receptionist_prompt(blank))


@dataclass(frozen=True, slots=True)
class AssistantConfig:
    """What the voice platform's assistant is set to."""

    name: str
    system_prompt: str
    first_message_mode: FirstMessageMode
    first_message: str | None
    voice_provider: str
    voice_id: str
    transfer_number: str | None
    knowledge_file_ids: tuple[str, ...]
    organization_id: str


def assistant_config(
    profile: ReceptionistProfile, kb: Sequence[KnowledgeSection] = ()
) -> AssistantConfig:
    return AssistantConfig(
        name=profile.name,
        system_prompt=profile.system_prompt,
        first_message_mode=profile.greeting.mode,
        first_message=profile.greeting.spoken_first_message,
        voice_provider=VOICE_PROVIDER,
        voice_id=profile.voice.voice_id,
        transfer_number=profile.transfer_number,
        knowledge_file_ids=tuple(s.file_id for s in kb if s.file_id is not None),
        organization_id=profile.organization_id,
    )
