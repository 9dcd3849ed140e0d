"""Clock, identifiers and tokens, and password hashing."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime

import anyio.to_thread
from argon2 import PasswordHasher as Argon2
from argon2.exceptions import InvalidHashError, VerificationError


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class SystemSecrets:
    def new_id(self) -> str:
        return str(uuid.uuid4())

    def token(self, prefix: str = "") -> str:
        # 32 bytes: 256 bits, far beyond guessing and fine as a table key.
        return prefix + secrets.token_urlsafe(32)


class Argon2PasswordHasher:
    """argon2id, run in a worker thread: one hash costs tens of milliseconds of
    CPU and would otherwise stall every request on the event loop."""

    def __init__(
        self, time_cost: int = 2, memory_cost: int = 19_456, parallelism: int = 1
    ) -> None:
        # OWASP's argon2id floor (19 MiB, t=2, p=1): about a tenth of the
        # library default's CPU, so a core can serve more than a few logins/s.
        self._argon = Argon2(
            time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism
        )

    async def hash(self, password: str) -> str:
        return await anyio.to_thread.run_sync(self._argon.hash, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        def check() -> bool:
            try:
                return self._argon.verify(password_hash, password)
            except (VerificationError, InvalidHashError):
                return False

        return await anyio.to_thread.run_sync(check)
