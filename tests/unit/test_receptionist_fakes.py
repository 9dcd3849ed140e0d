"""Every receptionist port has a fake with the same methods, and the fake
repositories keep organizations apart as the database does."""

from __future__ import annotations

from typing import Any

import pytest

from epoch_domain import receptionist_ports
from epoch_domain.plans import Tier
from tests.fakes import (
    FakeDocumentText,
    FakeKnowledgeBase,
    FakeLanguageModel,
    FakeNumberProvisioner,
    FakeReceptionistProfiles,
    FakeVoiceCatalog,
    FakeVoicePlatform,
    FakeWebsiteFetcher,
)
from tests.unit.port_conformance import assert_fake_matches, protocols_in
from tests.unit.receptionist_world import World

pytestmark = pytest.mark.anyio

FAKES: dict[type[Any], type[Any]] = {
    receptionist_ports.VoicePlatform: FakeVoicePlatform,
    receptionist_ports.VoiceCatalog: FakeVoiceCatalog,
    receptionist_ports.LanguageModel: FakeLanguageModel,
    receptionist_ports.WebsiteFetcher: FakeWebsiteFetcher,
    receptionist_ports.DocumentText: FakeDocumentText,
    receptionist_ports.NumberProvisioner: FakeNumberProvisioner,
    receptionist_ports.ReceptionistProfileRepository: FakeReceptionistProfiles,
    receptionist_ports.KnowledgeBaseRepository: FakeKnowledgeBase,
}
# Only read through: the phone number of what was provisioned.
NO_FAKE_NEEDED = {receptionist_ports.ProvisionedLine}


def test_every_receptionist_port_has_a_fake() -> None:
    assert protocols_in(receptionist_ports) == set(FAKES) | NO_FAKE_NEEDED


@pytest.mark.parametrize("port", sorted(FAKES, key=lambda p: p.__name__))
def test_each_fake_matches_its_port(port: type[Any]) -> None:
    fake = FAKES[port]
    assert_fake_matches(port, fake)


async def test_one_organizations_settings_never_reach_another() -> None:
    world = World()
    mine, theirs = world.organization("o1"), world.organization("o2", Tier.PRO)
    await world.settings.rename(mine, "Alex")
    await world.business.set_address(mine, "1 Main St")
    await world.kb.put(mine, "faqs", text="Q: A?")
    assert (await world.settings.name(theirs)).name == "Savannah"
    assert await world.business.address(theirs) is None
    assert (await world.kb.list(theirs)).sections == []
    assert "o2" not in world.db.tables.receptionists
