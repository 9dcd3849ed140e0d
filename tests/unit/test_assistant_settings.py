"""Assistant name, greeting modes, voice choice and persona: examples and properties."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from epoch_domain import assistant_settings as a
from epoch_domain import prompt_sections as ps
from epoch_domain.assistant_settings import FirstMessageMode, GreetingSettings
from epoch_domain.errors import ValidationFailed
from tests.unit.helpers import attempt

# Names the rules accept: 2-30 visible characters on one line, no edge spaces.
visible = st.characters(
    blacklist_categories=("Cc", "Cf", "Cs", "Zl", "Zp", "Zs", "Co", "Cn")
)
good_names = st.text(visible, min_size=2, max_size=30)
padding = st.text(" \t\n", max_size=3)


# -- name -----------------------------------------------------------------------


def test_spec_examples_for_the_name() -> None:
    assert a.DEFAULT_ASSISTANT_NAME == "Savannah"
    assert a.check_assistant_name("Alex") == "Alex"
    assert a.check_assistant_name("  Reception AI ") == "Reception AI"
    assert a.effective_name(None) == "Savannah"
    assert a.effective_name("") == "Savannah"
    assert a.effective_name("Alex") == "Alex"


@pytest.mark.parametrize(
    "raw", ["", " ", "A", "  B  ", "x" * 31, "Al\nex", "Al\u200bex", "Tab\there"]
)
def test_bad_names_are_rejected_naming_the_field(raw: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        a.check_assistant_name(raw)
    assert caught.value.field == "name"


def test_boundaries_are_inclusive() -> None:
    assert a.check_assistant_name("Jo") == "Jo"
    assert a.check_assistant_name("y" * 30) == "y" * 30


@given(good_names, padding, padding)
def test_valid_names_come_back_trimmed(name: str, left: str, right: str) -> None:
    assert a.check_assistant_name(left + name + right) == name


@given(st.text())
def test_name_check_accepts_exactly_the_rule(raw: str) -> None:
    trimmed = raw.strip()
    invisible = any(
        unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in trimmed
    )
    expected_ok = 2 <= len(trimmed) <= 30 and not invisible
    name, error = attempt(a.check_assistant_name, raw)
    if error is not None:
        assert error.field == "name"
        assert not expected_ok
    else:
        assert expected_ok
        assert name == trimmed


# -- greeting -------------------------------------------------------------------


def test_modes_are_exactly_the_three_of_the_spec() -> None:
    assert {m.value for m in FirstMessageMode} == {
        "assistant-speaks-first",
        "assistant-waits-for-user",
        "assistant-speaks-first-with-model-generated-message",
    }


def test_spec_example_update() -> None:
    current = a.default_greeting("Savannah", "Acme Corp")
    assert current.first_message == (
        "Hi! Thanks for calling Acme Corp. This is Savannah. How can I help you today?"
    )
    updated = a.change_greeting(
        current, "assistant-speaks-first", "Welcome! How can I help?"
    )
    assert updated == GreetingSettings(
        FirstMessageMode.SPEAKS_FIRST, "Welcome! How can I help?"
    )
    assert updated.spoken_first_message == "Welcome! How can I help?"


def test_speaks_first_requires_a_message() -> None:
    empty = GreetingSettings(FirstMessageMode.WAITS_FOR_USER, None)
    for message in (None, "", "   "):
        with pytest.raises(ValidationFailed) as caught:
            a.change_greeting(empty, "assistant-speaks-first", message)
        assert caught.value.field == "firstMessage"


def test_other_modes_keep_but_do_not_speak_the_message() -> None:
    current = GreetingSettings(FirstMessageMode.SPEAKS_FIRST, "Hello!")
    waiting = a.change_greeting(current, "assistant-waits-for-user", None)
    assert waiting.first_message == "Hello!"
    assert waiting.spoken_first_message is None
    generated = a.change_greeting(
        current, "assistant-speaks-first-with-model-generated-message", None
    )
    assert generated.spoken_first_message is None
    back = a.change_greeting(waiting, "assistant-speaks-first", None)
    assert back.spoken_first_message == "Hello!"
    cleared = a.change_greeting(current, "assistant-waits-for-user", "  ")
    assert cleared.first_message is None


@pytest.mark.parametrize(
    "mode", ["", "speaks-first", "ASSISTANT-SPEAKS-FIRST", "assistant-speaks-first "]
)
def test_unknown_mode_is_rejected(mode: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        a.change_greeting(a.default_greeting(), mode, "Hi")
    assert caught.value.field == "mode"


def test_first_message_length_is_bounded() -> None:
    current = a.default_greeting()
    ok = "x" * a.MAX_FIRST_MESSAGE
    assert a.change_greeting(current, "assistant-speaks-first", ok).first_message == ok
    with pytest.raises(ValidationFailed) as caught:
        a.change_greeting(current, "assistant-speaks-first", ok + "x")
    assert caught.value.field == "firstMessage"


@given(
    st.sampled_from(list(FirstMessageMode)),
    st.one_of(st.none(), st.text(max_size=1100)),
    st.sampled_from(list(FirstMessageMode)),
    st.one_of(st.none(), st.text(min_size=1, max_size=50)),
)
def test_greeting_rules_hold_for_any_input(
    mode: FirstMessageMode,
    message: str | None,
    old_mode: FirstMessageMode,
    old_message: str | None,
) -> None:
    current = GreetingSettings(old_mode, old_message)
    new, error = attempt(a.change_greeting, current, mode.value, message)
    if error is not None:
        assert error.field == "firstMessage"
        return
    assert new is not None
    assert new.mode is mode
    if mode is FirstMessageMode.SPEAKS_FIRST:
        assert new.spoken_first_message
        assert len(new.spoken_first_message) <= a.MAX_FIRST_MESSAGE
    else:
        assert new.spoken_first_message is None
    if message is None:
        assert new.first_message == old_message
    elif message.strip():
        assert new.first_message == message.strip()
    # Applying the same change again changes nothing.
    assert a.change_greeting(new, mode.value, message) == new


# -- propagation of the name ---------------------------------------------------


def test_rename_replaces_whole_words_only() -> None:
    greeting = GreetingSettings(
        FirstMessageMode.SPEAKS_FIRST, "Hi, this is Al. Always happy! Al's here."
    )
    renamed = a.rename_greeting(greeting, "Al", "Alex")
    assert renamed.first_message == "Hi, this is Alex. Always happy! Alex's here."


word_names = st.text(
    st.characters(whitelist_categories=("Lu", "Ll", "Lo", "Nd")),
    min_size=2,
    max_size=30,
)


@given(st.text(max_size=80), word_names, word_names)
def test_rename_propagates_and_is_idempotent(text: str, old: str, new: str) -> None:
    assume(old != new)
    word = re.compile(rf"(?<!\w){re.escape(old)}(?!\w)")
    once = a.rename_in_text(text, old, new)
    if word.search(text) is None:
        assert once == text
    else:
        assert word.search(once) is None
        assert len(re.findall(rf"(?<!\w){re.escape(new)}(?!\w)", once)) >= len(
            word.findall(text)
        )
    assert a.rename_in_text(once, old, new) == once


@given(good_names, st.one_of(st.none(), st.text(max_size=40)))
def test_persona_mentions_the_name_and_lands_in_its_section(
    name: str, business: str | None
) -> None:
    text = a.persona_text(name, business)
    assert f"You are {name}," in text
    prompt = ps.build_prompt({"hours": "H"}) + "\nOwner words"
    updated = a.apply_persona(prompt, name, business)
    parsed = ps.parse(updated)
    assert parsed.sections["persona"] == text
    assert parsed.sections["hours"] == "H"
    assert parsed.owner_text == ps.parse(prompt).owner_text


# -- voice ----------------------------------------------------------------------


def test_spec_voice_example() -> None:
    choice = a.check_voice("pNInz6obpgDQGcFmaJgB", "Savannah")
    assert choice == a.VoiceChoice("pNInz6obpgDQGcFmaJgB", "Savannah")
    assert a.check_voice(" abc ", None) == a.VoiceChoice("abc", None)
    assert a.check_voice("abc", "  ") == a.VoiceChoice("abc", None)


@pytest.mark.parametrize(
    ("voice_id", "voice_name", "field"),
    [
        ("", None, "voiceId"),
        ("   ", None, "voiceId"),
        ("has space", None, "voiceId"),
        ("x" * 101, None, "voiceId"),
        ("ok", "n" * 61, "voiceName"),
        ("ok", "two\nlines", "voiceName"),
    ],
)
def test_bad_voice_is_rejected(
    voice_id: str, voice_name: str | None, field: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        a.check_voice(voice_id, voice_name)
    assert caught.value.field == field


@given(st.text(max_size=120), st.one_of(st.none(), st.text(max_size=70)))
def test_voice_choice_is_bounded_or_rejected(
    voice_id: str, voice_name: str | None
) -> None:
    choice, error = attempt(a.check_voice, voice_id, voice_name)
    if error is not None:
        assert error.field in ("voiceId", "voiceName")
        return
    assert choice is not None
    assert 1 <= len(choice.voice_id) <= a.MAX_VOICE_ID
    assert not any(c.isspace() for c in choice.voice_id)
    assert choice.voice_name is None or 1 <= len(choice.voice_name) <= 60
    assert a.check_voice(choice.voice_id, choice.voice_name) == choice
