"""One world of fakes for the telephony, messaging and widget use-case tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from epoch_domain.a2p import A2PStatus
from epoch_domain.a2p_application import A2PRecord
from epoch_domain.accounts import Organization
from epoch_domain.assistants import Assistant, AssistantStatus
from epoch_domain.cycles import UsageCycle
from epoch_domain.integrations import NumberProvisioning
from epoch_domain.plans import Tier, plan_for
from tests.fakes import (
    FakeAssistantCalendarTools,
    FakeCalendarProvider,
    FakeClock,
    FakeDialer,
    FakeFeeCheckout,
    FakeNumberImporter,
    FakePromptSections,
    FakeSecretBox,
    FakeSecrets,
    FakeSmsCarrier,
    FakeTelephony,
    FakeUnitOfWorkFactory,
    Tables,
)

NOW = datetime(2026, 3, 13, 10, 0, tzinfo=UTC)


class World:
    def __init__(self) -> None:
        self.uow = FakeUnitOfWorkFactory()
        self.db = self.uow.db
        self.clock = FakeClock(NOW)
        self.db.clock = self.clock
        self.secrets = FakeSecrets()
        self.telephony = FakeTelephony()
        self.dialer = FakeDialer()
        self.importer = FakeNumberImporter()
        self.carrier = FakeSmsCarrier()
        self.calendar = FakeCalendarProvider()
        self.tools = FakeAssistantCalendarTools()
        self.prompts = FakePromptSections()
        self.box = FakeSecretBox()
        self.fees = FakeFeeCheckout()

    @property
    def t(self) -> Tables:
        """The committed tables (each commit replaces the object)."""
        return self.db.tables

    def organization(
        self, org_id: str = "o1", tier: Tier = Tier.ENTERPRISE, overage: bool = True
    ) -> Organization:
        org = Organization(
            org_id, f"Org {org_id}", tier, NOW, NOW, overage_enabled=overage
        )
        self.t.organizations[org_id] = org
        return org

    def assistant(
        self, org_id: str = "o1", active: bool = True, name: str = "Reception AI"
    ) -> Assistant:
        status = AssistantStatus.ACTIVE if active else AssistantStatus.INACTIVE
        assistant = Assistant(
            f"a-{org_id}", org_id, f"vapi-asst-{org_id}", name, status, NOW
        )
        self.t.assistants[assistant.id] = assistant
        return assistant

    def number(self, org_id: str = "o1", e164: str = "+14155550100") -> None:
        self.t.phone_numbers[org_id] = NumberProvisioning(
            org_id, e164, f"PN-{org_id}", "TK1", f"vapi-num-{org_id}"
        )

    def cycle(self, org_id: str, used_ms: int, tier: Tier) -> None:
        self.t.cycles[f"c-{org_id}"] = UsageCycle(
            f"c-{org_id}",
            org_id,
            datetime(2026, 3, 1, tzinfo=UTC),
            datetime(2026, 4, 1, tzinfo=UTC),
            used_ms,
            plan_for(tier).included_minutes,
        )

    def a2p(self, org_id: str, status: A2PStatus, **fields: object) -> None:
        record = A2PRecord(org_id, status, messaging_service_id="MG1", brand_id="BN1")
        self.t.a2p[org_id] = replace(record, **fields)
