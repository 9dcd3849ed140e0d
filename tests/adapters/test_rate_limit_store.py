"""The rate-limit stores: fixed windows counted in memory or in Redis."""

from __future__ import annotations

import uuid

import pytest
import redis.asyncio as redis
from hypothesis import given
from hypothesis import strategies as st

from epoch_adapters.rate_limit import (
    MemoryRateLimitStore,
    RateLimiter,
    RedisRateLimitStore,
    Rule,
)

pytestmark = pytest.mark.anyio

REDIS_URL = "redis://127.0.0.1:6379/15"


class ManualTime:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@given(
    limit=st.integers(min_value=1, max_value=20),
    attempts=st.integers(min_value=0, max_value=60),
)
async def test_exactly_limit_attempts_pass_in_a_window(limit: int, attempts: int):
    limiter = RateLimiter(MemoryRateLimitStore(ManualTime()))
    rule = Rule("t", limit, 60)
    results = [await limiter.hit(rule, "client") for _ in range(attempts)]
    passed = [r for r in results if r is None]
    assert len(passed) == min(attempts, limit)
    assert all(r == 60 for r in results if r is not None)


async def test_the_window_resets_and_retry_after_counts_down():
    clock = ManualTime()
    limiter = RateLimiter(MemoryRateLimitStore(clock))
    rule = Rule("t", 2, 60)
    assert await limiter.hit(rule, "a") is None
    assert await limiter.hit(rule, "a") is None
    clock.now += 20.2
    assert await limiter.hit(rule, "a") == 40  # ceil(39.8)
    assert await limiter.hit(rule, "b") is None  # subjects are separate
    clock.now += 40
    assert await limiter.hit(rule, "a") is None


async def test_rules_with_the_same_subject_do_not_share_a_counter():
    limiter = RateLimiter(MemoryRateLimitStore(ManualTime()))
    assert await limiter.hit(Rule("x", 1, 60), "s") is None
    assert await limiter.hit(Rule("y", 1, 60), "s") is None
    assert await limiter.hit(Rule("x", 1, 60), "s") == 60


@pytest.fixture
async def redis_store():
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=1.0)
    try:
        await client.ping()
    except (redis.ConnectionError, redis.TimeoutError, OSError):
        await client.aclose()
        pytest.skip("Redis is not reachable at 127.0.0.1:6379")
    store = RedisRateLimitStore(client)
    yield store
    await store.close()


async def test_redis_counts_one_window_shared_by_two_processes(redis_store):
    # Two limiters on separate connections stand for two app processes.
    other = RedisRateLimitStore.from_url(REDIS_URL)
    prefix = f"test:{uuid.uuid4().hex}"
    first = RateLimiter(redis_store, prefix)
    second = RateLimiter(other, prefix)
    rule = Rule("login:account", 3, 30)
    try:
        assert await first.hit(rule, "jane@example.com") is None
        assert await second.hit(rule, "jane@example.com") is None
        assert await first.hit(rule, "jane@example.com") is None
        wait = await second.hit(rule, "jane@example.com")
        assert wait is not None
        assert 1 <= wait <= 30
        assert await second.hit(rule, "joe@example.com") is None
    finally:
        await other.close()


async def test_redis_keys_expire_with_their_window_and_hold_no_email(redis_store):
    prefix = f"test:{uuid.uuid4().hex}"
    limiter = RateLimiter(redis_store, prefix)
    await limiter.hit(Rule("w", 5, 7), "jane@example.com")
    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = [k.decode() async for k in client.scan_iter(f"{prefix}:*")]
        [key] = keys
        assert "jane" not in key
        ttl = await client.pttl(key)
        assert 0 < ttl <= 7000
    finally:
        await client.aclose()
