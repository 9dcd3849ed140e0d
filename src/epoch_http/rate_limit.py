"""Which attempts are rate limited, how much, and the 429 answer.

Each guarded action counts twice: once per client address and once per
account (the normalized email, or the user id). The per-account budget is
smaller, so a guesser spreading over many addresses still meets it, and one
noisy address does not lock everyone behind it out at once.

Counters come from the container's `rate_limiter` (memory by default, Redis
when `REDIS_URL` is set). Client addresses are the ASGI client; behind a
reverse proxy, uvicorn's proxy headers (FORWARDED_ALLOW_IPS) make that the
real caller.
"""

from __future__ import annotations

from typing import Any

import structlog
from litestar import Request
from litestar.exceptions import TooManyRequestsException

from epoch_adapters.rate_limit import RateLimiter, Rule, StoreUnavailable

log = structlog.get_logger()

MINUTE = 60
HOUR = 60 * MINUTE

# (per client, per account) for each action.
LIMITS: dict[str, tuple[Rule, Rule]] = {
    "login": (
        Rule("login:client", 30, 15 * MINUTE),
        Rule("login:account", 10, 15 * MINUTE),
    ),
    "register": (
        Rule("register:client", 20, HOUR),
        Rule("register:account", 10, HOUR),
    ),
    "forgot-password": (
        Rule("forgot:client", 10, HOUR),
        Rule("forgot:account", 5, HOUR),
    ),
    "reset-password": (
        Rule("reset:client", 20, 15 * MINUTE),
        Rule("reset:account", 10, 15 * MINUTE),
    ),
    "magic-link-request": (
        Rule("magic-request:client", 10, HOUR),
        Rule("magic-request:account", 5, HOUR),
    ),
    "magic-link": (
        Rule("magic-redeem:client", 30, 15 * MINUTE),
        Rule("magic-redeem:account", 10, 15 * MINUTE),
    ),
    "change-password": (
        Rule("password:client", 20, 15 * MINUTE),
        Rule("password:account", 10, 15 * MINUTE),
    ),
    # Per client address and per embed token (its digest): a visitor's widget
    # asks about once an hour; a busy page shares one token among many.
    "widget-token": (
        Rule("widget:client", 30, MINUTE),
        Rule("widget:token", 600, MINUTE),
    ),
}


def client_address(request: Request[Any, Any, Any]) -> str:
    client = request.client
    return client.host if client is not None else "unknown"


async def enforce(
    request: Request[Any, Any, Any], action: str, account: str | None = None
) -> None:
    """Count this attempt; raise 429 with Retry-After when over a limit.

    Both counters advance on every attempt, so a refused request still costs
    the caller its place in the window. If the shared store is down the
    attempt is allowed and logged: an outage of Redis must not lock every
    user out (argon2 and the single-use tokens still stand).
    """
    per_client, per_account = LIMITS[action]
    limiter: RateLimiter = request.app.state.container.rate_limiter()
    try:
        waits = [await limiter.hit(per_client, client_address(request))]
        if account:
            waits.append(await limiter.hit(per_account, account.strip().lower()))
    except StoreUnavailable as error:
        log.error("auth.rate_limit.store_unavailable", action=action, error=str(error))
        return
    blocked = [w for w in waits if w is not None]
    if blocked:
        retry_after = max(blocked)
        log.warning("auth.rate_limited", action=action, retry_after=retry_after)
        raise TooManyRequestsException(
            detail="Too many attempts; try again later",
            headers={"Retry-After": str(retry_after)},
        )
