"""The organization's phone number: what it has, searching, provisioning.

Provisioning has two provider steps, buying the number from the telephony
provider and importing it into the voice platform. Each step's result is
committed as soon as it is known, under the organization's row lock, so a
failure in the second step leaves a recorded half-provisioned number that a
retry completes, instead of buying a second one. A complete number answers
409 (`Conflict`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from epoch_domain.accounts import Organization
from epoch_domain.errors import Conflict, ValidationFailed
from epoch_domain.integrations import NumberProvisioning, check_locality
from epoch_domain.phone import check_area_code
from epoch_domain.ports import UnitOfWorkFactory
from epoch_domain.telephony_ports import (
    AvailableNumber,
    NumberImporter,
    NumberQuery,
    ProvisionedNumber,
    Telephony,
)
from epoch_domain.usecases.outbound_calls import active_assistant

DEFAULT_SEARCH_LIMIT = 5
MAX_SEARCH_LIMIT = 20


class NumberAlreadyProvisioned(Conflict):
    def __init__(self) -> None:
        super().__init__("A phone number is already provisioned")


@dataclass(frozen=True, slots=True)
class PhoneNumberOverview:
    provisioning: NumberProvisioning
    assistant_name: str | None

    @property
    def has_assistant(self) -> bool:
        return self.assistant_name is not None

    @property
    def has_sip_trunk(self) -> bool:
        return self.provisioning.sip_trunk_id is not None


def check_search(
    area_code: str | None, locality: str | None, limit: int | None
) -> NumberQuery:
    code = check_area_code(area_code) if area_code and area_code.strip() else None
    size = DEFAULT_SEARCH_LIMIT if limit is None else limit
    if not 1 <= size <= MAX_SEARCH_LIMIT:
        raise ValidationFailed("limit", f"must be between 1 and {MAX_SEARCH_LIMIT}")
    return NumberQuery(code, check_locality(locality), size)


class PhoneNumbers:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        telephony: Telephony,
        importer: NumberImporter,
    ) -> None:
        self._uow = uow
        self._telephony = telephony
        self._importer = importer

    async def overview(self, org: Organization) -> PhoneNumberOverview:
        async with self._uow() as uow:
            provisioning = await uow.phone_numbers.get(org.id)
            assistant = await active_assistant(uow, org.id)
        return PhoneNumberOverview(provisioning, assistant.name if assistant else None)

    async def search(
        self, area_code: str | None, locality: str | None, limit: int | None
    ) -> Sequence[AvailableNumber]:
        query = check_search(area_code, locality, limit)
        found = await self._telephony.search_numbers(query)
        return list(found)[: query.limit]

    async def provision(
        self, org: Organization, area_code: str | None
    ) -> NumberProvisioning:
        code = check_area_code(area_code) if area_code and area_code.strip() else None
        async with self._uow() as uow:
            # Held to the end: a concurrent request waits, then sees our steps.
            await uow.organizations.lock(org.id)
            current = await uow.phone_numbers.get(org.id)
            if current.complete:
                raise NumberAlreadyProvisioned()
            assistant = await active_assistant(uow, org.id)
            if assistant is None:
                raise ValidationFailed("assistant", "an active assistant is required")
            if not current.bought:
                bought = await self._telephony.provision_number(code)
                current = replace(
                    current,
                    phone_number=bought.phone_number,
                    number_id=bought.number_id,
                    sip_trunk_id=bought.sip_trunk_id,
                )
                await uow.phone_numbers.save(current)
                await uow.commit()
            current = await self._import(current, assistant.vapi_assistant_id)
            await uow.phone_numbers.save(current)
            await uow.commit()
        return current

    async def _import(
        self, current: NumberProvisioning, platform_assistant_id: str
    ) -> NumberProvisioning:
        if current.phone_number is None or current.number_id is None:
            raise ValidationFailed("phoneNumber", "was not bought")  # guarded above
        number = ProvisionedNumber(
            current.phone_number, current.number_id, current.sip_trunk_id
        )
        platform_id = await self._importer.import_number(number, platform_assistant_id)
        return replace(current, platform_phone_number_id=platform_id)
