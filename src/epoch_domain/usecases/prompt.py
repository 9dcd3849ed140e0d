"""The system prompt (GET/PUT /api/prompt, POST /api/prompt/regenerate), and
one-section updates for other use cases (the calendar's tools)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from epoch_domain import prompt_sections
from epoch_domain.accounts import Organization
from epoch_domain.plans import Feature
from epoch_domain.prompt_writing import (
    MAX_GENERATED,
    business_facts,
    check_generated,
    instructions_for,
    sections_to_regenerate,
)
from epoch_domain.receptionist import ReceptionistProfile
from epoch_domain.receptionist_ports import LanguageModel
from epoch_domain.usecases.receptionist import can, gate
from epoch_domain.usecases.receptionist_sync import ReceptionistSync, Saved


@dataclass(frozen=True, slots=True)
class PromptView:
    system_prompt: str
    assistant_name: str
    vapi_assistant_id: str | None
    can_edit: bool


@dataclass(frozen=True, slots=True)
class Regenerated:
    saved: Saved
    regenerated: tuple[str, ...]


class SystemPrompt:
    def __init__(self, sync: ReceptionistSync, model: LanguageModel) -> None:
        self._sync = sync
        self._model = model

    async def get(self, org: Organization) -> PromptView:
        profile = await self._sync.read(org)
        return PromptView(
            profile.system_prompt,
            profile.name,
            profile.vapi_assistant_id,
            can(org.tier, Feature.PROMPT_EDIT),
        )

    async def overwrite(self, org: Organization, text: str) -> Saved:
        """Replace the whole prompt; the inline tool sections survive."""
        gate(org, Feature.PROMPT_EDIT)
        prompt_sections.check_prompt_text(text)

        def edit(profile: ReceptionistProfile) -> ReceptionistProfile:
            new_prompt = prompt_sections.overwrite(profile.system_prompt, text)
            return replace(profile, system_prompt=new_prompt)

        return await self._sync.change(org, edit)

    async def regenerate(
        self, org: Organization, sections: Sequence[str] | None = None
    ) -> Regenerated:
        """Have the language model rewrite sections from the business data.
        Nothing is stored unless every requested section was written."""
        gate(org, Feature.PROMPT_EDIT)
        keys = sections_to_regenerate(sections)
        facts = business_facts(await self._sync.read(org))
        bodies = {key: await self._write(key, facts) for key in keys}

        def edit(profile: ReceptionistProfile) -> ReceptionistProfile:
            prompt = profile.system_prompt
            for key, body in bodies.items():
                prompt = prompt_sections.update_section(prompt, key, body)
            return replace(profile, system_prompt=prompt)

        return Regenerated(await self._sync.change(org, edit), tuple(keys))

    async def _write(self, key: str, facts: str) -> str:
        text = await self._model.complete(instructions_for(key), facts, MAX_GENERATED)
        return check_generated(text)

    async def set_section(self, org: Organization, key: str, body: str | None) -> Saved:
        """Write (or with None remove) one section of the stored prompt, as
        the calendar does with its tools section; no plan gate of its own."""
        prompt_sections.check_section_key(key)

        def edit(profile: ReceptionistProfile) -> ReceptionistProfile:
            prompt = profile.system_prompt
            prompt = (
                prompt_sections.remove_section(prompt, key)
                if body is None
                else prompt_sections.update_section(prompt, key, body)
            )
            return replace(profile, system_prompt=prompt)

        return await self._sync.change(org, edit)
