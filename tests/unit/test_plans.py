"""The plan catalog: ordered tiers, feature gates that agree with the spec's
route marks, and limits that only grow with the tier."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from epoch_domain.errors import PlanRequired, ValidationFailed
from epoch_domain.plans import (
    CATALOG,
    FEATURE_GATES,
    ROUTE_GATES,
    Feature,
    Tier,
    plan_for,
    require_tier,
)

tiers = st.sampled_from(list(Tier))

# The spec's plan marks ("Starter+", "Advanced+", "Pro+", "Enterprise"), copied
# from the endpoint reference, and the feature each marked route belongs to.
SPEC_MARKS: dict[tuple[str, str], tuple[Tier, Feature | None]] = {
    ("PUT", "/api/assistant-name"): (Tier.PRO, Feature.ASSISTANT_NAME),
    ("PUT", "/api/voice"): (Tier.ADVANCED, Feature.VOICE_EDIT),
    ("PUT", "/api/prompt"): (Tier.ADVANCED, Feature.PROMPT_EDIT),
    ("POST", "/api/prompt/regenerate"): (Tier.ADVANCED, Feature.PROMPT_EDIT),
    ("PUT", "/api/kb"): (Tier.STARTER, Feature.KNOWLEDGE_BASE),
    ("DELETE", "/api/kb"): (Tier.STARTER, Feature.KNOWLEDGE_BASE),
    ("GET", "/api/calls/browser-token"): (Tier.ENTERPRISE, Feature.BROWSER_CALLING),
    ("POST", "/api/calls/outbound"): (Tier.ENTERPRISE, Feature.OUTBOUND),
    ("POST", "/api/sms/send"): (Tier.PRO, Feature.SMS),
    # No feature flag of its own: the spec's canEdit is "Advanced and above".
    ("PUT", "/api/transfer-number"): (Tier.ADVANCED, None),
    ("POST", "/api/calendar/connect"): (Tier.ADVANCED, Feature.CALENDAR),
    ("GET", "/api/embed-token"): (Tier.PRO, Feature.EMBED),
    ("POST", "/api/embed-token"): (Tier.PRO, Feature.EMBED),
    ("POST", "/api/a2p/initiate"): (Tier.PRO, Feature.SMS),
    ("POST", "/api/a2p/checkout"): (Tier.PRO, Feature.SMS),
    ("POST", "/api/a2p/campaign"): (Tier.PRO, Feature.SMS),
}


def test_tiers_are_ordered_from_free_to_enterprise() -> None:
    assert sorted(Tier) == [
        Tier.FREE,
        Tier.STARTER,
        Tier.ADVANCED,
        Tier.PRO,
        Tier.ENTERPRISE,
    ]


def test_the_route_gates_are_exactly_the_spec_marks() -> None:
    assert {route: gate for route, (gate, _) in SPEC_MARKS.items()} == ROUTE_GATES


@pytest.mark.parametrize(
    "route", sorted(r for r, (_, feature) in SPEC_MARKS.items() if feature)
)
def test_each_gated_route_agrees_with_its_features_gate(
    route: tuple[str, str],
) -> None:
    gate, feature = SPEC_MARKS[route]
    assert feature is not None
    assert FEATURE_GATES[feature] == gate


@given(tiers, st.sampled_from(sorted(ROUTE_GATES)))
def test_a_tier_passes_a_route_gate_exactly_when_it_has_the_feature(
    tier: Tier, route: tuple[str, str]
) -> None:
    gate, feature = SPEC_MARKS[route]
    passes = True
    try:
        require_tier(tier, ROUTE_GATES[route])
    except PlanRequired:
        passes = False
    assert passes is (tier >= gate)
    if feature is not None:
        assert passes is plan_for(tier).has(feature)


def test_every_feature_has_a_gate_and_every_tier_a_plan() -> None:
    assert set(FEATURE_GATES) == set(Feature)
    assert set(CATALOG) == set(Tier)


@given(tiers, tiers)
def test_a_higher_tier_never_buys_less(lower: Tier, higher: Tier) -> None:
    if lower > higher:
        lower, higher = higher, lower
    low, high = plan_for(lower), plan_for(higher)
    assert low.included_minutes <= high.included_minutes
    assert low.assistant_limit <= high.assistant_limit
    assert low.features <= high.features
    assert not low.overage_allowed or high.overage_allowed


@given(tiers)
def test_a_tier_with_overage_charges_a_positive_rate(tier: Tier) -> None:
    plan = plan_for(tier)
    assert (plan.overage_cents_per_minute > 0) is plan.overage_allowed


@given(tiers, tiers)
def test_require_tier_names_the_required_and_current_plan(
    current: Tier, required: Tier
) -> None:
    if current >= required:
        require_tier(current, required)
        return
    with pytest.raises(PlanRequired) as caught:
        require_tier(current, required)
    assert (caught.value.required, caught.value.current) == (
        required.name,
        current.name,
    )


@given(tiers)
def test_feature_flags_list_every_feature_by_its_api_name(tier: Tier) -> None:
    flags = plan_for(tier).feature_flags()
    assert set(flags) == {f.value for f in Feature}
    assert all(flags[f.value] == (tier >= FEATURE_GATES[f]) for f in Feature)


def test_the_spec_example_pro_plan_has_analytics_but_not_outbound() -> None:
    flags = plan_for(Tier.PRO).feature_flags()
    assert flags["transcripts"]
    assert flags["analytics"]
    assert not flags["outbound"]
    assert plan_for(Tier.PRO).included_minutes == 500


@pytest.mark.parametrize("raw", ["pro", " PRO ", "Pro"])
def test_tier_names_parse_in_any_case(raw: str) -> None:
    assert Tier.parse(raw) is Tier.PRO


def test_an_unknown_tier_name_is_refused_naming_the_choices() -> None:
    with pytest.raises(ValidationFailed) as caught:
        Tier.parse("PLATINUM")
    assert caught.value.field == "plan"
    assert "ENTERPRISE" in caught.value.problem
