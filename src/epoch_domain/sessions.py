"""Login sessions: opaque tokens held by the browser, hashes held by us.

A session ends at whichever comes first: its absolute lifetime, a period of
inactivity, or revocation (sign-out, password change, password reset).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

ABSOLUTE_LIFETIME = timedelta(days=30)
IDLE_TIMEOUT = timedelta(days=7)
# Writing last-seen on every request would turn reads into writes; a coarse
# refresh keeps the idle clock honest within this margin.
TOUCH_INTERVAL = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class AuthSession:
    id: str
    user_id: str
    organization_id: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None

    def is_live(self, now: datetime) -> bool:
        return (
            self.revoked_at is None
            and now < self.expires_at
            and now - self.last_seen_at < IDLE_TIMEOUT
        )

    def needs_touch(self, now: datetime) -> bool:
        return now - self.last_seen_at >= TOUCH_INTERVAL

    @property
    def idle_expiry(self) -> datetime:
        return min(self.expires_at, self.last_seen_at + IDLE_TIMEOUT)


def token_digest(token: str) -> str:
    """What we store for a bearer token: its SHA-256. Tokens carry 256 bits of
    randomness, so a fast hash is enough; no salt or stretching is needed."""
    return hashlib.sha256(token.encode()).hexdigest()
