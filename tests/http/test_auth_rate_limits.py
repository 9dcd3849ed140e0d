"""Rate limits on the ways in: 429 with Retry-After, per client and per
account, each action on its own budget."""

from __future__ import annotations

import pytest
import redis.asyncio as redis
from litestar.testing import AsyncTestClient

from epoch_adapters.rate_limit import RedisRateLimitStore
from epoch_adapters.settings import Settings
from epoch_http.rate_limit import LIMITS
from tests.http.auth_support import client_for, login
from tests.http.helpers import register

pytestmark = pytest.mark.anyio


def _limit(action: str, which: int) -> int:
    return LIMITS[action][which].limit


def _assert_429(response, window: int) -> None:
    assert response.status_code == 429, response.text
    retry_after = int(response.headers["retry-after"])
    assert 1 <= retry_after <= window
    assert response.json()["detail"] == "Too many attempts; try again later"


async def test_password_guessing_on_one_account_is_stopped(client: AsyncTestClient):
    account = await register(client)
    per_account = _limit("login", 1)
    for _ in range(per_account):
        assert (await login(client, account.email, "wrong-guess")).status_code == 401

    blocked = await login(client, account.email, account.password)

    _assert_429(blocked, LIMITS["login"][1].window)
    # The budget is per account: another account from the same client is fine.
    other = await register(client)
    assert (await login(client, other.email, other.password)).status_code == 200


async def test_the_account_budget_ignores_email_case_and_spaces(
    client: AsyncTestClient,
):
    account = await register(client, email="case@example.com")
    for n in range(_limit("login", 1)):
        variant = "CASE@example.com" if n % 2 else " case@Example.com"
        await login(client, variant, "wrong-guess")
    _assert_429(await login(client, account.email, account.password), 900)


async def test_one_client_spraying_many_accounts_is_stopped(client: AsyncTestClient):
    per_client = _limit("login", 0)
    for n in range(per_client):
        response = await login(client, f"spray-{n}@example.com", "guess-1234")
        assert response.status_code == 401

    _assert_429(await login(client, "spray-last@example.com", "guess-1234"), 900)


async def test_forgot_password_is_limited_per_account_with_the_same_answer_before(
    client: AsyncTestClient,
):
    for _ in range(_limit("forgot-password", 1)):
        response = await client.post(
            "/api/auth/forgot-password", json={"email": "flood@example.com"}
        )
        assert response.status_code == 200
    blocked = await client.post(
        "/api/auth/forgot-password", json={"email": "flood@example.com"}
    )
    _assert_429(blocked, 3600)
    # An unknown and a known address are limited alike: no enumeration here.
    await register(client, email="real@example.com")
    for _ in range(_limit("forgot-password", 1)):
        await client.post(
            "/api/auth/forgot-password", json={"email": "real@example.com"}
        )
    blocked_real = await client.post(
        "/api/auth/forgot-password", json={"email": "real@example.com"}
    )
    assert blocked_real.status_code == 429


async def test_forgot_password_is_limited_per_client(client: AsyncTestClient):
    for n in range(_limit("forgot-password", 0)):
        await client.post(
            "/api/auth/forgot-password", json={"email": f"f{n}@example.com"}
        )
    blocked = await client.post(
        "/api/auth/forgot-password", json={"email": "fresh@example.com"}
    )
    _assert_429(blocked, 3600)


async def test_magic_link_requests_are_limited(client: AsyncTestClient):
    for _ in range(_limit("magic-link-request", 1)):
        ok = await client.post(
            "/api/auth/magic-link/request", json={"email": "m@example.com"}
        )
        assert ok.status_code == 200
    blocked = await client.post(
        "/api/auth/magic-link/request", json={"email": "m@example.com"}
    )
    _assert_429(blocked, 3600)


async def test_magic_link_guessing_is_limited(client: AsyncTestClient):
    for _ in range(_limit("magic-link", 0)):
        guess = await client.get(
            "/api/auth/magic-link?token=mgl_guess", follow_redirects=False
        )
        assert guess.status_code == 302
    blocked = await client.get("/api/auth/magic-link?token=mgl_guess")
    _assert_429(blocked, 900)


async def test_registration_is_limited_per_client(client: AsyncTestClient):
    for n in range(_limit("register", 0)):
        await register(client, email=f"reg-{n}@example.com")
    blocked = await client.post(
        "/api/auth/register",
        json={
            "name": "Late",
            "email": "reg-late@example.com",
            "password": "securepass123",
            "organizationName": "Late Org",
        },
    )
    _assert_429(blocked, 3600)


async def test_budgets_are_per_action(client: AsyncTestClient):
    for _ in range(_limit("forgot-password", 1)):
        await client.post(
            "/api/auth/forgot-password", json={"email": "mix@example.com"}
        )
    assert (
        await client.post(
            "/api/auth/forgot-password", json={"email": "mix@example.com"}
        )
    ).status_code == 429
    # Logging in is another budget.
    account = await register(client, email="other-action@example.com")
    assert (await login(client, account.email, account.password)).status_code == 200


async def test_with_redis_url_the_limits_live_in_redis(settings: Settings):
    url = "redis://127.0.0.1:6379/14"
    probe = redis.Redis.from_url(url, socket_timeout=1.0)
    try:
        await probe.ping()
    except (redis.ConnectionError, redis.TimeoutError, OSError):
        await probe.aclose()
        pytest.skip("Redis is not reachable at 127.0.0.1:6379")
    # This database is this test's alone; start from empty windows.
    async for key in probe.scan_iter("epoch:rl:*"):
        await probe.delete(key)
    try:
        async with client_for(settings, redis_url=url) as client:
            store = client.app.state.container.rate_limiter().store
            assert isinstance(store, RedisRateLimitStore)
            account = await register(client)
            for _ in range(_limit("login", 1)):
                await login(client, account.email, "wrong-guess")
            _assert_429(await login(client, account.email, account.password), 900)
        keys = [k async for k in probe.scan_iter("epoch:rl:login:account:*")]
        assert len(keys) == 1
    finally:
        await probe.aclose()


async def test_an_unreachable_redis_lets_logins_through(settings: Settings):
    from tests.smtp_server import free_port

    url = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    async with client_for(settings, redis_url=url) as client:
        account = await register(client)
        response = await login(client, account.email, account.password)
    assert response.status_code == 200
