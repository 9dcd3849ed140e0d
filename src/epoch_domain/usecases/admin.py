"""What an operator of the service may do with the admin key: find
organizations, change a plan, and flag a user for a forced password change."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from epoch_domain.accounts import Organization, User
from epoch_domain.errors import NotFound, ValidationFailed
from epoch_domain.plans import Tier, plan_for
from epoch_domain.ports import OrganizationSummary, UnitOfWorkFactory

MAX_PAGE = 100
# Deep offsets are a scan (and past int64 a database error): bound them.
MAX_OFFSET = 1_000_000
MAX_QUERY = 200


@dataclass(frozen=True, slots=True)
class OrganizationPage:
    items: Sequence[OrganizationSummary]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True, slots=True)
class OrganizationDetail:
    organization: Organization
    members: Sequence[User]


class Administration:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def organizations(
        self, query: str | None, limit: int, offset: int
    ) -> OrganizationPage:
        if not 1 <= limit <= MAX_PAGE:
            raise ValidationFailed("limit", f"must be between 1 and {MAX_PAGE}")
        if not 0 <= offset <= MAX_OFFSET:
            raise ValidationFailed("offset", f"must be between 0 and {MAX_OFFSET}")
        text = (query or "").strip() or None
        if text is not None and len(text) > MAX_QUERY:
            raise ValidationFailed("q", f"must be at most {MAX_QUERY} characters")
        if text is not None and not text.isprintable():
            raise ValidationFailed("q", "must not contain control characters")
        async with self._uow() as uow:
            items, total = await uow.directory.search(text, limit, offset)
        return OrganizationPage(items, total, limit, offset)

    async def organization(self, org_id: str) -> OrganizationDetail:
        async with self._uow() as uow:
            org = await uow.organizations.get(org_id)
            if org is None:
                raise NotFound("organization", org_id)
            members = await uow.directory.members(org_id)
        return OrganizationDetail(org, members)

    async def change_plan(self, org_id: str, tier: Tier) -> OrganizationDetail:
        """An operator's override; it does not touch the Stripe subscription."""
        async with self._uow() as uow:
            await uow.organizations.lock(org_id)
            changed = await uow.directory.set_tier(
                org_id, tier, plan_for(tier).included_minutes
            )
            if not changed:
                raise NotFound("organization", org_id)
            await uow.commit()
        return await self.organization(org_id)

    async def require_password_change(self, user_id: str) -> User:
        async with self._uow() as uow:
            if not await uow.credentials.require_change(user_id):
                raise NotFound("user", user_id)
            user = await uow.users.get(user_id)
            await uow.commit()
        if user is None:
            raise NotFound("user", user_id)
        return user
