"""The published text patterns say exactly what the domain checks accept."""

from __future__ import annotations

import re
import sys

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from epoch_domain.accounts import check_name, normalize_email
from epoch_domain.assistants import check_display_name, check_platform_id
from epoch_domain.errors import ValidationFailed
from epoch_domain.text import (
    CONTROL,
    EMAIL_PATTERN,
    NAME_PATTERN,
    SPACE,
    TOKEN_PATTERN,
)

# Text heavy in the characters the rules are about.
_SPACES_AND_CONTROLS = ["\t", "\n", "\x00", "\x1f", "\x7f", "\x85", "\xa0", "\u3000"]
_EDGY = st.sampled_from(
    ["", " ", "\u2003", *_SPACES_AND_CONTROLS, "@", ".", "a", "Z", "é", "İ", "0", "-"]
)
texts = st.one_of(
    st.text(max_size=24),
    st.lists(_EDGY, max_size=12).map("".join),
)


def _published(pattern: str, value: str) -> bool:
    """Whether JSON Schema's (ECMA) reading of the pattern matches: there `$`
    is the very end, while Python's also matches before a final newline."""
    assert pattern.endswith("$")
    return re.search(pattern[:-1] + r"\Z", value) is not None


def _accepts(check, value: str) -> bool:
    try:
        check(value)
    except ValidationFailed:
        return False
    return True


def test_the_space_class_is_what_strip_removes():
    space = re.compile(f"[{SPACE}]")
    every = (chr(c) for c in range(sys.maxunicode + 1))
    assert all(c.isspace() == bool(space.match(c)) for c in every)


def test_the_control_class_is_c0_and_del():
    control = re.compile(f"[{CONTROL}]")
    assert [c for c in range(256) if control.match(chr(c))] == [
        *range(0x20),
        0x7F,
    ]


@given(texts)
@example("   ")
@example("Jane\x00")
@example(" Zoë ")
@example("0\n")
def test_name_pattern_matches_what_check_name_accepts(value):
    published = _published(NAME_PATTERN, value)
    assert published == _accepts(lambda v: check_name(v, "name"), value)
    assert published == _accepts(check_display_name, value)


@given(texts)
@example(" asst-1 ")
@example("asst 1")
@example("asst-\x00")
def test_token_pattern_matches_what_check_platform_id_accepts(value):
    published = _published(TOKEN_PATTERN, value)
    assert published == _accepts(check_platform_id, value)


@given(texts)
@example(" DUP@example.com ")
@example("000")
@example("a@b.c\x00")
@example("\ta@b.c")
def test_email_pattern_matches_what_normalize_email_accepts(value):
    published = _published(EMAIL_PATTERN, value)
    assert published == _accepts(normalize_email, value)


@pytest.mark.parametrize(
    ("check", "value"),
    [
        (lambda v: check_name(v, "name"), "Jane\x00"),
        (check_display_name, "Reception\nAI"),
        (check_platform_id, "asst\x00"),
        (normalize_email, "jane\x00@example.com"),
    ],
)
def test_control_characters_are_refused(check, value):
    with pytest.raises(ValidationFailed):
        check(value)
