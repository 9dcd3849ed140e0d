"""Mailed one-time tokens: spendable once, for their own purpose, within
their lifetime, and never otherwise."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from epoch_domain.auth_tokens import (
    LIFETIME,
    AuthToken,
    Rejection,
    TokenKind,
    check_token,
)
from epoch_domain.errors import TokenRejected, ValidationFailed

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
kinds = st.sampled_from(list(TokenKind))
instants = st.datetimes(
    min_value=datetime(2020, 1, 1),
    max_value=datetime(2035, 1, 1),
    timezones=st.just(UTC),
)
offsets = st.timedeltas(min_value=timedelta(days=-2), max_value=timedelta(days=2))


def test_lifetimes_are_an_hour_for_resets_and_fifteen_minutes_for_links():
    assert LIFETIME[TokenKind.PASSWORD_RESET] == timedelta(hours=1)
    assert LIFETIME[TokenKind.MAGIC_LINK] == timedelta(minutes=15)


@given(kind=kinds, issued=instants, offset=offsets)
def test_a_fresh_token_is_spendable_exactly_within_its_lifetime(kind, issued, offset):
    token = AuthToken.issue("t1", kind, "u1", issued)
    now = issued + offset
    problem = token.rejection(kind, now)
    if now < issued + LIFETIME[kind]:
        assert problem is None
    else:
        assert problem is Rejection.EXPIRED


@given(kind=kinds, issued=instants, offset=offsets, used_after=offsets)
def test_a_used_token_is_never_spendable_again(kind, issued, offset, used_after):
    token = AuthToken.issue("t1", kind, "u1", issued)
    used = AuthToken(
        token.id,
        token.kind,
        token.user_id,
        token.created_at,
        token.expires_at,
        used_at=issued + used_after,
    )
    assert used.rejection(kind, issued + offset) is Rejection.USED


@given(kind=kinds, other=kinds, issued=instants, offset=offsets)
def test_a_token_of_another_kind_is_invalid_whatever_its_state(
    kind, other, issued, offset
):
    token = AuthToken.issue("t1", kind, "u1", issued)
    if kind is not other:
        assert token.rejection(other, issued + offset) is Rejection.INVALID


def test_check_token_raises_a_400_kind_of_error_naming_the_token():
    with pytest.raises(TokenRejected) as missing:
        check_token(None, TokenKind.MAGIC_LINK, EPOCH)
    assert missing.value.reason == "invalid"
    assert missing.value.field == "token"
    assert isinstance(missing.value, ValidationFailed)

    stale = AuthToken.issue("t", TokenKind.PASSWORD_RESET, "u", EPOCH)
    with pytest.raises(TokenRejected) as expired:
        check_token(stale, TokenKind.PASSWORD_RESET, EPOCH + timedelta(hours=1))
    assert expired.value.message == "token: has expired"

    assert check_token(stale, TokenKind.PASSWORD_RESET, EPOCH) is stale
