"""Cross-site request forgery: the login form's token and origin checks.

The NextAuth-style CSRF token of the login form (double submit, signed):

`GET /api/auth/csrf` hands out a random token and sets a cookie holding the
token and its HMAC under a server secret. A login must send the same token in
its body; a site that cannot read our cookies cannot produce it, and a cookie
planted by a sibling domain fails the HMAC.

Every other state-changing request that carries the session cookie passes
`OriginCheckMiddleware`: its Origin (or Referer) must be this service, the
APP_URL or one of TRUSTED_ORIGINS.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any
from urllib.parse import urlsplit

import structlog
from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.exceptions import PermissionDeniedException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from epoch_http.security import SECURE_SESSION_COOKIE, SESSION_COOKIE

log = structlog.get_logger()

CSRF_COOKIE = "next-auth.csrf-token"
SECURE_CSRF_COOKIE = "__Host-next-auth.csrf-token"
SESSION_COOKIES = (SESSION_COOKIE, SECURE_SESSION_COOKIE)


def csrf_cookie_name(secure: bool) -> str:
    return SECURE_CSRF_COOKIE if secure else CSRF_COOKIE


def _sign(secret: bytes, token: str) -> str:
    return hmac.new(secret, token.encode(), hashlib.sha256).hexdigest()


def issue(secret: bytes) -> tuple[str, str]:
    """A new token and the cookie value that vouches for it."""
    token = secrets.token_hex(32)
    return token, f"{token}|{_sign(secret, token)}"


def token_from_cookie(secret: bytes, cookie: str | None) -> str | None:
    """The token in a genuine cookie, or None for a missing or forged one."""
    if not cookie or "|" not in cookie:
        return None
    token, _, signature = cookie.partition("|")
    if not hmac.compare_digest(signature, _sign(secret, token)):
        return None
    return token


def verify(secret: bytes, cookie: str | None, submitted: str | None) -> bool:
    token = token_from_cookie(secret, cookie)
    if token is None or not submitted:
        return False
    return hmac.compare_digest(token, submitted)


# -- Origin checks for every other state-changing session request -----------

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Provider webhooks and cron calls carry their own secrets and no cookies.
EXEMPT_PREFIXES = ("/api/webhooks/", "/api/cron/")


def origin_of(url: str) -> str | None:
    """`scheme://host[:port]`, lowercased, or None for anything that is not an
    absolute http(s) URL (including the literal Origin `null`)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return None
    default_port = {"http": 80, "https": 443}[parts.scheme]
    try:
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    suffix = f":{port}" if port and port != default_port else ""
    return f"{parts.scheme}://{host}{suffix}"


def allowed_origins(
    app_url: str, trusted: tuple[str, ...], own: str | None
) -> frozenset[str]:
    found = {origin_of(app_url), *(origin_of(t) for t in trusted), own}
    return frozenset(o for o in found if o)


def cross_site_source(
    origin: str | None, referer: str | None, allowed: frozenset[str]
) -> str | None:
    """The offending source when the request comes from a page we do not
    trust, else None. Origin decides when present; Referer stands in for it;
    with neither, the request is not from a browser page and passes."""
    if origin is not None:
        return None if origin_of(origin) in allowed else origin
    if referer is not None:
        return None if origin_of(referer) in allowed else referer
    return None


class OriginCheckMiddleware(ASGIMiddleware):
    """Refuses a state-changing request that carries the session cookie and
    comes from a page on another origin (403).

    Only requests with the session cookie are checked: forgery abuses that
    ambient credential, and a request without it acts for nobody. Requests
    with neither Origin nor Referer pass, because every browser sends Origin
    on a cross-site POST/PUT/PATCH/DELETE; what omits both is a non-browser
    client, which could send any header it liked anyway. Webhooks and cron
    routes (no cookies, their own secrets) and routes whose `opt` carries
    `skip_origin_check=True` are exempt.
    """

    scopes = (ScopeType.HTTP,)
    exclude_opt_key = "skip_origin_check"
    should_bypass_for_scope = staticmethod(
        lambda scope: str(scope.get("path", "")).startswith(EXEMPT_PREFIXES)
    )

    async def handle(
        self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp
    ) -> None:
        if scope.get("method", "GET") in UNSAFE_METHODS:
            self._check(ASGIConnection(scope))
        await next_app(scope, receive, send)

    def _check(self, connection: ASGIConnection[Any, Any, Any, Any]) -> None:
        cookies = connection.cookies
        if not any(name in cookies for name in SESSION_COOKIES):
            return
        settings = connection.app.state.settings
        host = connection.headers.get("host")
        own = origin_of(f"{connection.url.scheme}://{host}") if host else None
        allowed = allowed_origins(settings.app_url, settings.trusted_origins, own)
        source = cross_site_source(
            connection.headers.get("origin"), connection.headers.get("referer"), allowed
        )
        if source is not None:
            log.warning("auth.csrf.origin_refused", path=connection.url.path)
            raise PermissionDeniedException(
                detail="Cross-site request refused: origin not trusted"
            )
