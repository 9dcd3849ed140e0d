"""Plan tiers, what each includes, and the gates the API reference puts on routes.

The whole catalog is the table `CATALOG` below; a reader can check it against
the "Starter+", "Advanced+", "Pro+" and "Enterprise" marks of the spec at a
glance. Tiers are ordered, so a gate is simply "at least this tier".
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from epoch_domain.errors import PlanRequired, ValidationFailed


class Tier(enum.IntEnum):
    """Ordered tiers: comparing two tiers compares what they buy."""

    FREE = 0
    STARTER = 1
    ADVANCED = 2
    PRO = 3
    ENTERPRISE = 4

    @classmethod
    def parse(cls, value: str) -> Tier:
        try:
            return cls[value.strip().upper()]
        except KeyError:
            names = ", ".join(t.name for t in cls)
            raise ValidationFailed("plan", f"must be one of {names}") from None


class Feature(enum.StrEnum):
    TRANSCRIPTS = "transcripts"
    RECORDINGS = "recordings"
    ANALYTICS = "analytics"
    OUTBOUND = "outbound"
    KNOWLEDGE_BASE = "knowledgeBase"
    VOICE_EDIT = "voiceEdit"
    PROMPT_EDIT = "promptEdit"
    CALENDAR = "calendar"
    ASSISTANT_NAME = "assistantName"
    SMS = "sms"
    EMBED = "embed"
    BROWSER_CALLING = "browserCalling"


@dataclass(frozen=True, slots=True)
class Plan:
    tier: Tier
    included_minutes: int
    assistant_limit: int
    overage_cents_per_minute: int
    # A tier without overage stops at its included minutes instead of billing.
    overage_allowed: bool
    features: frozenset[Feature]

    def has(self, feature: Feature) -> bool:
        return feature in self.features

    def feature_flags(self) -> dict[str, bool]:
        return {f.value: f in self.features for f in Feature}


def _features_from(tier: Tier) -> frozenset[Feature]:
    return frozenset(f for f, gate in FEATURE_GATES.items() if tier >= gate)


# The lowest tier that unlocks each feature; matches the spec's route marks.
FEATURE_GATES: dict[Feature, Tier] = {
    Feature.TRANSCRIPTS: Tier.STARTER,
    Feature.KNOWLEDGE_BASE: Tier.STARTER,
    Feature.RECORDINGS: Tier.ADVANCED,
    Feature.VOICE_EDIT: Tier.ADVANCED,
    Feature.PROMPT_EDIT: Tier.ADVANCED,
    Feature.CALENDAR: Tier.ADVANCED,
    Feature.ANALYTICS: Tier.PRO,
    Feature.ASSISTANT_NAME: Tier.PRO,
    Feature.SMS: Tier.PRO,
    Feature.EMBED: Tier.PRO,
    Feature.OUTBOUND: Tier.ENTERPRISE,
    Feature.BROWSER_CALLING: Tier.ENTERPRISE,
}

#   tier               minutes  assistants  overage c/min  overage
_ROWS: tuple[tuple[Tier, int, int, int, bool], ...] = (
    (Tier.FREE, 30, 1, 0, False),
    (Tier.STARTER, 200, 1, 40, True),
    (Tier.ADVANCED, 350, 2, 35, True),
    (Tier.PRO, 500, 5, 30, True),
    (Tier.ENTERPRISE, 2000, 25, 25, True),
)

CATALOG: dict[Tier, Plan] = {
    tier: Plan(tier, minutes, assistants, rate, overage, _features_from(tier))
    for tier, minutes, assistants, rate, overage in _ROWS
}


def plan_for(tier: Tier) -> Plan:
    return CATALOG[tier]


# The spec's plan-marked routes, method and path, with their gate.
ROUTE_GATES: dict[tuple[str, str], Tier] = {
    ("PUT", "/api/assistant-name"): Tier.PRO,
    ("PUT", "/api/voice"): Tier.ADVANCED,
    ("PUT", "/api/prompt"): Tier.ADVANCED,
    ("POST", "/api/prompt/regenerate"): Tier.ADVANCED,
    ("PUT", "/api/kb"): Tier.STARTER,
    ("DELETE", "/api/kb"): Tier.STARTER,
    ("GET", "/api/calls/browser-token"): Tier.ENTERPRISE,
    ("POST", "/api/calls/outbound"): Tier.ENTERPRISE,
    ("POST", "/api/sms/send"): Tier.PRO,
    ("PUT", "/api/transfer-number"): Tier.ADVANCED,
    ("POST", "/api/calendar/connect"): Tier.ADVANCED,
    ("GET", "/api/embed-token"): Tier.PRO,
    ("POST", "/api/embed-token"): Tier.PRO,
    ("POST", "/api/a2p/initiate"): Tier.PRO,
    ("POST", "/api/a2p/checkout"): Tier.PRO,
    ("POST", "/api/a2p/campaign"): Tier.PRO,
}


def require_tier(current: Tier, required: Tier) -> None:
    """Raise `PlanRequired` naming the tier a gate asks for."""
    if current < required:
        raise PlanRequired(required.name, current.name)
