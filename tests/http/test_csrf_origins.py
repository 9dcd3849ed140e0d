"""The origin rules behind the CSRF middleware, as pure functions."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from epoch_http.controllers.auth import safe_callback
from epoch_http.csrf import allowed_origins, cross_site_source, origin_of

hosts = st.from_regex(
    r"[a-z][a-z0-9-]{0,20}(\.[a-z][a-z0-9-]{0,10}){0,3}", fullmatch=True
)
schemes = st.sampled_from(["http", "https"])
paths = st.from_regex(
    r"(/[A-Za-z0-9._~-]{0,12}){0,4}(\?[a-z=&0-9]{0,20})?", fullmatch=True
)


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://App.Example.com/", "https://app.example.com"),
        ("https://app.example.com:443/x", "https://app.example.com"),
        ("http://app.example.com:80", "http://app.example.com"),
        ("http://127.0.0.1:8000/login?x=1", "http://127.0.0.1:8000"),
        ("https://[::1]:8443/", "https://[::1]:8443"),
        ("null", None),
        ("", None),
        ("javascript:alert(1)", None),
        ("file:///etc/passwd", None),
        ("//evil.example", None),
        ("https://bad-port.example:99999/", None),
    ],
)
def test_origin_of(url: str, origin: str | None):
    assert origin_of(url) == origin


@given(scheme=schemes, host=hosts, path=paths)
def test_a_referer_from_an_allowed_origin_is_allowed_whatever_its_path(
    scheme, host, path
):
    allowed = allowed_origins(f"{scheme}://{host}", (), None)
    assert cross_site_source(None, f"{scheme}://{host}{path}", allowed) is None


@given(scheme=schemes, host=hosts, other=hosts)
def test_another_host_is_refused_as_origin_and_as_referer(scheme, host, other):
    allowed = allowed_origins(f"{scheme}://{host}", (), None)
    if other != host:
        assert cross_site_source(f"{scheme}://{other}", None, allowed) is not None
        assert cross_site_source(None, f"{scheme}://{other}/", allowed) is not None
        # A look-alike that merely starts with the trusted host.
        assert cross_site_source(f"{scheme}://{host}.{other}", None, allowed)


def test_origin_decides_over_referer_and_nothing_passes():
    allowed = allowed_origins("https://app.example.com", ("https://x.example",), None)
    good, bad = "https://app.example.com", "https://evil.example"
    assert cross_site_source(good, bad + "/p", allowed) is None
    assert cross_site_source(bad, good + "/p", allowed) == bad
    assert cross_site_source(None, None, allowed) is None
    assert cross_site_source("https://x.example", None, allowed) is None


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("/dashboard/calls?x=1", True),
        ("/", True),
        ("//evil.example", False),
        ("/\\evil.example", False),
        ("/\t/evil.example", False),
        ("/\n/evil.example", False),
        ("/ /evil.example", False),
        ("/x\\..\\\\evil.example", False),
        ("https://evil.example/", False),
        ("javascript:alert(1)", False),
        ("", False),
    ],
)
def test_login_callbacks_stay_on_this_site(given: str, kept: bool):
    assert safe_callback(given) == (given if kept else "/dashboard")
