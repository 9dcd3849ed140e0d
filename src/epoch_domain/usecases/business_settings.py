"""Business info, hours and address (GET/PUT /api/business-*) and the transfer
number (GET/PUT /api/transfer-number). Each change rewrites only its own
prompt sections and is pushed to the voice platform."""

from __future__ import annotations

from dataclasses import dataclass, replace

from epoch_domain import business, hours, phone, prompt_sections
from epoch_domain.accounts import Organization
from epoch_domain.business import BusinessInfo
from epoch_domain.hours import BusinessHours
from epoch_domain.plans import ROUTE_GATES, require_tier
from epoch_domain.receptionist import ReceptionistProfile
from epoch_domain.usecases.receptionist_sync import ReceptionistSync, Saved

TRANSFER_GATE = ROUTE_GATES[("PUT", "/api/transfer-number")]


@dataclass(frozen=True, slots=True)
class HoursView:
    business_hours: BusinessHours | None
    timezone: str


@dataclass(frozen=True, slots=True)
class TransferView:
    transfer_number: str | None
    can_edit: bool


def with_info(profile: ReceptionistProfile, info: BusinessInfo) -> ReceptionistProfile:
    context = business.context_text(profile.business_name, info)
    prompt = prompt_sections.update_section(
        profile.system_prompt, prompt_sections.CONTEXT, context
    )
    return replace(profile, info=info, system_prompt=prompt)


def with_hours(
    profile: ReceptionistProfile, schedule: BusinessHours, timezone: str
) -> ReceptionistProfile:
    prompt = hours.apply_hours(profile.system_prompt, schedule, timezone)
    return replace(
        profile, business_hours=schedule, timezone=timezone, system_prompt=prompt
    )


def with_address(
    profile: ReceptionistProfile, address: str | None
) -> ReceptionistProfile:
    prompt = business.apply_address(profile.system_prompt, address)
    return replace(profile, address=address, system_prompt=prompt)


def with_transfer(
    profile: ReceptionistProfile, number: str | None
) -> ReceptionistProfile:
    prompt = business.apply_transfer(profile.system_prompt, number)
    return replace(profile, transfer_number=number, system_prompt=prompt)


class BusinessSettings:
    def __init__(self, sync: ReceptionistSync) -> None:
        self._sync = sync

    async def info(self, org: Organization) -> BusinessInfo:
        return (await self._sync.read(org)).info

    async def set_info(
        self,
        org: Organization,
        business_type: str | None = None,
        description: str | None = None,
        website_url: str | None = None,
    ) -> Saved:
        """None keeps a field, a blank string clears it."""
        # Check the input before any database work.
        business.change_business_info(
            BusinessInfo(), business_type, description, website_url
        )

        def edit(profile: ReceptionistProfile) -> ReceptionistProfile:
            info = business.change_business_info(
                profile.info, business_type, description, website_url
            )
            return with_info(profile, info)

        return await self._sync.change(org, edit)

    async def hours(self, org: Organization) -> HoursView:
        profile = await self._sync.read(org)
        return HoursView(profile.business_hours, profile.timezone)

    async def set_hours(
        self, org: Organization, raw_hours: object, timezone: str | None = None
    ) -> Saved:
        """Replace the schedule; a missing time zone keeps the stored one."""
        schedule = hours.parse_business_hours(raw_hours)
        zone = hours.check_timezone(timezone) if timezone is not None else None
        return await self._sync.change(
            org, lambda p: with_hours(p, schedule, zone or p.timezone)
        )

    async def address(self, org: Organization) -> str | None:
        return (await self._sync.read(org)).address

    async def set_address(self, org: Organization, raw: str) -> Saved:
        """A blank address clears it and removes the prompt's address section."""
        address = business.check_address(raw)
        return await self._sync.change(org, lambda p: with_address(p, address))

    async def transfer_number(self, org: Organization) -> TransferView:
        number = (await self._sync.read(org)).transfer_number
        return TransferView(number, org.tier >= TRANSFER_GATE)

    async def set_transfer_number(self, org: Organization, raw: str | None) -> Saved:
        """Set (normalised to E.164) or, with None or blank, clear."""
        require_tier(org.tier, TRANSFER_GATE)
        number = phone.normalize_optional(raw, "transferNumber")
        return await self._sync.change(org, lambda p: with_transfer(p, number))
