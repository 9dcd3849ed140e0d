"""Embed tokens: what is issued, what is stored, how they are checked, and
which browser origins an allowed-domain list lets in."""

from __future__ import annotations

import hashlib
import re

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from epoch_domain.embed_tokens import (
    EMBED_TOKEN_PREFIX,
    MAX_ALLOWED_DOMAINS,
    check_label,
    display_prefix,
    host_matches,
    is_well_formed,
    issue_token,
    normalize_domain,
    normalize_domains,
    origin_allowed,
    origin_host,
    verify_token,
)
from epoch_domain.errors import ValidationFailed
from tests.fakes import FakeSecrets

# ---------------------------------------------------------------- tokens


class ShortSecrets(FakeSecrets):
    def token(self, prefix: str = "") -> str:
        return prefix + "abc"


@given(st.text(min_size=1, max_size=20))
def test_an_issued_token_is_ept_and_at_least_32_random_bytes(seed: str) -> None:
    issued = issue_token(FakeSecrets(seed))
    assert issued.raw.startswith("ept_")
    assert re.fullmatch(r"ept_[A-Za-z0-9_-]{43,}", issued.raw)


@given(st.text(min_size=1, max_size=20))
def test_only_the_digest_and_a_display_prefix_are_meant_to_be_stored(
    seed: str,
) -> None:
    issued = issue_token(FakeSecrets(seed))
    assert issued.digest == hashlib.sha256(issued.raw.encode()).hexdigest()
    assert issued.display_prefix == issued.raw[:12]
    assert issued.display_prefix.startswith(EMBED_TOKEN_PREFIX)
    assert len(issued.display_prefix) == len("ept_a1b2c3d4")
    assert issued.raw not in (issued.digest, issued.display_prefix)


@given(st.text(min_size=1, max_size=20))
def test_a_token_verifies_against_its_own_digest(seed: str) -> None:
    issued = issue_token(FakeSecrets(seed))
    assert verify_token(issued.raw, issued.digest)


@given(st.text(min_size=1, max_size=20), st.text(max_size=60))
def test_any_other_string_does_not_verify(seed: str, other: str) -> None:
    issued = issue_token(FakeSecrets(seed))
    assume(other != issued.raw)
    assert not verify_token(other, issued.digest)


def test_two_issued_tokens_differ() -> None:
    secrets = FakeSecrets()
    first, second = issue_token(secrets), issue_token(secrets)
    assert first.raw != second.raw
    assert first.digest != second.digest


def test_a_secrets_port_returning_a_short_token_is_refused() -> None:
    with pytest.raises(ValueError, match="too weak"):
        issue_token(ShortSecrets())


@pytest.mark.parametrize(
    ("raw", "ok"),
    [
        ("ept_" + "a" * 43, True),
        ("ept_" + "a" * 42, False),
        ("ses_" + "a" * 43, False),
        ("ept_" + "a" * 42 + "!", False),
        ("", False),
    ],
)
def test_well_formed_tokens_have_the_prefix_length_and_alphabet(
    raw: str, ok: bool
) -> None:
    assert is_well_formed(raw) is ok


def test_display_prefix_is_ept_and_eight_characters() -> None:
    assert display_prefix("ept_a1b2c3d4e5f6") == "ept_a1b2c3d4"


def test_a_label_is_trimmed_and_bounded() -> None:
    assert check_label("  HubSpot CRM ") == "HubSpot CRM"
    assert check_label("   ") is None
    assert check_label(None) is None
    with pytest.raises(ValidationFailed) as caught:
        check_label("x" * 101)
    assert caught.value.field == "label"


# ---------------------------------------------------------------- domains

label = st.from_regex(r"\A[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?\Z")
# Names whose last label is not all digits (browsers read those as IPv4).
tld = st.from_regex(r"\A[a-z]{2,6}\Z")
domain = st.builds(
    lambda labels, top: ".".join([*labels, top]),
    st.lists(label, min_size=1, max_size=3),
    tld,
)


def random_case(text: str, flips: list[bool]) -> str:
    padded = flips + [False] * len(text)
    return "".join(c.upper() if padded[i] else c for i, c in enumerate(text))


def as_labels(name: str) -> list[str]:
    return name.split(".")


@given(domain, domain)
def test_a_host_matches_exactly_when_the_entry_is_a_whole_label_suffix(
    host: str, entry: str
) -> None:
    """The reference rule, stated on labels instead of strings."""
    h, e = as_labels(host), as_labels(entry)
    expected = len(h) >= len(e) and h[-len(e) :] == e
    assert host_matches(host, entry) is expected
    assert origin_allowed(f"https://{host}", [entry]) is expected


