"""The NextAuth-style CSRF token of the login form (double submit, signed).

`GET /api/auth/csrf` hands out a random token and sets a cookie holding the
token and its HMAC under a server secret. A login must send the same token in
its body; a site that cannot read our cookies cannot produce it, and a cookie
planted by a sibling domain fails the HMAC.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

CSRF_COOKIE = "next-auth.csrf-token"
SECURE_CSRF_COOKIE = "__Host-next-auth.csrf-token"


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
