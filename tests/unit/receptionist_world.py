"""The receptionist use cases wired to fakes, for the use-case tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from epoch_domain.accounts import Organization
from epoch_domain.plans import Tier
from epoch_domain.receptionist import (
    AssistantConfig,
    ReceptionistProfile,
    assistant_config,
)
from epoch_domain.usecases.business_settings import BusinessSettings
from epoch_domain.usecases.knowledge_base import KnowledgeBase
from epoch_domain.usecases.onboarding import Onboarding
from epoch_domain.usecases.prompt import SystemPrompt
from epoch_domain.usecases.receptionist import AssistantSettings
from epoch_domain.usecases.receptionist_sync import ReceptionistSync
from tests.fakes import (
    FakeClock,
    FakeDocumentText,
    FakeLanguageModel,
    FakeNumberProvisioner,
    FakeSecrets,
    FakeUnitOfWorkFactory,
    FakeVoiceCatalog,
    FakeVoicePlatform,
    FakeWebsiteFetcher,
)

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)


class World:
    def __init__(self) -> None:
        self.uow = FakeUnitOfWorkFactory()
        self.db = self.uow.db
        self.clock = FakeClock(NOW)
        self.platform = FakeVoicePlatform()
        self.catalog = FakeVoiceCatalog()
        self.model = FakeLanguageModel()
        self.fetcher = FakeWebsiteFetcher()
        self.numbers = FakeNumberProvisioner(self.db)
        self.sync = ReceptionistSync(self.uow, self.platform)
        self.settings = AssistantSettings(self.sync, self.catalog)
        self.prompt = SystemPrompt(self.sync, self.model)
        self.business = BusinessSettings(self.sync)
        self.kb = KnowledgeBase(
            self.uow, self.sync, self.platform, FakeDocumentText(), self.clock
        )
        self.onboarding = Onboarding(
            self.uow,
            self.clock,
            FakeSecrets(),
            self.platform,
            self.numbers,
            self.fetcher,
            self.model,
        )

    def organization(
        self, org_id: str = "o1", tier: Tier = Tier.ENTERPRISE
    ) -> Organization:
        org = Organization(org_id, "Acme Dental", tier, NOW, NOW)
        self.db.tables.organizations[org_id] = org
        return org

    def profile(self, org_id: str = "o1") -> ReceptionistProfile:
        return self.db.tables.receptionists[org_id]

    async def live(self, org: Organization) -> str:
        """Give the organization an assistant on the platform; its id."""
        profile = await self.sync.read(org)
        platform_id = await self.platform.create_assistant(assistant_config(profile))
        self.db.tables.receptionists[org.id] = replace(
            profile, vapi_assistant_id=platform_id, assistant_id="a1"
        )
        return platform_id

    def config(self, platform_id: str) -> AssistantConfig:
        return self.platform.assistants[platform_id]
