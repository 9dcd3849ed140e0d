"""Storing a profile change, then pushing it to the voice platform.

A change is committed first, with the profile's revision incremented, so a
failing platform never loses it. The push that follows uploads knowledge
files still waiting for one, sets the platform's assistant to the profile,
deletes files no section uses any more, and records the revision pushed. When
the platform fails the change stays recorded as not synced (`needs_sync`) and
`retry_pending` pushes it later.

Known limit: two pushes for one organization racing each other may leave the
older configuration on the platform while the newer revision is recorded as
synced; the next change corrects it.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from epoch_domain.accounts import Organization
from epoch_domain.errors import ProviderUnavailable
from epoch_domain.knowledge_base import KnowledgeSection, markdown_file
from epoch_domain.ports import UnitOfWork, UnitOfWorkFactory
from epoch_domain.receptionist import (
    ReceptionistProfile,
    assistant_config,
    new_profile,
)
from epoch_domain.receptionist_ports import VoicePlatform

MARKDOWN = "text/markdown"


class SyncStatus(enum.StrEnum):
    SYNCED = "synced"
    PENDING = "pending"  # stored; the platform failed, a later push retries
    NOT_PROVISIONED = "not-provisioned"  # no assistant on the platform yet


@dataclass(frozen=True, slots=True)
class Saved:
    profile: ReceptionistProfile
    sync: SyncStatus

    @property
    def synced(self) -> bool:
        return self.sync is SyncStatus.SYNCED


async def load_profile(
    uow: UnitOfWork, org: Organization, lock: bool = False
) -> ReceptionistProfile:
    stored = await uow.receptionists.get(org.id, lock=lock)
    if stored is None and lock:
        # No profile row to hold yet: the organization's row serialises the
        # first writes, then look again.
        await uow.organizations.lock(org.id)
        stored = await uow.receptionists.get(org.id, lock=True)
    return stored if stored is not None else new_profile(org.id, org.name)


async def store(
    uow: UnitOfWork,
    current: ReceptionistProfile,
    updated: ReceptionistProfile,
    force: bool = False,
) -> ReceptionistProfile:
    """Save `updated` as the next revision (unless nothing changed)."""
    if updated == current and not force:
        return current
    saved = replace(updated, revision=current.revision + 1)
    await uow.receptionists.save(saved)
    return saved


Edit = Callable[[ReceptionistProfile], ReceptionistProfile]


class ReceptionistSync:
    def __init__(self, uow: UnitOfWorkFactory, platform: VoicePlatform) -> None:
        self._uow = uow
        self._platform = platform

    async def read(self, org: Organization) -> ReceptionistProfile:
        async with self._uow() as uow:
            return await load_profile(uow, org)

    async def change(self, org: Organization, edit: Edit) -> Saved:
        """Apply `edit` to the locked profile, commit, then push."""
        async with self._uow() as uow:
            current = await load_profile(uow, org, lock=True)
            saved = await store(uow, current, edit(current))
            await uow.commit()
        return Saved(saved, await self.push(org.id))

    async def push(self, org_id: str) -> SyncStatus:
        async with self._uow() as uow:
            profile = await uow.receptionists.get(org_id)
            sections = await uow.knowledge_base.sections(org_id)
        if profile is None or profile.vapi_assistant_id is None:
            return SyncStatus.NOT_PROVISIONED
        try:
            sections = await self._upload_pending(org_id, sections)
            if profile.needs_sync:
                config = assistant_config(profile, sections)
                await self._platform.update_assistant(profile.vapi_assistant_id, config)
            await self._delete_retired(org_id)
        except ProviderUnavailable:
            return SyncStatus.PENDING
        if any(s.file_id is None for s in sections):
            return SyncStatus.PENDING
        async with self._uow() as uow:
            await uow.receptionists.mark_synced(org_id, profile.revision)
            await uow.commit()
        return SyncStatus.SYNCED

    async def _upload_pending(
        self, org_id: str, sections: Sequence[KnowledgeSection]
    ) -> list[KnowledgeSection]:
        result: list[KnowledgeSection] = []
        for section in sections:
            if section.file_id is None:
                section = await self._upload(section)
            result.append(section)
        return result

    async def _upload(self, section: KnowledgeSection) -> KnowledgeSection:
        content = markdown_file(section.key, section.text)
        file = await self._platform.upload_knowledge_file(
            section.file_name, content, MARKDOWN
        )
        org_id = section.organization_id
        async with self._uow() as uow:
            kept = await uow.knowledge_base.set_file(
                org_id, section.key, section.version, file.file_id
            )
            if not kept:  # the section changed meanwhile; its own push uploads
                await uow.knowledge_base.retire_file(org_id, file.file_id)
            await uow.commit()
        return replace(section, file_id=file.file_id) if kept else section

    async def _delete_retired(self, org_id: str) -> None:
        async with self._uow() as uow:
            retired = await uow.knowledge_base.retired_files(org_id)
        for file_id in retired:
            await self._platform.delete_file(file_id)
            async with self._uow() as uow:
                await uow.knowledge_base.forget_file(org_id, file_id)
                await uow.commit()

    async def retry_pending(self, limit: int = 100) -> dict[str, int]:
        """Push every profile with an unsynced change; counts by outcome."""
        counts = {status.value: 0 for status in SyncStatus}
        async with self._uow() as uow:
            org_ids = await uow.receptionists.needing_sync(None, limit)
        for org_id in org_ids:
            counts[(await self.push(org_id)).value] += 1
        return counts
