"""Sending, receiving and listing text messages, and delivery reports.

A message is logged before it is handed to the carrier, so a delivery report
that arrives before the carrier's answer still finds it (by our id, which the
carrier echoes in the callback address). Reports only move a status forward
(`sms.advance_status`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from epoch_domain.accounts import Organization
from epoch_domain.errors import NotFound, ProviderUnavailable, ValidationFailed
from epoch_domain.phone import normalize_e164
from epoch_domain.plans import Tier, require_tier
from epoch_domain.ports import Clock, Secrets, UnitOfWorkFactory
from epoch_domain.sms import (
    PageRequest,
    SmsDirection,
    SmsMessage,
    SmsNotAllowed,
    SmsStatus,
    advance_status,
    check_body,
    check_page,
    total_pages,
)
from epoch_domain.telephony_ports import OutgoingSms, SmsCarrier

UNREACHABLE_CODE = "provider_unavailable"


@dataclass(frozen=True, slots=True)
class SmsPage:
    logs: Sequence[SmsMessage]
    request: PageRequest
    total: int

    @property
    def total_pages(self) -> int:
        return total_pages(self.total, self.request.limit)


@dataclass(frozen=True, slots=True)
class InboundSms:
    provider_id: str
    from_number: str
    to_number: str
    body: str


@dataclass(frozen=True, slots=True)
class InboundResult:
    organization_id: str | None
    logged: bool
    reply: str | None


@dataclass(frozen=True, slots=True)
class StatusReport:
    provider_id: str | None
    status: str | None
    error_code: str | None = None
    message_id: str | None = None  # ours, from the callback address


class Sms:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        secrets: Secrets,
        carrier: SmsCarrier,
        auto_reply: str | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._secrets = secrets
        self._carrier = carrier
        self._auto_reply = auto_reply

    async def send(self, org: Organization, to: str, body: str) -> SmsMessage:
        require_tier(org.tier, Tier.PRO)
        to_number = normalize_e164(to, "to")
        text = check_body(body)
        outgoing = await self._log_outgoing(org, to_number, text)
        try:
            receipt = await self._carrier.send(outgoing)
        except ProviderUnavailable:
            await self._finish(outgoing.message_id, None, SmsStatus.FAILED)
            raise
        return await self._finish(
            outgoing.message_id, receipt.provider_id, receipt.status
        )

    async def _log_outgoing(
        self, org: Organization, to_number: str, text: str
    ) -> OutgoingSms:
        now = self._clock.now()
        async with self._uow() as uow:
            a2p = await uow.a2p.get(org.id)
            if not a2p.registration.can_send_sms or a2p.messaging_service_id is None:
                raise SmsNotAllowed(a2p.status.value)
            number = await uow.phone_numbers.get(org.id)
            message = SmsMessage(
                id=self._secrets.new_id(),
                organization_id=org.id,
                direction=SmsDirection.OUTBOUND,
                from_number=number.phone_number or "",
                to_number=to_number,
                body=text,
                status=SmsStatus.QUEUED,
                created_at=now,
            )
            await uow.sms.add(message)
            await uow.commit()
        return OutgoingSms(
            message.id,
            org.id,
            a2p.messaging_service_id,
            number.phone_number,
            to_number,
            text,
        )

    async def _finish(
        self, message_id: str, provider_id: str | None, status: SmsStatus
    ) -> SmsMessage:
        now = self._clock.now()
        async with self._uow() as uow:
            message = await uow.sms.lock_for_report(provider_id, message_id)
            if message is None:  # logged and committed above; never expected
                raise NotFound("sms message", message_id)
            if provider_id is not None:
                message = replace(message, provider_id=provider_id)
            code = UNREACHABLE_CODE if provider_id is None else None
            message = advance_status(message, status, code, now)
            await uow.sms.save(message)
            await uow.commit()
        return message

    async def logs(
        self,
        org: Organization,
        page: int | None,
        limit: int | None,
        direction: str | None,
    ) -> SmsPage:
        request = check_page(page, limit)
        wanted = SmsDirection.parse(direction)
        async with self._uow() as uow:
            rows, total = await uow.sms.page(
                org.id, wanted, request.offset, request.limit
            )
        return SmsPage(rows, request, total)

    async def receive(self, sms: InboundSms) -> InboundResult:
        """An inbound message for one of our numbers; logged once however often
        the carrier delivers it. A number we do not know is ignored."""
        try:
            to_number = normalize_e164(sms.to_number, "To")
        except ValidationFailed:
            return InboundResult(None, False, None)  # cannot be one of ours
        async with self._uow() as uow:
            org_id = await uow.phone_numbers.organization_for_number(to_number)
            if org_id is None:
                return InboundResult(None, False, None)
            message = SmsMessage(
                id=self._secrets.new_id(),
                organization_id=org_id,
                direction=SmsDirection.INBOUND,
                from_number=sms.from_number.strip(),
                to_number=to_number,
                body=sms.body,
                status=SmsStatus.RECEIVED,
                created_at=self._clock.now(),
                provider_id=sms.provider_id,
            )
            logged = await uow.sms.add(message)
            await uow.commit()
        return InboundResult(org_id, logged, self._auto_reply if logged else None)

    async def report_status(self, report: StatusReport) -> SmsMessage | None:
        """Apply a delivery report; None when the message or status is unknown."""
        status = SmsStatus.from_carrier(report.status)
        if status is None or not (report.provider_id or report.message_id):
            return None
        async with self._uow() as uow:
            message = await uow.sms.lock_for_report(
                report.provider_id, report.message_id
            )
            if message is None:
                return None
            if message.provider_id is None and report.provider_id:
                message = replace(message, provider_id=report.provider_id)
            updated = advance_status(
                message, status, report.error_code, self._clock.now()
            )
            await uow.sms.save(updated)
            await uow.commit()
        return updated
