"""Payment provider events: stored by their id first, then applied once.

Each event is kept as received (unique per provider and event id) before it is
acted on. Applying it locks the stored row, so two deliveries of one event
serialize and the second finds it processed. The organization's row is locked
too, and an event older than the newest applied one changes nothing.

An event that cannot be applied as it stands (its fields are not what the
provider sends, its organization is unknown, or it would give the
organization a provider customer that another organization holds) is
marked processed with the reason in its `error`, and changes nothing: the
provider is answered as for any other event, so it stops redelivering
something a retry cannot fix, and an operator finds the row.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from epoch_domain.ports import Clock, UnitOfWork, UnitOfWorkFactory
from epoch_domain.subscription import BillingEvent, SubscriptionState, apply_event

PROVIDER = "stripe"


class EventOutcome(enum.StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    STALE = "stale"
    IGNORED = "ignored"
    UNKNOWN_ORGANIZATION = "unknown_organization"
    CUSTOMER_CONFLICT = "customer_conflict"
    UNREADABLE = "unreadable"


@dataclass(frozen=True, slots=True)
class Received:
    outcome: EventOutcome
    organization_id: str | None = None
    # CUSTOMER_CONFLICT: the organization that already holds the customer id.
    other_organization_id: str | None = None
    # Kept on the stored event when it could not be applied.
    error: str | None = None


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
    ) -> Received:
        """Store then apply; returns the outcome and the organization id."""
        async with self._uow() as uow:
            stored_id, _ = await uow.webhook_events.store(
                PROVIDER, event_type, payload, event_id, self._clock.now()
            )
            await uow.commit()
        async with self._uow() as uow:
            stored = await uow.billing.lock_event(stored_id)
            if stored is not None and stored.processed:
                return Received(EventOutcome.DUPLICATE)
            result = await self._apply(uow, event)
            await uow.webhook_events.mark_processed(
                stored_id, self._clock.now(), result.error
            )
            await uow.commit()
        return result

    @staticmethod
    async def _apply(uow: UnitOfWork, event: BillingEvent | None) -> Received:
        if event is not None and event.problem is not None:
            return Received(
                EventOutcome.UNREADABLE, error=f"unreadable: {event.problem}"
            )
        if event is None or not event.completed:
            # A type we do not act on, or a checkout that is not a finished,
            # paid subscription checkout (another product's payment).
            return Received(EventOutcome.IGNORED)
        unknown = Received(
            EventOutcome.UNKNOWN_ORGANIZATION,
            error=EventOutcome.UNKNOWN_ORGANIZATION.value,
        )
        org_id = await uow.billing.organization_for_event(
            event.organization_ref, event.customer_id, event.subscription_id
        )
        if org_id is None:
            return unknown
        state = await uow.billing.subscription(org_id, lock=True)
        if state is None:
            return unknown
        new = apply_event(state, event)
        if new is None:
            return Received(EventOutcome.STALE, org_id)
        holder = await _other_holder(uow, org_id, state, new)
        if holder is not None:
            return Received(
                EventOutcome.CUSTOMER_CONFLICT,
                org_id,
                holder,
                f"customer_conflict: customer {new.customer_id} belongs to "
                f"organization {holder}",
            )
        await uow.billing.save_subscription(org_id, new)
        return Received(EventOutcome.APPLIED, org_id)


async def _other_holder(
    uow: UnitOfWork, org_id: str, old: SubscriptionState, new: SubscriptionState
) -> str | None:
    """Another organization already holding the customer id `new` would give
    this one (one provider customer pays for one organization)."""
    if new.customer_id is None or new.customer_id == old.customer_id:
        return None
    holder = await uow.billing.organization_with_customer(new.customer_id)
    return holder if holder not in (None, org_id) else None
