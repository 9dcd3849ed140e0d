"""Every port of `telephony_ports` has a fake with the same methods, and the
fakes keep the promises the use cases lean on."""

from __future__ import annotations

from typing import Any

import pytest

from epoch_domain import telephony_ports
from epoch_domain.sms import SmsDirection, SmsMessage, SmsStatus
from epoch_domain.telephony_ports import SecretUnreadable
from tests.fakes import (
    FakeA2P,
    FakeAssistantCalendarTools,
    FakeCalendarProvider,
    FakeCalendars,
    FakeCallLookup,
    FakeDialer,
    FakeEmbedTokens,
    FakeFeeCheckout,
    FakeNumberImporter,
    FakePhoneNumbers,
    FakePromptSections,
    FakeSecretBox,
    FakeSmsCarrier,
    FakeSmsLog,
    FakeTelephony,
    FakeUnitOfWorkFactory,
)
from tests.unit.port_conformance import assert_fake_matches, protocols_in
from tests.unit.telephony_world import NOW

pytestmark = pytest.mark.anyio

FAKES: dict[type[Any], type[Any]] = {
    telephony_ports.Telephony: FakeTelephony,
    telephony_ports.VoiceTokens: FakeTelephony,
    telephony_ports.OutboundDialer: FakeDialer,
    telephony_ports.NumberImporter: FakeNumberImporter,
    telephony_ports.SmsCarrier: FakeSmsCarrier,
    telephony_ports.CalendarProvider: FakeCalendarProvider,
    telephony_ports.AssistantCalendarTools: FakeAssistantCalendarTools,
    telephony_ports.PromptSectionWriter: FakePromptSections,
    telephony_ports.SecretBox: FakeSecretBox,
    telephony_ports.FeeCheckout: FakeFeeCheckout,
    telephony_ports.CallLookup: FakeCallLookup,
    telephony_ports.SmsLogRepository: FakeSmsLog,
    telephony_ports.PhoneNumberRepository: FakePhoneNumbers,
    telephony_ports.CalendarRepository: FakeCalendars,
    telephony_ports.EmbedTokenRepository: FakeEmbedTokens,
    telephony_ports.A2PRepository: FakeA2P,
}


def test_every_port_has_a_fake() -> None:
    assert protocols_in(telephony_ports) == set(FAKES)


@pytest.mark.parametrize("port", sorted(FAKES, key=lambda p: p.__name__))
def test_each_fake_has_every_method_of_its_port(port: type[Any]) -> None:
    fake = FAKES[port]
    assert_fake_matches(port, fake)


def test_the_secret_box_opens_only_what_its_key_sealed() -> None:
    box = FakeSecretBox("k1")
    sealed = box.encrypt("cal_live_x")
    assert "cal_live_x" not in sealed
    assert box.decrypt(sealed) == "cal_live_x"
    with pytest.raises(SecretUnreadable):
        FakeSecretBox("k2").decrypt(sealed)
    with pytest.raises(SecretUnreadable):
        box.decrypt("garbage")


async def test_uncommitted_sms_writes_are_rolled_back() -> None:
    factory = FakeUnitOfWorkFactory()
    message = SmsMessage(
        "m1", "o1", SmsDirection.OUTBOUND, "+1", "+1", "b", SmsStatus.QUEUED, NOW
    )
    async with factory() as uow:
        assert await uow.sms.add(message)
    assert factory.db.tables.sms == {}
