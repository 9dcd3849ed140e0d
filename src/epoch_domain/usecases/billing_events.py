"""Payment provider events: stored by their id first, then applied once.

Each event is kept as received (unique per provider and event id) before it is
acted on. Applying it locks the stored row, so two deliveries of one event
serialize and the second finds it processed. The organization's row is locked
too, and an event older than the newest applied one changes nothing.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

from epoch_domain.ports import Clock, UnitOfWork, UnitOfWorkFactory
from epoch_domain.subscription import BillingEvent, apply_event

PROVIDER = "stripe"


class EventOutcome(enum.StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    STALE = "stale"
    IGNORED = "ignored"
    UNKNOWN_ORGANIZATION = "unknown_organization"


class BillingEvents:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def receive(
        self,
        event_id: str,
        event_type: str,
        payload: Mapping[str, Any],
        event: BillingEvent | None,
    ) -> tuple[EventOutcome, str | None]:
        """Store then apply; returns the outcome and the organization id."""
        async with self._uow() as uow:
            stored_id, _ = await uow.webhook_events.store(
                PROVIDER, event_type, payload, event_id, self._clock.now()
            )
            await uow.commit()
        async with self._uow() as uow:
            stored = await uow.billing.lock_event(stored_id)
            if stored is not None and stored.processed:
                return EventOutcome.DUPLICATE, None
            outcome, org_id = await self._apply(uow, event)
            error = (
                None if outcome is not EventOutcome.UNKNOWN_ORGANIZATION else outcome
            )
            await uow.webhook_events.mark_processed(stored_id, self._clock.now(), error)
            await uow.commit()
        return outcome, org_id

    @staticmethod
    async def _apply(
        uow: UnitOfWork, event: BillingEvent | None
    ) -> tuple[EventOutcome, str | None]:
        if event is None or not event.completed:
            # A type we do not act on, or a checkout that is not a finished,
            # paid subscription checkout (another product's payment).
            return EventOutcome.IGNORED, None
        org_id = await uow.billing.organization_for_event(
            event.organization_ref, event.customer_id, event.subscription_id
        )
        if org_id is None:
            return EventOutcome.UNKNOWN_ORGANIZATION, None
        state = await uow.billing.subscription(org_id, lock=True)
        if state is None:
            return EventOutcome.UNKNOWN_ORGANIZATION, None
        new = apply_event(state, event)
        if new is None:
            return EventOutcome.STALE, org_id
        await uow.billing.save_subscription(org_id, new)
        return EventOutcome.APPLIED, org_id
