"""US A2P 10DLC registration: the steps before a business may send SMS.

A registration moves through one table, `TRANSITIONS`, driven by two kinds of
event: what the organization does (pay the fee, start the brand registration,
submit a campaign) and what the provider (Twilio) reports about the brand and
the campaign it reviews. The rules the table encodes:

- nothing happens before the registration fee is paid (NOT_STARTED -> PAID);
- a brand registration starts from PAID, or again after a failure
  (BRAND_FAILED or CAMPAIGN_FAILED), never while one is pending or approved;
- a campaign is submitted only once the brand is approved (BRAND_APPROVED), or
  again after the campaign failed;
- while a brand is under review, the provider's word decides its state; once a
  campaign exists, a brand report can only take it down (a suspended brand);
- SMS may be sent only in CAMPAIGN_APPROVED;
- a payment reported again, or a provider report that repeats the current
  state, changes nothing (webhooks and polls repeat themselves).

Any other pair of (state, event) is refused with `IllegalA2PTransition`, or
`A2PPaymentRequired` when the fee has not been paid.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from epoch_domain.errors import A2PPaymentRequired, IllegalA2PTransition


class A2PStatus(enum.StrEnum):
    NOT_STARTED = "NOT_STARTED"
    PAID = "PAID"
    BRAND_PENDING = "BRAND_PENDING"
    BRAND_APPROVED = "BRAND_APPROVED"
    BRAND_FAILED = "BRAND_FAILED"
    CAMPAIGN_PENDING = "CAMPAIGN_PENDING"
    CAMPAIGN_APPROVED = "CAMPAIGN_APPROVED"
    CAMPAIGN_FAILED = "CAMPAIGN_FAILED"


class A2PEvent(enum.StrEnum):
    # What the organization does.
    PAYMENT_COMPLETED = "payment-completed"
    BRAND_SUBMITTED = "brand-submitted"
    CAMPAIGN_SUBMITTED = "campaign-submitted"
    # What the provider reports (see `brand_event` and `campaign_event`).
    BRAND_REPORTED_PENDING = "brand-reported-pending"
    BRAND_REPORTED_APPROVED = "brand-reported-approved"
    BRAND_REPORTED_FAILED = "brand-reported-failed"
    CAMPAIGN_REPORTED_PENDING = "campaign-reported-pending"
    CAMPAIGN_REPORTED_APPROVED = "campaign-reported-approved"
    CAMPAIGN_REPORTED_FAILED = "campaign-reported-failed"

    @property
    def is_action(self) -> bool:
        """Taken by the organization, as opposed to reported by the provider."""
        return self in _ACTIONS


_ACTIONS = frozenset(
    {A2PEvent.PAYMENT_COMPLETED, A2PEvent.BRAND_SUBMITTED, A2PEvent.CAMPAIGN_SUBMITTED}
)

S = A2PStatus
E = A2PEvent

# (state, event) -> next state. A pair that is missing is refused.
TRANSITIONS: dict[tuple[A2PStatus, A2PEvent], A2PStatus] = {
    # Paying the fee opens the way; paying again changes nothing.
    (S.NOT_STARTED, E.PAYMENT_COMPLETED): S.PAID,
    (S.PAID, E.PAYMENT_COMPLETED): S.PAID,
    (S.BRAND_PENDING, E.PAYMENT_COMPLETED): S.BRAND_PENDING,
    (S.BRAND_APPROVED, E.PAYMENT_COMPLETED): S.BRAND_APPROVED,
    (S.BRAND_FAILED, E.PAYMENT_COMPLETED): S.BRAND_FAILED,
    (S.CAMPAIGN_PENDING, E.PAYMENT_COMPLETED): S.CAMPAIGN_PENDING,
    (S.CAMPAIGN_APPROVED, E.PAYMENT_COMPLETED): S.CAMPAIGN_APPROVED,
    (S.CAMPAIGN_FAILED, E.PAYMENT_COMPLETED): S.CAMPAIGN_FAILED,
    # Starting (or retrying) the brand registration.
    (S.PAID, E.BRAND_SUBMITTED): S.BRAND_PENDING,
    (S.BRAND_FAILED, E.BRAND_SUBMITTED): S.BRAND_PENDING,
    (S.CAMPAIGN_FAILED, E.BRAND_SUBMITTED): S.BRAND_PENDING,
    # The brand under review follows the provider's word.
    (S.BRAND_PENDING, E.BRAND_REPORTED_PENDING): S.BRAND_PENDING,
    (S.BRAND_PENDING, E.BRAND_REPORTED_APPROVED): S.BRAND_APPROVED,
    (S.BRAND_PENDING, E.BRAND_REPORTED_FAILED): S.BRAND_FAILED,
    (S.BRAND_APPROVED, E.BRAND_REPORTED_PENDING): S.BRAND_PENDING,
    (S.BRAND_APPROVED, E.BRAND_REPORTED_APPROVED): S.BRAND_APPROVED,
    (S.BRAND_APPROVED, E.BRAND_REPORTED_FAILED): S.BRAND_FAILED,
    (S.BRAND_FAILED, E.BRAND_REPORTED_PENDING): S.BRAND_PENDING,
    (S.BRAND_FAILED, E.BRAND_REPORTED_APPROVED): S.BRAND_APPROVED,
    (S.BRAND_FAILED, E.BRAND_REPORTED_FAILED): S.BRAND_FAILED,
    # With a campaign in place, only a failed (suspended) brand matters.
    (S.CAMPAIGN_PENDING, E.BRAND_REPORTED_PENDING): S.CAMPAIGN_PENDING,
    (S.CAMPAIGN_PENDING, E.BRAND_REPORTED_APPROVED): S.CAMPAIGN_PENDING,
    (S.CAMPAIGN_PENDING, E.BRAND_REPORTED_FAILED): S.BRAND_FAILED,
    (S.CAMPAIGN_APPROVED, E.BRAND_REPORTED_PENDING): S.CAMPAIGN_APPROVED,
    (S.CAMPAIGN_APPROVED, E.BRAND_REPORTED_APPROVED): S.CAMPAIGN_APPROVED,
    (S.CAMPAIGN_APPROVED, E.BRAND_REPORTED_FAILED): S.BRAND_FAILED,
    (S.CAMPAIGN_FAILED, E.BRAND_REPORTED_PENDING): S.CAMPAIGN_FAILED,
    (S.CAMPAIGN_FAILED, E.BRAND_REPORTED_APPROVED): S.CAMPAIGN_FAILED,
    (S.CAMPAIGN_FAILED, E.BRAND_REPORTED_FAILED): S.BRAND_FAILED,
    # Submitting (or resubmitting) a campaign needs an approved brand.
    (S.BRAND_APPROVED, E.CAMPAIGN_SUBMITTED): S.CAMPAIGN_PENDING,
    (S.CAMPAIGN_FAILED, E.CAMPAIGN_SUBMITTED): S.CAMPAIGN_PENDING,
    # The campaign under review follows the provider's word.
    (S.CAMPAIGN_PENDING, E.CAMPAIGN_REPORTED_PENDING): S.CAMPAIGN_PENDING,
    (S.CAMPAIGN_PENDING, E.CAMPAIGN_REPORTED_APPROVED): S.CAMPAIGN_APPROVED,
    (S.CAMPAIGN_PENDING, E.CAMPAIGN_REPORTED_FAILED): S.CAMPAIGN_FAILED,
    (S.CAMPAIGN_APPROVED, E.CAMPAIGN_REPORTED_PENDING): S.CAMPAIGN_PENDING,
    (S.CAMPAIGN_APPROVED, E.CAMPAIGN_REPORTED_APPROVED): S.CAMPAIGN_APPROVED,
    (S.CAMPAIGN_APPROVED, E.CAMPAIGN_REPORTED_FAILED): S.CAMPAIGN_FAILED,
    (S.CAMPAIGN_FAILED, E.CAMPAIGN_REPORTED_PENDING): S.CAMPAIGN_PENDING,
    (S.CAMPAIGN_FAILED, E.CAMPAIGN_REPORTED_APPROVED): S.CAMPAIGN_APPROVED,
    (S.CAMPAIGN_FAILED, E.CAMPAIGN_REPORTED_FAILED): S.CAMPAIGN_FAILED,
}

FAILED_STATES = frozenset({S.BRAND_FAILED, S.CAMPAIGN_FAILED})
# States in which a campaign exists with the provider.
CAMPAIGN_STATES = frozenset(
    {S.CAMPAIGN_PENDING, S.CAMPAIGN_APPROVED, S.CAMPAIGN_FAILED}
)


@dataclass(frozen=True, slots=True)
class A2PRegistration:
    """An organization's registration; the fee is paid in every state after
    NOT_STARTED, and one payment covers retries after a failure."""

    status: A2PStatus = A2PStatus.NOT_STARTED

    @property
    def paid(self) -> bool:
        return self.status is not A2PStatus.NOT_STARTED

    @property
    def can_send_sms(self) -> bool:
        return can_send_sms(self.status)

    @property
    def can_initiate(self) -> bool:
        return (self.status, A2PEvent.BRAND_SUBMITTED) in TRANSITIONS

    @property
    def can_submit_campaign(self) -> bool:
        return (self.status, A2PEvent.CAMPAIGN_SUBMITTED) in TRANSITIONS


def next_state(registration: A2PRegistration | A2PStatus, event: A2PEvent) -> A2PStatus:
    """The state after `event`, or the domain error that forbids it."""
    current = (
        registration.status
        if isinstance(registration, A2PRegistration)
        else registration
    )
    following = TRANSITIONS.get((current, event))
    if following is not None:
        return following
    if current is A2PStatus.NOT_STARTED:
        raise A2PPaymentRequired(current.value, event.value)
    raise IllegalA2PTransition(current.value, event.value, _REFUSALS.get(event, ""))


_REFUSALS = {
    A2PEvent.BRAND_SUBMITTED: (
        "Brand registration can start only after payment, or again after a failure"
    ),
    A2PEvent.CAMPAIGN_SUBMITTED: "Requires brand status to be BRAND_APPROVED first",
}


def can_send_sms(status: A2PStatus) -> bool:
    return status is A2PStatus.CAMPAIGN_APPROVED


# Twilio BrandRegistration.status values. A brand being deleted, or one whose
# deletion failed, can carry no campaign, so both count as failed.
_BRAND_STATUSES = {
    "PENDING": E.BRAND_REPORTED_PENDING,
    "IN_REVIEW": E.BRAND_REPORTED_PENDING,
    "APPROVED": E.BRAND_REPORTED_APPROVED,
    "FAILED": E.BRAND_REPORTED_FAILED,
    "SUSPENDED": E.BRAND_REPORTED_FAILED,
    "DELETION_PENDING": E.BRAND_REPORTED_FAILED,
    "DELETION_FAILED": E.BRAND_REPORTED_FAILED,
}

# Twilio UsAppToPerson.campaign_status values.
_CAMPAIGN_STATUSES = {
    "PENDING": E.CAMPAIGN_REPORTED_PENDING,
    "IN_PROGRESS": E.CAMPAIGN_REPORTED_PENDING,
    "VERIFIED": E.CAMPAIGN_REPORTED_APPROVED,
    "FAILED": E.CAMPAIGN_REPORTED_FAILED,
    "SUSPENDED": E.CAMPAIGN_REPORTED_FAILED,
}


def brand_event(provider_status: str | None) -> A2PEvent | None:
    """The event a brand status from Twilio stands for; None for a status we do
    not know, which should leave the registration as it is."""
    return _BRAND_STATUSES.get((provider_status or "").strip().upper())


def campaign_event(provider_status: str | None) -> A2PEvent | None:
    """The event a campaign status from Twilio stands for; None when unknown."""
    return _CAMPAIGN_STATUSES.get((provider_status or "").strip().upper())
