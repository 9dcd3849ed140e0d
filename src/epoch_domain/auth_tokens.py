"""One-time tokens mailed to a user: password-reset links and magic sign-in links.

The raw token travels only in the mail; we keep its SHA-256 digest (see
`sessions.token_digest`). A token is good for one use, for one purpose, and for
a short time: a reset link for an hour, a magic link for fifteen minutes.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from epoch_domain.errors import TokenRejected


class TokenKind(enum.StrEnum):
    PASSWORD_RESET = "PASSWORD_RESET"  # noqa: S105 - a kind, not a secret
    MAGIC_LINK = "MAGIC_LINK"


LIFETIME: dict[TokenKind, timedelta] = {
    TokenKind.PASSWORD_RESET: timedelta(hours=1),
    TokenKind.MAGIC_LINK: timedelta(minutes=15),
}

# Labels only: they tell a support person which link a pasted token came from.
PREFIX: dict[TokenKind, str] = {
    TokenKind.PASSWORD_RESET: "rst_",
    TokenKind.MAGIC_LINK: "mgl_",
}


class Rejection(enum.StrEnum):
    """Why a presented token cannot be used; the reset page and the magic-link
    redirect show different advice for each."""

    INVALID = "invalid"
    EXPIRED = "expired"
    USED = "used"


@dataclass(frozen=True, slots=True)
class AuthToken:
    id: str
    kind: TokenKind
    user_id: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None

    @classmethod
    def issue(
        cls, token_id: str, kind: TokenKind, user_id: str, now: datetime
    ) -> AuthToken:
        return cls(token_id, kind, user_id, now, now + LIFETIME[kind])

    def rejection(self, kind: TokenKind, now: datetime) -> Rejection | None:
        """None when the token may be spent now for `kind`."""
        if self.kind is not kind:
            # A magic link is not a reset token, whatever its age.
            return Rejection.INVALID
        if self.used_at is not None:
            return Rejection.USED
        if now >= self.expires_at:
            return Rejection.EXPIRED
        return None


def check_token(token: AuthToken | None, kind: TokenKind, now: datetime) -> AuthToken:
    """The token, if it may be spent now; otherwise `TokenRejected`."""
    if token is None:
        raise TokenRejected(Rejection.INVALID.value)
    problem = token.rejection(kind, now)
    if problem is not None:
        raise TokenRejected(problem.value)
    return token
