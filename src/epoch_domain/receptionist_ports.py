"""Ports of the receptionist use cases: assistant settings, prompt, knowledge
base, business settings and onboarding.

The outside systems here are the voice platform (VAPI) for the assistant and
its knowledge files, the voice catalog (ElevenLabs), the language model
(Anthropic), the website fetcher and the document reader. The repositories
are reached through the unit of work (`ports.UnitOfWork.receptionists` and
`.knowledge_base`). Fakes: `tests/fakes.py`.

Every provider method raises `errors.ProviderUnavailable` when the provider
cannot be reached or fails.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from epoch_domain.accounts import Organization
from epoch_domain.knowledge_base import DocumentKind, KnowledgeSection, KnowledgeUpload
from epoch_domain.receptionist import AssistantConfig, ReceptionistProfile

# ---------------------------------------------------------------- providers


@dataclass(frozen=True, slots=True)
class KnowledgeFile:
    file_id: str
    file_name: str
    size_bytes: int


class VoicePlatform(Protocol):
    """The voice platform, as far as the assistant and its files go."""

    async def create_assistant(self, config: AssistantConfig) -> str:
        """The platform's id of a new assistant set to `config`."""

    async def update_assistant(
        self, platform_assistant_id: str, config: AssistantConfig
    ) -> None:
        """Set the assistant to `config`. Tools other use cases attached (the
        calendar's) are kept: only the transfer tool and the knowledge-base
        files are the config's to set."""

    async def upload_knowledge_file(
        self, file_name: str, content: bytes, content_type: str
    ) -> KnowledgeFile: ...

    async def delete_file(self, file_id: str) -> None:
        """Delete a file; a file already gone is not an error."""


@dataclass(frozen=True, slots=True)
class VoiceOption:
    id: str
    name: str
    gender: str | None
    description: str | None
    preview_url: str | None


class VoiceCatalog(Protocol):
    async def voices(self) -> Sequence[VoiceOption]:
        """Every voice on offer. Known limit of the port, not the use case:
        the adapter caches the list for 24 hours, as the spec says."""


@dataclass(frozen=True, slots=True)
class WebPage:
    url: str
    text: str


@dataclass(frozen=True, slots=True)
class FetchedSite:
    pages: Sequence[WebPage]
    warnings: Sequence[str]  # pages that could not be read, and why


class WebsiteFetcher(Protocol):
    async def fetch(self, url: str, max_pages: int) -> FetchedSite:
        """The start page and up to `max_pages - 1` pages it links to on the
        same site, as text. A page that fails is a warning, not an error."""


@dataclass(frozen=True, slots=True)
class ExtractedBusiness:
    """What the language model read from a website, unchecked."""

    business_name: str | None = None
    business_type: str | None = None
    description: str | None = None
    hours: Mapping[str, object] | None = None
    timezone: str | None = None
    address: str | None = None
    phone: str | None = None


class LanguageModel(Protocol):
    async def complete(self, instructions: str, material: str, max_chars: int) -> str:
        """Text written by following `instructions` about `material`."""

    async def extract_business(
        self, url: str, pages: Sequence[WebPage]
    ) -> ExtractedBusiness: ...


class DocumentText(Protocol):
    async def extract(self, content: bytes, kind: DocumentKind) -> str:
        """The text of a PDF or DOCX file; raises `ValidationFailed` naming
        "file" when the file cannot be read."""


class ProvisionedLine(Protocol):
    @property
    def phone_number(self) -> str | None: ...


class NumberProvisioner(Protocol):
    """Buys a number and connects it to the organization's active assistant:
    the phone-numbers use case (`usecases.phone_numbers.PhoneNumbers`), as far
    as onboarding needs it. Raises domain errors (`ProviderUnavailable`,
    `ValidationFailed`, `Conflict`) for what it cannot do."""

    async def provision(
        self, org: Organization, area_code: str | None
    ) -> ProvisionedLine: ...


# ---------------------------------------------------------------- repositories


class ReceptionistProfileRepository(Protocol):
    async def get(self, org_id: str, lock: bool = False) -> ReceptionistProfile | None:
        """The stored profile; with `lock`, held until the unit of work ends."""

    async def save(self, profile: ReceptionistProfile) -> None: ...

    async def mark_synced(self, org_id: str, revision: int) -> None:
        """The platform now holds `revision` (never lowers what is recorded)."""

    async def needing_sync(self, after: str | None, limit: int) -> Sequence[str]:
        """Organization ids (after `after`, in order) with a change to push."""


class KnowledgeBaseRepository(Protocol):
    async def sections(self, org_id: str) -> Sequence[KnowledgeSection]: ...

    async def save(self, section: KnowledgeSection) -> None: ...

    async def delete(self, org_id: str, key: str) -> bool: ...

    async def set_file(self, org_id: str, key: str, version: int, file_id: str) -> bool:
        """Record the uploaded file of a section still at `version`; False
        when the section changed or went away meanwhile."""

    async def add_upload(self, upload: KnowledgeUpload) -> None: ...

    async def take_upload(self, org_id: str, file_id: str) -> KnowledgeUpload | None:
        """Remove and return this organization's upload of `file_id`."""

    async def retire_file(self, org_id: str, file_id: str) -> None:
        """Remember a platform file to delete once no assistant uses it."""

    async def retired_files(self, org_id: str) -> Sequence[str]: ...

    async def forget_file(self, org_id: str, file_id: str) -> None: ...
