"""Domain errors, each named after the business condition that broke.

    EpochError
     ├── ValidationFailed          input that no rule can accept
     │    ├── TokenRejected        a mailed token that is unknown, used or expired
     │    ├── UnknownPromptSection a system-prompt section key that does not exist
     │    └── OnboardingAlreadyCompleted  onboarding steps after completion
     ├── NotFound                  absent, or belongs to another organization
     ├── Conflict                  the thing already exists or is already done
     │    ├── EmailTaken
     │    ├── AssistantAlreadyRegistered
     │    ├── AlreadyCancelled / NoSubscription
     │    ├── NotCancelled / CancellationAlreadyEffective
     │    └── IllegalA2PTransition  the SMS registration cannot take that step
     │         └── A2PPaymentRequired
     ├── PlanRequired              the organization's tier is below a gate
     ├── LimitReached              a plan limit (assistants, minutes) is used up
     ├── NotAuthenticated          no valid session or credential
     ├── Forbidden                 authenticated, but not allowed
     ├── PaymentProviderFailed     the payment provider failed or is unreachable
     └── ProviderUnavailable       another provider (voice platform, telephony,
                                   language model, ...) failed or is unreachable

The HTTP layer maps each branch to a status code in one table; the domain knows
nothing about status codes.
"""

from __future__ import annotations


class EpochError(Exception):
    """Root of every error the domain raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationFailed(EpochError):
    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class UnknownPromptSection(ValidationFailed):
    def __init__(
        self, key: str, known: tuple[str, ...], field: str = "section"
    ) -> None:
        super().__init__(field, f"unknown section {key!r}; known: {', '.join(known)}")
        self.key = key


class TokenRejected(ValidationFailed):
    """A reset or magic-link token that cannot be spent; `reason` is one of
    "invalid", "expired", "used"."""

    _TEXT = {
        "invalid": "is not valid",
        "expired": "has expired",
        "used": "has already been used",
    }

    def __init__(self, reason: str) -> None:
        super().__init__("token", self._TEXT.get(reason, "is not valid"))
        self.reason = reason


class NotFound(EpochError):
    def __init__(self, what: str, key: str) -> None:
        super().__init__(f"{what} not found")
        self.what = what
        self.key = key


class Conflict(EpochError):
    """The thing already exists or the action was already taken."""


class EmailTaken(Conflict):
    def __init__(self) -> None:
        super().__init__("An account with this email already exists")


class AssistantAlreadyRegistered(Conflict):
    def __init__(self, vapi_assistant_id: str) -> None:
        super().__init__("This VAPI assistant is already registered")
        self.vapi_assistant_id = vapi_assistant_id


class AlreadyCancelled(Conflict):
    def __init__(self) -> None:
        super().__init__("The subscription is already cancelled")


class NoSubscription(Conflict):
    def __init__(self) -> None:
        super().__init__("The organization has no paid subscription to cancel")


class NotCancelled(Conflict):
    def __init__(self) -> None:
        super().__init__("The subscription has no pending cancellation")


class CancellationAlreadyEffective(Conflict):
    def __init__(self) -> None:
        super().__init__("The cancellation has already taken effect")


class PaymentProviderFailed(EpochError):
    """The payment provider could not be reached or refused the request."""


class IllegalA2PTransition(Conflict):
    """The SMS registration is not in a state that allows this step."""

    def __init__(self, current: str, attempted: str, message: str = "") -> None:
        super().__init__(
            message
            or f"The SMS registration cannot take the step {attempted!r} "
            f"while its status is {current}"
        )
        self.current = current
        self.attempted = attempted


class A2PPaymentRequired(IllegalA2PTransition):
    """Nothing in the SMS registration happens before its fee is paid."""

    def __init__(self, current: str, attempted: str) -> None:
        super().__init__(
            current, attempted, "The A2P registration fee must be paid first"
        )


class PlanRequired(EpochError):
    def __init__(self, required: str, current: str) -> None:
        super().__init__(f"This feature requires the {required} plan or higher")
        self.required = required
        self.current = current


class LimitReached(EpochError):
    def __init__(self, limit: str, allowed: int, plan: str) -> None:
        super().__init__(f"Limit of {limit} reached: the {plan} plan allows {allowed}")
        self.limit = limit
        self.allowed = allowed
        self.plan = plan


class NotAuthenticated(EpochError):
    def __init__(self, message: str = "Authentication required") -> None:
        super().__init__(message)


class Forbidden(EpochError):
    """Authenticated, but this caller may not do this."""


class OnboardingAlreadyCompleted(ValidationFailed):
    """Onboarding steps (saving data, analysing a website) after completion."""

    def __init__(self) -> None:
        super().__init__("onboarding", "has already been completed")


class ProviderUnavailable(EpochError):
    """An outside provider (voice platform, telephony, language model, website,
    document reader, voice catalog) failed or could not be reached."""

    def __init__(self, provider: str, detail: str = "") -> None:
        text = f"The {provider} is unavailable"
        super().__init__(f"{text}: {detail}" if detail else text)
        self.provider = provider
        self.detail = detail
