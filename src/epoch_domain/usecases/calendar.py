"""Connecting a calendar (Cal.com) so the assistant can check and book.

* Connecting needs the ADVANCED plan, an active assistant and an API key the
  provider accepts. The key is stored encrypted (`SecretBox`), never in plain
  text. The assistant gets the availability and booking tools, and the stored
  prompt the calendar-tools section (`PromptSectionWriter`, which rewrites
  that section alone with `prompt_sections.update_section` and pushes the
  prompt). Connecting again replaces the old tools.
* Disconnecting removes the tools and the prompt section; disconnecting what
  is not connected succeeds and changes nothing.
* The diagnostic runs four steps (org_lookup, plan_check, credential_decrypt,
  cal_com_api), each ok or not, and never raises: a failed step marks the
  later ones as not run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from epoch_domain.accounts import Organization
from epoch_domain.errors import EpochError, ValidationFailed
from epoch_domain.integrations import (
    CalendarConnection,
    CalendarProviderName,
    check_api_key,
    check_event_type_id,
)
from epoch_domain.plans import Tier, require_tier
from epoch_domain.ports import Clock, UnitOfWorkFactory
from epoch_domain.prompt_sections import CALENDAR_TOOLS
from epoch_domain.telephony_ports import (
    AssistantCalendarTools,
    CalendarProvider,
    PromptSectionWriter,
    SecretBox,
)
from epoch_domain.usecases.outbound_calls import active_assistant

CALENDAR_TIER = Tier.ADVANCED
CALENDAR_PROMPT = (
    "You can book appointments. Before offering a time, call "
    "check_availability with the date the caller wants. To book, confirm the "
    "caller's name, email and the exact time, then call book_appointment. "
    "Never promise a time the tools have not confirmed."
)


@dataclass(frozen=True, slots=True)
class CalendarStatus:
    connection: CalendarConnection | None
    can_edit: bool

    @property
    def connected(self) -> bool:
        return self.connection is not None


@dataclass(frozen=True, slots=True)
class DiagnosticStep:
    name: str
    ok: bool
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class Diagnosis:
    timestamp: datetime
    steps: Sequence[DiagnosticStep]

    @property
    def ok(self) -> bool:
        return all(step.ok for step in self.steps)


DIAGNOSTIC_STEPS = ("org_lookup", "plan_check", "credential_decrypt", "cal_com_api")


class CalendarIntegration:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        calendar: CalendarProvider,
        tools: AssistantCalendarTools,
        prompt: PromptSectionWriter,
        box: SecretBox,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._calendar = calendar
        self._tools = tools
        self._prompt = prompt
        self._box = box

    async def connect(
        self, org: Organization, provider: str, api_key: str, event_type_id: int
    ) -> CalendarConnection:
        require_tier(org.tier, CALENDAR_TIER)
        name = CalendarProviderName.parse(provider)
        key = check_api_key(api_key)
        event_type = check_event_type_id(event_type_id)
        async with self._uow() as uow:
            assistant = await active_assistant(uow, org.id)
            previous = await uow.calendars.get(org.id)
        if assistant is None:
            raise ValidationFailed("assistant", "an active assistant is required")
        if not await self._calendar.verify_api_key(key):
            raise ValidationFailed("apiKey", "was rejected by the calendar provider")
        platform_id = assistant.vapi_assistant_id
        if previous is not None and previous.tool_ids:
            await self._tools.remove_tools(platform_id, previous.tool_ids)
        tool_ids = await self._tools.add_calendar_tools(platform_id, event_type)
        connection = CalendarConnection(
            org.id,
            name,
            self._box.encrypt(key),
            event_type,
            tuple(tool_ids),
            self._clock.now(),
        )
        # Saved before the prompt changes, so a retry knows the tools to replace.
        async with self._uow() as uow:
            await uow.calendars.save(connection)
            await uow.commit()
        await self._prompt.set_section(org, CALENDAR_TOOLS, CALENDAR_PROMPT)
        return connection

    async def status(self, org: Organization) -> CalendarStatus:
        async with self._uow() as uow:
            connection = await uow.calendars.get(org.id)
        return CalendarStatus(connection, org.tier >= CALENDAR_TIER)

    async def disconnect(self, org: Organization) -> bool:
        """True when a connection was removed."""
        async with self._uow() as uow:
            connection = await uow.calendars.get(org.id)
            assistant = await active_assistant(uow, org.id)
        if connection is None:
            return False
        if assistant is not None:
            platform_id = assistant.vapi_assistant_id
            if connection.tool_ids:
                await self._tools.remove_tools(platform_id, connection.tool_ids)
        await self._prompt.set_section(org, CALENDAR_TOOLS, None)
        async with self._uow() as uow:
            await uow.calendars.delete(org.id)
            await uow.commit()
        return True

    async def diagnose(self, org_id: str) -> Diagnosis:
        steps: list[DiagnosticStep] = []
        try:
            await self._run_steps(org_id, steps)
        except Exception as error:
            steps.append(
                DiagnosticStep(DIAGNOSTIC_STEPS[len(steps)], False, _say(error))
            )
        done = len(steps)
        steps += [
            DiagnosticStep(name, False, "not run: an earlier step failed")
            for name in DIAGNOSTIC_STEPS[done:]
        ]
        return Diagnosis(self._clock.now(), steps)

    async def _run_steps(self, org_id: str, steps: list[DiagnosticStep]) -> None:
        """Append a step per success; raise (or append a failure) to stop."""
        async with self._uow() as uow:
            org = await uow.organizations.get(org_id)
            connection = await uow.calendars.get(org_id)
        if org is None:
            steps.append(DiagnosticStep("org_lookup", False, "organization not found"))
            return
        steps.append(DiagnosticStep("org_lookup", True))
        if org.tier < CALENDAR_TIER:
            steps.append(
                DiagnosticStep("plan_check", False, f"{org.tier.name} lacks calendar")
            )
            return
        steps.append(DiagnosticStep("plan_check", True))
        if connection is None:
            steps.append(
                DiagnosticStep("credential_decrypt", False, "no calendar connected")
            )
            return
        key = self._box.decrypt(connection.encrypted_api_key)
        steps.append(DiagnosticStep("credential_decrypt", True))
        accepted = await self._calendar.verify_api_key(key)
        steps.append(
            DiagnosticStep(
                "cal_com_api", accepted, None if accepted else "key rejected"
            )
        )


def _say(error: Exception) -> str:
    if isinstance(error, EpochError):
        return error.message
    return type(error).__name__
