"""The knowledge base (GET/PUT/DELETE /api/kb, POST /api/kb/upload).

A section written as text is stored at once and its Markdown file uploaded by
the push that follows (retried later when the platform fails). An uploaded
source file goes to the platform first and is remembered as this
organization's upload; PUT with its `vapiFileId` then puts it in a section.
Files a section no longer uses are retired and deleted once the assistant no
longer refers to them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from epoch_domain.accounts import Organization
from epoch_domain.errors import NotFound, ValidationFailed
from epoch_domain.knowledge_base import (
    DocumentKind,
    KnowledgeSection,
    KnowledgeUpload,
    apply_knowledge_base,
    check_file_name,
    check_kb_key,
    check_kb_text,
    check_upload,
    markdown_name,
    plain_text,
)
from epoch_domain.plans import Feature
from epoch_domain.ports import Clock, UnitOfWork, UnitOfWorkFactory
from epoch_domain.receptionist_ports import DocumentText, KnowledgeFile, VoicePlatform
from epoch_domain.usecases.receptionist import can, gate
from epoch_domain.usecases.receptionist_sync import (
    ReceptionistSync,
    Saved,
    SyncStatus,
    load_profile,
    store,
)


@dataclass(frozen=True, slots=True)
class KnowledgeBaseView:
    assistant_id: str | None
    vapi_assistant_id: str | None
    can_edit: bool
    sections: Sequence[KnowledgeSection]


@dataclass(frozen=True, slots=True)
class SectionSaved:
    section: KnowledgeSection
    sync: SyncStatus


class KnowledgeBase:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        sync: ReceptionistSync,
        platform: VoicePlatform,
        documents: DocumentText,
        clock: Clock,
    ) -> None:
        self._uow = uow
        self._sync = sync
        self._platform = platform
        self._documents = documents
        self._clock = clock

    async def list(self, org: Organization) -> KnowledgeBaseView:
        async with self._uow() as uow:
            profile = await load_profile(uow, org)
            sections = await uow.knowledge_base.sections(org.id)
        return KnowledgeBaseView(
            profile.assistant_id,
            profile.vapi_assistant_id,
            can(org.tier, Feature.KNOWLEDGE_BASE),
            sections,
        )

    async def put(
        self,
        org: Organization,
        key: str,
        text: str | None = None,
        file_id: str | None = None,
        file_name: str | None = None,
    ) -> SectionSaved:
        """A section from `text`, or from an upload named by `file_id`."""
        gate(org, Feature.KNOWLEDGE_BASE)
        key = check_kb_key(key)
        if (text is None) == (file_id is None):
            raise ValidationFailed("text", "give either text or vapiFileId")
        async with self._uow() as uow:
            if text is not None:
                section = await self._write(
                    uow, org, key, check_kb_text(text), None, markdown_name(key)
                )
            else:
                upload = await uow.knowledge_base.take_upload(
                    org.id, (file_id or "").strip()
                )
                if upload is None:
                    raise ValidationFailed("vapiFileId", "is not a file you uploaded")
                name = (file_name or "").strip() or upload.file_name
                section = await self._write(
                    uow, org, key, upload.text, upload.file_id, name
                )
            await uow.commit()
        return SectionSaved(section, await self._sync.push(org.id))

    async def _write(
        self,
        uow: UnitOfWork,
        org: Organization,
        key: str,
        text: str,
        file_id: str | None,
        file_name: str,
    ) -> KnowledgeSection:
        """Store the section, retire the file it replaces, list it in the
        prompt; the caller commits."""
        profile = await load_profile(uow, org, lock=True)
        sections = {s.key: s for s in await uow.knowledge_base.sections(org.id)}
        old = sections.get(key)
        if old is not None and old.file_id is not None and old.file_id != file_id:
            await uow.knowledge_base.retire_file(org.id, old.file_id)
        section = KnowledgeSection(
            org.id,
            key,
            text,
            file_id,
            file_name,
            self._clock.now(),
            version=(old.version + 1) if old is not None else 1,
        )
        await uow.knowledge_base.save(section)
        sections[key] = section
        prompt = apply_knowledge_base(profile.system_prompt, sections.values())
        await store(uow, profile, replace(profile, system_prompt=prompt), force=True)
        return section

    async def delete(self, org: Organization, key: str) -> Saved:
        gate(org, Feature.KNOWLEDGE_BASE)
        key = check_kb_key(key, "section")
        async with self._uow() as uow:
            profile = await load_profile(uow, org, lock=True)
            sections = {s.key: s for s in await uow.knowledge_base.sections(org.id)}
            old = sections.pop(key, None)
            if old is None or not await uow.knowledge_base.delete(org.id, key):
                raise NotFound("knowledge base section", key)
            if old.file_id is not None:
                await uow.knowledge_base.retire_file(org.id, old.file_id)
            prompt = apply_knowledge_base(profile.system_prompt, sections.values())
            updated = replace(profile, system_prompt=prompt)
            saved = await store(uow, profile, updated, force=True)
            await uow.commit()
        return Saved(saved, await self._sync.push(org.id))

    async def upload(
        self, org: Organization, section: str, file_name: str, content: bytes
    ) -> KnowledgeFile:
        """Check, read and upload a source file; the platform failing raises
        `ProviderUnavailable` and nothing is kept."""
        check_kb_key(section, "section")
        kind = check_upload(file_name, content)
        text = await self._text_of(kind, content)
        name = check_file_name(file_name)
        file = await self._platform.upload_knowledge_file(
            name, content, kind.content_type
        )
        upload = KnowledgeUpload(
            org.id, file.file_id, name, len(content), text, self._clock.now()
        )
        async with self._uow() as uow:
            await uow.knowledge_base.add_upload(upload)
            await uow.commit()
        return KnowledgeFile(file.file_id, name, len(content))

    async def _text_of(self, kind: DocumentKind, content: bytes) -> str:
        if kind in (DocumentKind.CSV, DocumentKind.TXT):
            text = plain_text(content)
        else:
            text = await self._documents.extract(content, kind)
        return (text or "").strip()
