"""Registering, listing, renaming and removing an organization's assistants."""

from __future__ import annotations

from collections.abc import Sequence

from epoch_domain.accounts import Organization
from epoch_domain.assistants import (
    Assistant,
    AssistantStatus,
    check_display_name,
    check_platform_id,
)
from epoch_domain.errors import AssistantAlreadyRegistered, LimitReached, NotFound
from epoch_domain.plans import plan_for
from epoch_domain.ports import Clock, Secrets, UnitOfWorkFactory


class Assistants:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, secrets: Secrets) -> None:
        self._uow = uow
        self._clock = clock
        self._secrets = secrets

    async def list(self, org_id: str) -> Sequence[Assistant]:
        async with self._uow() as uow:
            return await uow.assistants.list_with_call_counts(org_id)

    async def register(
        self, org: Organization, vapi_assistant_id: str, name: str
    ) -> Assistant:
        vapi_assistant_id = check_platform_id(vapi_assistant_id)
        name = check_display_name(name)
        limit = plan_for(org.tier).assistant_limit
        assistant = Assistant(
            id=self._secrets.new_id(),
            organization_id=org.id,
            vapi_assistant_id=vapi_assistant_id,
            name=name,
            status=AssistantStatus.ACTIVE,
            created_at=self._clock.now(),
        )
        async with self._uow() as uow:
            # The organization row lock makes the count and the insert one step,
            # so two racing registrations cannot both squeeze under the limit.
            await uow.organizations.lock(org.id)
            if await uow.assistants.exists_platform_id(vapi_assistant_id):
                raise AssistantAlreadyRegistered(vapi_assistant_id)
            if await uow.assistants.count(org.id) >= limit:
                raise LimitReached("assistants", limit, org.tier.name)
            await uow.assistants.add(assistant)
            await uow.commit()
        return assistant

    async def rename(self, org_id: str, assistant_id: str, name: str) -> Assistant:
        name = check_display_name(name)
        async with self._uow() as uow:
            if not await uow.assistants.rename(org_id, assistant_id, name):
                raise NotFound("assistant", assistant_id)
            assistant = await uow.assistants.get(org_id, assistant_id)
            await uow.commit()
        if assistant is None:  # deleted between the two statements
            raise NotFound("assistant", assistant_id)
        return assistant

    async def delete(self, org_id: str, assistant_id: str) -> None:
        async with self._uow() as uow:
            if not await uow.assistants.delete(org_id, assistant_id):
                raise NotFound("assistant", assistant_id)
            await uow.commit()
