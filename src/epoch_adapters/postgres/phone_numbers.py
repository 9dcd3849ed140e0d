"""The organization's phone number, read from the columns `organizations`
already has (number, Twilio sid, VAPI phone-number id).

Known limit: read-only. Provisioning (`save`, and the SIP trunk id it keeps)
needs its own table and migration; until then only the readers that show the
number (the widget exchange) are served.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from epoch_adapters.postgres.tables import organizations
from epoch_domain.integrations import NumberProvisioning


class PostgresPhoneNumberView:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def get(self, org_id: str) -> NumberProvisioning:
        query = select(
            organizations.c.phone_number,
            organizations.c.twilio_phone_number_sid,
            organizations.c.vapi_phone_number_id,
        ).where(organizations.c.id == org_id)
        row = (await self._conn.execute(query)).mappings().first()
        if row is None:
            return NumberProvisioning(organization_id=org_id)
        return NumberProvisioning(
            organization_id=org_id,
            phone_number=row["phone_number"],
            number_id=row["twilio_phone_number_sid"],
            platform_phone_number_id=row["vapi_phone_number_id"],
        )

    async def organization_for_number(self, phone_number: str) -> str | None:
        query = select(organizations.c.id).where(
            organizations.c.phone_number == phone_number
        )
        found: str | None = (await self._conn.execute(query)).scalars().first()
        return found
