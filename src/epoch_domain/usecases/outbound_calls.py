"""Calls the dashboard starts: browser calling and AI outbound calls.

* The browser token is a voice access token for `org_<id>:user_<id>`, valid
  for an hour.
* An outbound call goes to an E.164 number, from the organization's number,
  through its active assistant, and only while minutes are available: some of
  the cycle's included minutes remain, or the plan allows overage and the
  organization has it enabled. The call is recorded right away (QUEUED unless
  the platform's webhook got there first), so its status can be polled.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from epoch_domain.accounts import Organization
from epoch_domain.assistants import Assistant, AssistantStatus
from epoch_domain.calls import Call
from epoch_domain.errors import LimitReached, NotFound, ValidationFailed
from epoch_domain.metering import MS_PER_MINUTE, display_minutes
from epoch_domain.phone import normalize_e164
from epoch_domain.plans import Plan, Tier, plan_for, require_tier
from epoch_domain.ports import Clock, UnitOfWork, UnitOfWorkFactory
from epoch_domain.telephony_ports import (
    OutboundCallRequest,
    OutboundDialer,
    Telephony,
)

VOICE_TOKEN_TTL_SECONDS = 3600
OUTBOUND_CALL_TYPE = "outboundPhoneCall"


@dataclass(frozen=True, slots=True)
class VoiceToken:
    token: str
    identity: str
    phone_number: str | None
    expires_in: int = VOICE_TOKEN_TTL_SECONDS


@dataclass(frozen=True, slots=True)
class OutboundCallStatus:
    call: Call

    @property
    def minutes(self) -> float:
        return display_minutes(self.call.duration_ms or 0)


def minutes_available(
    plan: Plan, overage_enabled: bool, used_ms: int, included_minutes: int
) -> bool:
    """Whether a new call may start: included minutes remain, or overage is
    both allowed by the plan and enabled by the organization."""
    if plan.overage_allowed and overage_enabled:
        return True
    return used_ms < included_minutes * MS_PER_MINUTE


async def active_assistant(uow: UnitOfWork, org_id: str) -> Assistant | None:
    assistants = await uow.assistants.list_with_call_counts(org_id)
    return next((a for a in assistants if a.status is AssistantStatus.ACTIVE), None)


def user_identity(org_id: str, user_id: str) -> str:
    return f"org_{org_id}:user_{user_id}"


class BrowserCalling:
    def __init__(self, uow: UnitOfWorkFactory, telephony: Telephony) -> None:
        self._uow = uow
        self._telephony = telephony

    async def token(self, org: Organization, user_id: str) -> VoiceToken:
        require_tier(org.tier, Tier.ENTERPRISE)
        async with self._uow() as uow:
            number = await uow.phone_numbers.get(org.id)
        identity = user_identity(org.id, user_id)
        token = await self._telephony.voice_access_token(
            identity, VOICE_TOKEN_TTL_SECONDS
        )
        return VoiceToken(token, identity, number.phone_number)


class OutboundCalls:
    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, dialer: OutboundDialer
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._dialer = dialer

    async def place(self, org: Organization, customer_number: str) -> Call:
        require_tier(org.tier, Tier.ENTERPRISE)
        customer = normalize_e164(customer_number, "customerNumber")
        request, assistant_id = await self._prepare(org, customer)
        placed = await self._dialer.place_call(request)
        now = self._clock.now()
        async with self._uow() as uow:
            locked = await uow.calls.lock_or_create(
                placed.platform_call_id, org.id, assistant_id, now
            )
            # The webhook may have recorded the call already; keep its status.
            call = replace(
                locked.call,
                customer_number=locked.call.customer_number or customer,
                call_type=locked.call.call_type or OUTBOUND_CALL_TYPE,
            )
            await uow.calls.save(call, now)
            await uow.commit()
        return call

    async def _prepare(
        self, org: Organization, customer: str
    ) -> tuple[OutboundCallRequest, str]:
        async with self._uow() as uow:
            number = await uow.phone_numbers.get(org.id)
            assistant = await active_assistant(uow, org.id)
            cycle = await uow.cycles.current(org.id)
        if number.platform_phone_number_id is None:
            raise ValidationFailed("phoneNumber", "provision a phone number first")
        if assistant is None:
            raise ValidationFailed("assistant", "an active assistant is required")
        plan = plan_for(org.tier)
        used = cycle.used_ms if cycle else 0
        included = cycle.included_minutes if cycle else plan.included_minutes
        if not minutes_available(plan, org.overage_enabled, used, included):
            raise LimitReached("minutes", included, org.tier.name)
        request = OutboundCallRequest(
            org.id,
            assistant.vapi_assistant_id,
            number.platform_phone_number_id,
            customer,
        )
        return request, assistant.id

    async def status(
        self, org: Organization, platform_call_id: str
    ) -> OutboundCallStatus:
        call_id = platform_call_id.strip()
        if not call_id:
            raise ValidationFailed("vapiCallId", "must not be empty")
        async with self._uow() as uow:
            call = await uow.platform_calls.by_platform_id(org.id, call_id)
        if call is None:
            raise NotFound("call", call_id)
        return OutboundCallStatus(call)
