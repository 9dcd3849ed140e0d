"""The A2P 10DLC registration state machine: the table, the rules it encodes,
and properties over every sequence of events."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from epoch_domain.a2p import (
    CAMPAIGN_STATES,
    TRANSITIONS,
    A2PEvent,
    A2PRegistration,
    A2PStatus,
    brand_event,
    campaign_event,
    can_send_sms,
    next_state,
)
from epoch_domain.errors import A2PPaymentRequired, Conflict, IllegalA2PTransition

S = A2PStatus
E = A2PEvent
BRAND_STATES = {S.BRAND_PENDING, S.BRAND_APPROVED, S.BRAND_FAILED}
PROVIDER_EVENTS = [e for e in A2PEvent if not e.is_action]
events = st.lists(st.sampled_from(list(A2PEvent)), max_size=40)


def run(sequence: list[A2PEvent]) -> list[tuple[A2PStatus, A2PEvent, A2PStatus]]:
    """Apply each event from NOT_STARTED, skipping refused ones; returns the
    accepted steps."""
    state = S.NOT_STARTED
    steps = []
    for event in sequence:
        try:
            following = next_state(A2PRegistration(state), event)
        except IllegalA2PTransition:
            continue
        steps.append((state, event, following))
        state = following
    return steps


# ---------------------------------------------------------------- examples


def test_the_happy_path_runs_from_payment_to_approved_campaign() -> None:
    state = S.NOT_STARTED
    for event, expected in [
        (E.PAYMENT_COMPLETED, S.PAID),
        (E.BRAND_SUBMITTED, S.BRAND_PENDING),
        (brand_event("IN_REVIEW"), S.BRAND_PENDING),
        (brand_event("APPROVED"), S.BRAND_APPROVED),
        (E.CAMPAIGN_SUBMITTED, S.CAMPAIGN_PENDING),
        (campaign_event("IN_PROGRESS"), S.CAMPAIGN_PENDING),
        (campaign_event("VERIFIED"), S.CAMPAIGN_APPROVED),
    ]:
        assert event is not None
        state = next_state(state, event)
        assert state is expected
    assert A2PRegistration(state).can_send_sms


def test_initiating_before_payment_is_refused_as_payment_required() -> None:
    with pytest.raises(A2PPaymentRequired) as caught:
        next_state(A2PRegistration(), E.BRAND_SUBMITTED)
    assert caught.value.current == "NOT_STARTED"
    assert caught.value.attempted == E.BRAND_SUBMITTED.value
    assert "paid" in caught.value.message


def test_a_campaign_before_brand_approval_is_refused_naming_the_rule() -> None:
    with pytest.raises(IllegalA2PTransition) as caught:
        next_state(S.BRAND_PENDING, E.CAMPAIGN_SUBMITTED)
    assert isinstance(caught.value, Conflict)
    assert not isinstance(caught.value, A2PPaymentRequired)
    assert "BRAND_APPROVED" in caught.value.message
    assert caught.value.current == "BRAND_PENDING"


@pytest.mark.parametrize(
    "state",
    [S.BRAND_PENDING, S.BRAND_APPROVED, S.CAMPAIGN_PENDING, S.CAMPAIGN_APPROVED],
)
def test_initiate_is_refused_while_a_registration_is_pending_or_approved(
    state: A2PStatus,
) -> None:
    assert not A2PRegistration(state).can_initiate
    with pytest.raises(IllegalA2PTransition):
        next_state(state, E.BRAND_SUBMITTED)


@pytest.mark.parametrize("state", [S.PAID, S.BRAND_FAILED, S.CAMPAIGN_FAILED])
def test_initiate_is_allowed_after_payment_or_after_a_failure(
    state: A2PStatus,
) -> None:
    assert A2PRegistration(state).can_initiate
    assert next_state(state, E.BRAND_SUBMITTED) is S.BRAND_PENDING


def test_a_failed_campaign_can_be_resubmitted_without_a_new_brand() -> None:
    assert next_state(S.CAMPAIGN_FAILED, E.CAMPAIGN_SUBMITTED) is S.CAMPAIGN_PENDING


def test_a_suspended_brand_stops_an_approved_campaign_from_sending() -> None:
    event = brand_event("SUSPENDED")
    assert event is E.BRAND_REPORTED_FAILED
    assert next_state(S.CAMPAIGN_APPROVED, event) is S.BRAND_FAILED
    assert not can_send_sms(S.BRAND_FAILED)


def test_a_repeated_payment_webhook_changes_nothing() -> None:
    for state in A2PStatus:
        if state is S.NOT_STARTED:
            continue
        assert next_state(state, E.PAYMENT_COMPLETED) is state


def test_registration_is_paid_in_every_state_after_not_started() -> None:
    assert not A2PRegistration().paid
    assert all(A2PRegistration(s).paid for s in A2PStatus if s is not S.NOT_STARTED)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("PENDING", E.BRAND_REPORTED_PENDING),
        ("in_review", E.BRAND_REPORTED_PENDING),
        ("APPROVED", E.BRAND_REPORTED_APPROVED),
        ("FAILED", E.BRAND_REPORTED_FAILED),
        ("SUSPENDED", E.BRAND_REPORTED_FAILED),
        ("DELETION_PENDING", E.BRAND_REPORTED_FAILED),
        ("DELETION_FAILED", E.BRAND_REPORTED_FAILED),
        ("SOMETHING_NEW", None),
        (None, None),
    ],
)
def test_twilio_brand_statuses_map_to_events(
    raw: str | None, expected: A2PEvent | None
) -> None:
    assert brand_event(raw) is expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("PENDING", E.CAMPAIGN_REPORTED_PENDING),
        ("IN_PROGRESS", E.CAMPAIGN_REPORTED_PENDING),
        ("VERIFIED", E.CAMPAIGN_REPORTED_APPROVED),
        ("verified ", E.CAMPAIGN_REPORTED_APPROVED),
        ("FAILED", E.CAMPAIGN_REPORTED_FAILED),
        ("", None),
    ],
)
def test_twilio_campaign_statuses_map_to_events(
    raw: str | None, expected: A2PEvent | None
) -> None:
    assert campaign_event(raw) is expected


def test_the_statuses_are_the_spellings_the_api_shows() -> None:
    assert {s.value for s in A2PStatus} >= {
        "NOT_STARTED",
        "BRAND_PENDING",
        "BRAND_APPROVED",
        "CAMPAIGN_PENDING",
        "CAMPAIGN_APPROVED",
    }


# ---------------------------------------------------------------- the table


def test_every_state_is_reachable_from_not_started_through_the_table() -> None:
    reached = {S.NOT_STARTED}
    frontier = [S.NOT_STARTED]
    while frontier:
        state = frontier.pop()
        for (source, _), target in TRANSITIONS.items():
            if source is state and target not in reached:
                reached.add(target)
                frontier.append(target)
    assert reached == set(A2PStatus)


def test_only_payment_leaves_not_started() -> None:
    leaving = {e for (s, e) in TRANSITIONS if s is S.NOT_STARTED}
    assert leaving == {E.PAYMENT_COMPLETED}


def test_only_a_verified_campaign_report_enters_campaign_approved() -> None:
    entering = {
        e
        for (s, e), t in TRANSITIONS.items()
        if t is S.CAMPAIGN_APPROVED and s is not S.CAMPAIGN_APPROVED
    }
    assert entering == {E.CAMPAIGN_REPORTED_APPROVED}


@given(st.sampled_from(list(A2PStatus)), st.sampled_from(list(A2PEvent)))
def test_next_state_answers_from_the_table_or_refuses(
    state: A2PStatus, event: A2PEvent
) -> None:
    expected = TRANSITIONS.get((state, event))
    if expected is None:
        with pytest.raises(IllegalA2PTransition):
            next_state(state, event)
    else:
        assert next_state(state, event) is expected


# ---------------------------------------------------------------- sequences


@given(events)
def test_no_sequence_takes_a_step_outside_the_table(sequence: list[A2PEvent]) -> None:
    for state, event, following in run(sequence):
        assert TRANSITIONS[(state, event)] is following


@given(events)
def test_sms_is_never_allowed_unless_the_campaign_is_approved(
    sequence: list[A2PEvent],
) -> None:
    for _, _, state in run(sequence):
        assert can_send_sms(state) == (state is S.CAMPAIGN_APPROVED)


@given(events)
def test_payment_comes_before_any_brand_or_campaign_state(
    sequence: list[A2PEvent],
) -> None:
    paid = False
    for _, event, state in run(sequence):
        paid = paid or event is E.PAYMENT_COMPLETED
        if state in BRAND_STATES | CAMPAIGN_STATES:
            assert paid


@given(events)
def test_a_campaign_state_is_only_reached_after_brand_approval(
    sequence: list[A2PEvent],
) -> None:
    brand_approved_once = False
    for _, _, state in run(sequence):
        brand_approved_once = brand_approved_once or state is S.BRAND_APPROVED
        if state in CAMPAIGN_STATES:
            assert brand_approved_once


@given(events, st.sampled_from(PROVIDER_EVENTS))
def test_a_provider_report_repeated_changes_nothing_the_second_time(
    sequence: list[A2PEvent], report: A2PEvent
) -> None:
    steps = run(sequence)
    state = steps[-1][2] if steps else S.NOT_STARTED
    try:
        once = next_state(state, report)
    except IllegalA2PTransition:
        return
    assert next_state(once, report) is once


class A2PRegistrationMachine(RuleBasedStateMachine):
    """Drives one registration with random actions and provider reports and
    checks the rules after every step."""

    def __init__(self) -> None:
        super().__init__()
        self.registration = A2PRegistration()
        self.paid_events = 0
        self.brand_was_approved = False

    def _apply(self, event: A2PEvent) -> None:
        before = self.registration.status
        try:
            after = next_state(self.registration, event)
        except A2PPaymentRequired:
            assert before is S.NOT_STARTED
            return
        except IllegalA2PTransition:
            assert (before, event) not in TRANSITIONS
            return
        if event is E.PAYMENT_COMPLETED:
            self.paid_events += 1
        self.registration = A2PRegistration(after)
        self.brand_was_approved |= after is S.BRAND_APPROVED

    @rule()
    def pay(self) -> None:
        self._apply(E.PAYMENT_COMPLETED)

    @rule()
    def initiate(self) -> None:
        self._apply(E.BRAND_SUBMITTED)

    @rule()
    def submit_campaign(self) -> None:
        self._apply(E.CAMPAIGN_SUBMITTED)

    @rule(status=st.sampled_from(["PENDING", "IN_REVIEW", "APPROVED", "FAILED"]))
    def brand_report(self, status: str) -> None:
        event = brand_event(status)
        assert event is not None
        self._apply(event)

    @rule(status=st.sampled_from(["PENDING", "IN_PROGRESS", "VERIFIED", "FAILED"]))
    def campaign_report(self, status: str) -> None:
        event = campaign_event(status)
        assert event is not None
        self._apply(event)

    @invariant()
    def sms_only_when_campaign_approved(self) -> None:
        status = self.registration.status
        assert self.registration.can_send_sms == (status is S.CAMPAIGN_APPROVED)

    @invariant()
    def nothing_happens_before_payment(self) -> None:
        if self.paid_events == 0:
            assert self.registration.status is S.NOT_STARTED
        else:
            assert self.registration.paid

    @invariant()
    def campaigns_follow_an_approved_brand(self) -> None:
        if self.registration.status in CAMPAIGN_STATES:
            assert self.brand_was_approved


TestA2PRegistrationMachine = A2PRegistrationMachine.TestCase
