"""Embed tokens: credentials a customer puts in a web page or another tool.

A token is `ept_` followed by at least 32 random bytes in URL-safe base64 (43
characters or more). The raw token is shown once, when it is created; we keep
only its SHA-256 digest, which is what a presented token is checked against,
and a display prefix (`ept_` and the next 8 characters) so the owner can tell
tokens apart in a list.

A token may be limited to allowed domains. A browser request's Origin matches
an allowed domain when its host is that domain or a real subdomain of it:
`mysite.com` allows `mysite.com` and `app.mysite.com`, never `evilmysite.com`
nor `mysite.com.evil.com`. Comparison ignores case, a trailing dot, the scheme
and the port; international names are compared in their ASCII (punycode) form.
An IP address matches only itself. An empty list allows no origin at all: a
token meant for browsers must name where it may be used.
"""

from __future__ import annotations

import hmac
import ipaddress
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from epoch_domain.errors import ValidationFailed
from epoch_domain.ports import Secrets
from epoch_domain.sessions import token_digest

EMBED_TOKEN_PREFIX = "ept_"  # noqa: S105 - a label, not a secret
# 32 random bytes are 43 characters of unpadded URL-safe base64.
MIN_RANDOM_CHARS = 43
DISPLAY_PREFIX_LENGTH = len(EMBED_TOKEN_PREFIX) + 8
MAX_ALLOWED_DOMAINS = 50
MAX_LABEL_LENGTH = 100
_FIELD = "allowedDomains"
_URLSAFE = re.compile(r"^[A-Za-z0-9_-]+$")
_DNS_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


@dataclass(frozen=True, slots=True)
class IssuedEmbedToken:
    """A new token: `raw` goes to the customer once, the rest is stored."""

    raw: str
    digest: str
    display_prefix: str


def issue_token(secrets: Secrets) -> IssuedEmbedToken:
    raw = secrets.token(EMBED_TOKEN_PREFIX)
    if not is_well_formed(raw):
        raise ValueError("the secrets port returned a token that is too weak")
    return IssuedEmbedToken(raw, token_digest(raw), display_prefix(raw))


def is_well_formed(raw: str) -> bool:
    """Prefix, length and alphabet of a token we could have issued."""
    body = raw[len(EMBED_TOKEN_PREFIX) :]
    return (
        raw.startswith(EMBED_TOKEN_PREFIX)
        and len(body) >= MIN_RANDOM_CHARS
        and _URLSAFE.match(body) is not None
    )


def display_prefix(raw: str) -> str:
    return raw[:DISPLAY_PREFIX_LENGTH]


def verify_token(presented: str, stored_digest: str) -> bool:
    """Whether `presented` is the token behind `stored_digest`, compared in
    constant time. Look-ups by digest do the same job; this is for a caller
    that already holds the stored row."""
    return hmac.compare_digest(token_digest(presented), stored_digest)


def check_label(raw: str | None) -> str | None:
    if raw is None:
        return None
    label = raw.strip()
    if len(label) > MAX_LABEL_LENGTH:
        raise ValidationFailed(
            "label", f"must be at most {MAX_LABEL_LENGTH} characters"
        )
    return label or None


# ---------------------------------------------------------------- domains


def normalize_domain(raw: str) -> str:
    """The canonical form of an allowed-domain entry as a customer types it:
    `App.MySite.com`, `https://app.mysite.com:8443/page`, `mysite.com.`, or
    `*.mysite.com` (the same as `mysite.com`, which already covers subdomains).
    Raises `ValidationFailed` for anything that is not a host name or address.
    """
    text = raw.strip()
    if _is_ip(text.removeprefix("[").removesuffix("]")):
        return str(ipaddress.ip_address(text.removeprefix("[").removesuffix("]")))
    if "://" not in text:
        text = "//" + text
    host = _entry_host(text)
    if host is None:
        raise ValidationFailed(_FIELD, f"{raw!r} is not a domain name")
    if host.startswith("*."):
        host = host[2:]
    canonical = canonical_host(host)
    if canonical is None:
        raise ValidationFailed(_FIELD, f"{raw!r} is not a domain name")
    if "." not in canonical and not _is_ip(canonical) and canonical != "localhost":
        raise ValidationFailed(_FIELD, f"{raw!r} is too broad; name a whole domain")
    return canonical


def _entry_host(text: str) -> str | None:
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        return None
    if "@" in parts.netloc or parts.scheme not in ("", "http", "https"):
        return None
    return parts.hostname


def normalize_domains(raw: Sequence[str] | None) -> tuple[str, ...]:
    """Every entry normalized, duplicates dropped, order kept."""
    entries = list(raw or ())
    if len(entries) > MAX_ALLOWED_DOMAINS:
        raise ValidationFailed(_FIELD, f"must hold at most {MAX_ALLOWED_DOMAINS}")
    return tuple(dict.fromkeys(normalize_domain(e) for e in entries))


def canonical_host(host: str) -> str | None:
    """Lower case, no trailing dot, ASCII (punycode) labels; None when `host`
    is not a valid host name or IP address."""
    host = host.strip().lower().removesuffix(".")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if _is_ip(host):
        return str(ipaddress.ip_address(host))
    if not host or len(host) > 253:
        return None
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    labels = ascii_host.split(".")
    if not all(_DNS_LABEL.match(label) for label in labels):
        return None
    # A name ending in a number would be read as an IPv4 address by browsers.
    if labels[-1].isdigit():
        return None
    return ascii_host


def origin_host(origin: str | None) -> str | None:
    """The canonical host of an Origin (or Referer) header; None for a missing,
    opaque (`null`) or non-web origin."""
    if not origin:
        return None
    try:
        parts = urlsplit(origin.strip())
        host = parts.hostname
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not host:
        return None
    return canonical_host(host)


def host_matches(host: str, allowed: str) -> bool:
    """`host` is `allowed` or a subdomain of it; both already canonical."""
    if host == allowed:
        return True
    if _is_ip(allowed) or _is_ip(host):
        return False
    return host.endswith("." + allowed)


def origin_allowed(origin: str | None, allowed_domains: Iterable[str]) -> bool:
    """Whether a browser origin may use a token limited to `allowed_domains`
    (canonical entries, as `normalize_domains` returns them). An empty list
    allows nothing; so does a missing or opaque origin."""
    host = origin_host(origin)
    if host is None:
        return False
    return any(host_matches(host, entry) for entry in allowed_domains)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
