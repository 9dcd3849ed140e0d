"""Attempt counters for rate limits: fixed windows in memory or in Redis.

A rule allows `limit` hits per `window` seconds for one subject (a client
address, an account's email). Counters live in a store: the memory store is
per process (fine for one worker and for tests); the Redis store is shared by
every process that points at the same `REDIS_URL`.

Fixed windows are simple and cheap (one INCR); their known weakness is a burst
of up to twice the limit across a window boundary, which is acceptable for
slowing down password guessing and mail flooding.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import redis.asyncio as redis


class StoreUnavailable(Exception):
    """The counters could not be read or written (e.g. Redis is down)."""


@dataclass(frozen=True, slots=True)
class Hit:
    count: int
    resets_in: float  # seconds until this window's counter starts again


class RateLimitStore(Protocol):
    async def hit(self, key: str, window: int) -> Hit:
        """Count one attempt in the current window of `key`; raise
        `StoreUnavailable` when the counters cannot be reached."""

    async def close(self) -> None: ...


class MemoryRateLimitStore:
    def __init__(self, now: Callable[[], float] = time.monotonic) -> None:
        self._now = now
        self._windows: dict[str, tuple[int, float]] = {}

    async def hit(self, key: str, window: int) -> Hit:
        now = self._now()
        count, ends = self._windows.get(key, (0, 0.0))
        if now >= ends:
            count, ends = 0, now + window
            if len(self._windows) > 10_000:
                self._prune(now)
        count += 1
        self._windows[key] = (count, ends)
        return Hit(count, ends - now)

    def _prune(self, now: float) -> None:
        for key in [k for k, (_, ends) in self._windows.items() if ends <= now]:
            del self._windows[key]

    async def close(self) -> None:
        self._windows.clear()


class RedisRateLimitStore:
    """One round trip per attempt: create the window if absent (with its
    expiry), count, and read the time left, in one MULTI."""

    def __init__(self, client: redis.Redis) -> None:
        self._client = client

    @classmethod
    def from_url(cls, url: str) -> RedisRateLimitStore:
        return cls(redis.Redis.from_url(url, socket_timeout=2.0))

    async def hit(self, key: str, window: int) -> Hit:
        try:
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.set(key, 0, px=window * 1000, nx=True)
                pipe.incr(key)
                pipe.pttl(key)
                _, count, ttl_ms = await pipe.execute()
            if ttl_ms < 0:
                # The key outlived its expiry somehow (e.g. a restored dump):
                # give it one so it cannot block forever.
                await self._client.pexpire(key, window * 1000)
                ttl_ms = window * 1000
        except (redis.RedisError, OSError) as error:
            raise StoreUnavailable(type(error).__name__) from error
        return Hit(int(count), ttl_ms / 1000)

    async def close(self) -> None:
        await self._client.aclose()


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    limit: int
    window: int  # seconds


class RateLimiter:
    def __init__(self, store: RateLimitStore, prefix: str = "epoch:rl") -> None:
        self._store = store
        self._prefix = prefix

    @property
    def store(self) -> RateLimitStore:
        return self._store

    async def hit(self, rule: Rule, subject: str) -> int | None:
        """Count an attempt; None when allowed, else the whole seconds to wait.

        Subjects (addresses, emails) are hashed into the key, so the store
        never holds who tried.
        """
        digest = hashlib.sha256(subject.encode()).hexdigest()[:32]
        hit = await self._store.hit(f"{self._prefix}:{rule.name}:{digest}", rule.window)
        if hit.count <= rule.limit:
            return None
        return max(1, math.ceil(hit.resets_in))


def build_rate_limiter(redis_url: str | None) -> RateLimiter:
    if redis_url:
        return RateLimiter(RedisRateLimitStore.from_url(redis_url))
    return RateLimiter(MemoryRateLimitStore())