@given(domain, label)
def test_a_real_subdomain_is_allowed(entry: str, sub: str) -> None:
    assert origin_allowed(f"https://{sub}.{entry}", [entry])
    assert origin_allowed(f"https://{sub}.{sub}.{entry}", [entry])


@given(domain, st.from_regex(r"\A[a-z0-9-]{0,10}[a-z0-9]\Z"))
def test_gluing_text_before_a_domain_is_not_a_subdomain(entry: str, glue: str) -> None:
    assert not origin_allowed(f"https://{glue}{entry}", [entry])


@given(domain, domain)
def test_an_allowed_domain_inside_another_host_is_not_allowed(
    entry: str, evil: str
) -> None:
    assume(not host_matches(f"{entry}.{evil}", entry))
    assert not origin_allowed(f"https://{entry}.{evil}", [entry])


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("https://mysite.com", True),
        ("https://app.mysite.com:8443", True),
        ("http://APP.MySite.COM", True),
        ("https://mysite.com.", True),
        ("https://evilmysite.com", False),
        ("https://mysite.com.evil.com", False),
        ("https://mysite.co", False),
        ("https://ysite.com", False),
        ("null", False),
        ("", False),
        (None, False),
        ("file:///etc/passwd", False),
        ("chrome-extension://mysite.com", False),
        ("https://mysite.com:notaport", False),
    ],
)
def test_origins_against_mysite_com(origin: str | None, allowed: bool) -> None:
    assert origin_allowed(origin, ["mysite.com"]) is allowed


@given(
    domain,
    st.lists(st.booleans(), max_size=40),
    st.sampled_from(["http", "https", "HTTPS"]),
    st.one_of(st.none(), st.integers(1, 65535)),
    st.booleans(),
)
def test_case_scheme_port_and_a_trailing_dot_do_not_change_the_answer(
    host: str, flips: list[bool], scheme: str, port: int | None, dot: bool
) -> None:
    written = random_case(host, flips) + ("." if dot else "")
    origin = f"{scheme}://{written}" + (f":{port}" if port is not None else "")
    assert origin_host(origin) == host
    assert origin_allowed(origin, [host])


@given(domain)
def test_an_empty_list_allows_no_origin(host: str) -> None:
    assert not origin_allowed(f"https://{host}", [])
    assert normalize_domains([]) == ()
    assert normalize_domains(None) == ()


def test_an_international_name_matches_its_punycode_origin() -> None:
    entries = normalize_domains(["Bücher.de"])
    assert entries == ("xn--bcher-kva.de",)
    assert origin_allowed("https://shop.xn--bcher-kva.de", entries)
    assert not origin_allowed("https://xn--bcher-kva.de.evil.com", entries)


def test_an_ip_address_matches_only_itself() -> None:
    entries = normalize_domains(["127.0.0.1", "[::1]"])
    assert entries == ("127.0.0.1", "::1")
    assert origin_allowed("http://127.0.0.1:3000", entries)
    assert origin_allowed("http://[::1]:8080", entries)
    assert not origin_allowed("http://10.127.0.0.1", entries)


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("mysite.com", "mysite.com"),
        ("  App.MySite.com  ", "app.mysite.com"),
        ("https://app.mysite.com:8443/embed?x=1", "app.mysite.com"),
        ("mysite.com.", "mysite.com"),
        ("*.mysite.com", "mysite.com"),
        ("localhost:3000", "localhost"),
    ],
)
def test_allowed_domain_entries_are_normalized(raw: str, canonical: str) -> None:
    assert normalize_domain(raw) == canonical


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "com",
        "a..b",
        "my site.com",
        "ftp://mysite.com",
        "user@mysite.com",
        "mysite.com:port",
        "1.2.3",
        "-bad.com",
        "*",
        "x" * 64 + ".com",
    ],
)
def test_entries_that_are_not_a_usable_domain_are_refused(raw: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        normalize_domain(raw)
    assert caught.value.field == "allowedDomains"


@given(domain, st.lists(st.booleans(), max_size=40))
def test_normalizing_twice_changes_nothing(host: str, flips: list[bool]) -> None:
    once = normalize_domain(random_case(host, flips) + ".")
    assert once == host
    assert normalize_domain(once) == once


@given(st.lists(domain, max_size=10))
def test_normalized_lists_drop_duplicates_and_keep_order(
    hosts: list[str],
) -> None:
    result = normalize_domains(hosts + [h.upper() for h in hosts])
    assert list(result) == list(dict.fromkeys(hosts))


def test_too_many_domains_are_refused() -> None:
    many = [f"site{i}.com" for i in range(MAX_ALLOWED_DOMAINS + 1)]
    with pytest.raises(ValidationFailed):
        normalize_domains(many)
