"""The assistant's name, greeting and voice (GET/PUT /api/assistant-name,
/api/first-message-mode, /api/voice; GET /api/voice/catalog)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from epoch_domain.accounts import Organization
from epoch_domain.assistant_settings import (
    DEFAULT_ASSISTANT_NAME,
    GreetingSettings,
    VoiceChoice,
    apply_persona,
    change_greeting,
    check_assistant_name,
    check_voice,
    rename_greeting,
)
from epoch_domain.errors import ProviderUnavailable, ValidationFailed
from epoch_domain.plans import FEATURE_GATES, Feature, Tier, require_tier
from epoch_domain.receptionist import VOICE_PROVIDER, ReceptionistProfile
from epoch_domain.receptionist_ports import VoiceCatalog, VoiceOption
from epoch_domain.usecases.receptionist_sync import ReceptionistSync, Saved


def can(tier: Tier, feature: Feature) -> bool:
    return tier >= FEATURE_GATES[feature]


def gate(org: Organization, feature: Feature) -> None:
    require_tier(org.tier, FEATURE_GATES[feature])


@dataclass(frozen=True, slots=True)
class AssistantNameView:
    name: str
    default_name: str
    can_edit: bool


@dataclass(frozen=True, slots=True)
class VoiceView:
    provider: str
    voice_id: str
    voice_name: str | None
    can_edit: bool


def renamed(profile: ReceptionistProfile, name: str) -> ReceptionistProfile:
    """The profile with its assistant called `name` in greeting and persona."""
    return replace(
        profile,
        assistant_name=name,
        greeting=rename_greeting(profile.greeting, profile.name, name),
        system_prompt=apply_persona(profile.system_prompt, name, profile.business_name),
    )


def with_voice(profile: ReceptionistProfile, voice: VoiceChoice) -> ReceptionistProfile:
    return replace(
        profile,
        voice=voice,
        system_prompt=apply_persona(
            profile.system_prompt, profile.name, profile.business_name
        ),
    )


class AssistantSettings:
    def __init__(self, sync: ReceptionistSync, catalog: VoiceCatalog) -> None:
        self._sync = sync
        self._catalog = catalog

    async def name(self, org: Organization) -> AssistantNameView:
        profile = await self._sync.read(org)
        return AssistantNameView(
            profile.name, DEFAULT_ASSISTANT_NAME, can(org.tier, Feature.ASSISTANT_NAME)
        )

    async def rename(self, org: Organization, raw_name: str) -> Saved:
        gate(org, Feature.ASSISTANT_NAME)
        name = check_assistant_name(raw_name)
        return await self._sync.change(org, lambda p: renamed(p, name))

    async def greeting(self, org: Organization) -> GreetingSettings:
        return (await self._sync.read(org)).greeting

    async def set_greeting(
        self, org: Organization, mode: str, first_message: str | None
    ) -> Saved:
        def edit(profile: ReceptionistProfile) -> ReceptionistProfile:
            greeting = change_greeting(profile.greeting, mode, first_message)
            return replace(profile, greeting=greeting)

        return await self._sync.change(org, edit)

    async def voice(self, org: Organization) -> VoiceView:
        voice = (await self._sync.read(org)).voice
        return VoiceView(
            VOICE_PROVIDER,
            voice.voice_id,
            voice.voice_name,
            can(org.tier, Feature.VOICE_EDIT),
        )

    async def catalog(self) -> Sequence[VoiceOption]:
        return await self._catalog.voices()

    async def set_voice(
        self, org: Organization, voice_id: str, voice_name: str | None
    ) -> Saved:
        """Change the voice. A catalog that answers must list the voice (and
        names it when the caller did not); an unreachable catalog is not a
        reason to refuse the change."""
        gate(org, Feature.VOICE_EDIT)
        choice = check_voice(voice_id, voice_name)
        choice = await self._checked_against_catalog(choice)
        return await self._sync.change(org, lambda p: with_voice(p, choice))

    async def _checked_against_catalog(self, choice: VoiceChoice) -> VoiceChoice:
        try:
            voices = await self._catalog.voices()
        except ProviderUnavailable:
            return choice
        listed = next((v for v in voices if v.id == choice.voice_id), None)
        if listed is None:
            raise ValidationFailed("voiceId", "is not a voice of the catalog")
        return VoiceChoice(choice.voice_id, choice.voice_name or listed.name)
