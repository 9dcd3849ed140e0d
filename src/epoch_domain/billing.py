"""What the billing use cases exchange with the payment provider and the
billing repository: checkout and charge requests, charge outcomes, and the
organizations the overage job works on."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from epoch_domain.overage import CycleOverage, OverageRecord
from epoch_domain.plans import Tier


@dataclass(frozen=True, slots=True)
class CheckoutRequest:
    organization_id: str
    tier: Tier
    customer_id: str | None
    customer_email: str | None
    success_url: str
    cancel_url: str
    # The live subscription to move to the new price, instead of a second one.
    subscription_id: str | None = None


@dataclass(frozen=True, slots=True)
class PortalRequest:
    organization_id: str
    customer_id: str | None
    tier: Tier
    return_url: str
    subscription_id: str | None = None


@dataclass(frozen=True, slots=True)
class Charge:
    organization_id: str
    customer_id: str
    amount_cents: int
    idempotency_key: str
    description: str
    currency: str = "usd"
    metadata: Mapping[str, str] = field(default_factory=dict)


class ChargeOutcome(enum.StrEnum):
    SUCCEEDED = "SUCCEEDED"
    # The card or bank said no: nothing was charged, a retry is a new payment.
    DECLINED = "DECLINED"
    # Unknown outcome (timeout, 5xx): the same key must be sent again.
    ERROR = "ERROR"


@dataclass(frozen=True, slots=True)
class ChargeResult:
    outcome: ChargeOutcome
    payment_id: str | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class BillingCandidate:
    """An organization with overage not yet on a record, its cycles locked."""

    organization_id: str
    tier: Tier
    overage_enabled: bool
    cycles: Sequence[CycleOverage]


@dataclass(frozen=True, slots=True)
class PendingCharge:
    record: OverageRecord
    customer_id: str | None


@dataclass(frozen=True, slots=True)
class ChargeAttempt:
    """One try of one record's charge, as it will be recorded."""

    record: OverageRecord
    key: str
    result: ChargeResult
    next_attempt_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class StoredEvent:
    id: str
    processed: bool
