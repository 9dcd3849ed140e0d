"""Ways in: the session cookie, plan gates, and the cron and admin secrets.

`require_session` is the one guard every Session route carries. It resolves
the cookie once per request, keeps the result on the request, and enforces the
route's plan gate (`opt={"min_plan": Tier.PRO}`), answering 403 with the plan
the route needs. A user flagged for a forced password change gets 403 on every
Session route but the password change until the change is made.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import structlog
from litestar import Controller, Request
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency, Provide
from litestar.handlers.base import BaseRouteHandler

from epoch_domain.errors import Forbidden, NotAuthenticated, NotFound
from epoch_domain.plans import Tier, require_tier
from epoch_domain.usecases.accounts import SessionContext

SESSION_COOKIE = "next-auth.session-token"
SECURE_SESSION_COOKIE = "__Secure-next-auth.session-token"
_STATE_KEY = "session_context"
# A user an admin flagged for a forced password change can use only the routes
# whose opt carries this key (the password change itself) until it is done.
ALLOW_PENDING_PASSWORD_CHANGE = "allow_pending_password_change"  # noqa: S105
# A message, not a secret.
PASSWORD_CHANGE_REQUIRED = "A password change is required first"  # noqa: S105

log = structlog.get_logger()


def session_cookie_name(secure: bool) -> str:
    return SECURE_SESSION_COOKIE if secure else SESSION_COOKIE


def session_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    cookies = connection.cookies
    return cookies.get(SECURE_SESSION_COOKIE) or cookies.get(SESSION_COOKIE)


async def require_session(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    token = session_token(connection)
    if not token:
        raise NotAuthenticated()
    accounts = connection.app.state.container.accounts()
    context: SessionContext = await accounts.resolve(token)
    connection.state[_STATE_KEY] = context
    structlog.contextvars.bind_contextvars(
        organization_id=context.organization.id, user_id=context.user.id
    )
    if context.user.must_change_password and not handler.opt.get(
        ALLOW_PENDING_PASSWORD_CHANGE
    ):
        raise Forbidden(PASSWORD_CHANGE_REQUIRED)
    gate: Tier | None = handler.opt.get("min_plan")
    if gate is not None:
        require_tier(context.organization.tier, gate)


def current_session(request: Request[Any, Any, Any]) -> SessionContext:
    """The dependency handlers take as `ctx`; the guard has already run."""
    context = request.state.get(_STATE_KEY)
    if context is None:
        raise NotAuthenticated()
    return context  # type: ignore[no-any-return]


def bearer_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    header = connection.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def secrets_match(given: str, expected: str) -> bool:
    """Constant time, length included: both sides are hashed to 32 bytes
    first, so a wrong guess learns neither content nor length."""
    return hmac.compare_digest(
        hashlib.sha256(given.encode()).digest(),
        hashlib.sha256(expected.encode()).digest(),
    )


async def require_cron_secret(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    expected = connection.app.state.settings.cron_secret
    if not expected:
        # Cron routes are off when no secret is configured.
        raise NotFound("route", connection.url.path)
    if not secrets_match(bearer_token(connection), expected):
        raise NotAuthenticated("A valid cron secret is required")


ADMIN_KEY_HEADER = "x-admin-key"


async def require_admin_key(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """The operator's key in `x-admin-key`, compared in constant time.

    With no ADMIN_API_KEY configured the admin routes do not exist (404), so
    an unconfigured deployment offers nothing to guess at.
    """
    expected = connection.app.state.settings.admin_api_key
    if not expected:
        raise NotFound("route", connection.url.path)
    given = connection.headers.get(ADMIN_KEY_HEADER, "")
    if not secrets_match(given, expected):
        log.warning("auth.admin.refused", path=connection.url.path)
        raise NotAuthenticated("A valid admin key is required")
    structlog.contextvars.bind_contextvars(actor="admin")


# What a Session route declares to receive the caller: `ctx: CurrentSession`.
CurrentSession = NamedDependency[SessionContext]


class SessionController(Controller):
    """Base of every controller whose routes are all Session routes: each
    route is guarded by `require_session` and can take `ctx: CurrentSession`."""

    guards = [require_session]
    dependencies = {"ctx": Provide(current_session, sync_to_thread=False)}
