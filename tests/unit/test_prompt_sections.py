"""System-prompt section surgery: examples and properties."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from epoch_domain import prompt_sections as ps
from epoch_domain.errors import UnknownPromptSection, ValidationFailed
from epoch_domain.prompt_sections import OwnerText, Section

KEYS = st.sampled_from(ps.SECTION_ORDER)

# Lines chosen to trip a careless parser: real markers, escaped and spaced
# markers, partial and unknown-key markers, markdown, odd line breaks.
TRICKY_LINES = [
    *(ps.open_marker(k) for k in ps.SECTION_ORDER),
    *(ps.close_marker(k) for k in ps.SECTION_ORDER),
    "\\" + ps.open_marker("hours"),
    "\\\\" + ps.close_marker("hours"),
    "  <!-- epoch:section:persona -->  ",
    "<!--epoch:section:hours-->",
    "<!-- EPOCH:section:hours -->",
    "<!-- epoch:section:unknown -->",
    "<!-- /epoch:section:nope -->",
    "<!-- epoch:section:",
    "<!-- epoch:section:hours",
    "epoch:section:hours -->",
    "<!-- / epoch:section:hours -->",
    "<!-- just a comment -->",
    "<!-- epoch:section:hours --> trailing words",
    "\\",
    "\\\\",
    "# Heading",
    "```",
    "- **bold** _it_ [link](http://x)",
    "| a | b |",
    "\r",
    "<!-- epoch:section:hours -->\r",
    "caf\u00e9 \u2028 \u2029 \x85 \x0b \x0c \x1c \U0001f600 \u202e",
    "",
]

line = st.one_of(st.text(), st.sampled_from(TRICKY_LINES))
tricky_text = st.lists(line, max_size=8).map("\n".join)


@st.composite
def raw_prompts(draw: st.DrawFn) -> str:
    """Arbitrary prompts: free text mixed with well-formed blocks."""
    chunks: list[str] = []
    for _ in range(draw(st.integers(0, 6))):
        if draw(st.booleans()):
            chunks.append(draw(tricky_text))
        else:
            chunks.append(ps.render([Section(draw(KEYS), draw(tricky_text))]))
    return "\n".join(chunks)


def _plain(text: str) -> bool:
    return ps.parse(text).parts == (OwnerText(text),)


@st.composite
def canonical_parts(draw: st.DrawFn) -> list[ps.Part]:
    """Part lists `parse` can produce: owner texts never side by side."""
    parts: list[ps.Part] = []
    for _ in range(draw(st.integers(0, 6))):
        if parts and isinstance(parts[-1], Section) and draw(st.booleans()):
            text = draw(tricky_text)
            if _plain(text):
                parts.append(OwnerText(text))
        parts.append(Section(draw(KEYS), draw(tricky_text)))
    if draw(st.booleans()):
        text = draw(tricky_text.filter(_plain))
        if text != "" or parts:
            parts.append(OwnerText(text))
    return parts


section_maps = st.dictionaries(KEYS, tricky_text)


# -- examples -----------------------------------------------------------------


def test_build_writes_markers_in_canonical_order() -> None:
    prompt = ps.build_prompt({"hours": "Mon 9-5", "persona": "You are Savannah."})
    assert prompt == (
        "<!-- epoch:section:persona -->\n"
        "You are Savannah.\n"
        "<!-- /epoch:section:persona -->\n"
        "\n"
        "<!-- epoch:section:hours -->\n"
        "Mon 9-5\n"
        "<!-- /epoch:section:hours -->"
    )


def test_marker_text_in_a_body_is_escaped_and_read_back() -> None:
    body = "Say this literally:\n<!-- /epoch:section:hours -->\nthen stop."
    prompt = ps.update_section("", "hours", body)
    assert prompt.split("\n")[2] == "\\<!-- /epoch:section:hours -->"
    assert ps.parse(prompt).sections == {"hours": body}


def test_stray_and_unbalanced_markers_are_owner_text() -> None:
    prompt = (
        "Intro\n"
        "<!-- epoch:section:hours -->\n"
        "hand-written hours, close marker deleted\n"
        "<!-- epoch:section:address -->\n"
        "1 Main St\n"
        "<!-- /epoch:section:address -->\n"
        "<!-- /epoch:section:persona -->\n"
        "<!-- epoch:section:bogus -->"
    )
    parsed = ps.parse(prompt)
    assert parsed.sections == {"address": "1 Main St"}
    assert parsed.owner_text == (
        "Intro\n<!-- epoch:section:hours -->\nhand-written hours, close marker deleted",
        "<!-- /epoch:section:persona -->\n<!-- epoch:section:bogus -->",
    )


def test_missing_section_goes_after_its_canonical_predecessor() -> None:
    prompt = ps.build_prompt({"persona": "P", "address": "A"}) + "\nOwner notes"
    updated = ps.update_section(prompt, "hours", "H")
    assert updated == (
        "<!-- epoch:section:persona -->\nP\n<!-- /epoch:section:persona -->\n"
        "<!-- epoch:section:hours -->\nH\n<!-- /epoch:section:hours -->\n"
        "\n"
        "<!-- epoch:section:address -->\nA\n<!-- /epoch:section:address -->\n"
        "Owner notes"
    )


def test_missing_first_section_goes_before_the_first_present_one() -> None:
    prompt = "Hello\n" + ps.build_prompt({"hours": "H"})
    updated = ps.update_section(prompt, "persona", "P")
    assert updated.startswith("Hello\n<!-- epoch:section:persona -->\nP\n")
    assert updated.endswith(
        "<!-- /epoch:section:persona -->\n" + ps.build_prompt({"hours": "H"})
    )


def test_prompt_without_sections_gets_the_section_at_the_end() -> None:
    assert ps.update_section("Be nice.", "hours", "H") == (
        "Be nice.\n<!-- epoch:section:hours -->\nH\n<!-- /epoch:section:hours -->"
    )


def test_duplicated_section_is_updated_everywhere() -> None:
    block = ps.render([Section("hours", "old")])
    prompt = f"{block}\nmiddle\n{block}"
    new = ps.render([Section("hours", "new")])
    assert ps.update_section(prompt, "hours", "new") == f"{new}\nmiddle\n{new}"


def test_remove_section_drops_only_that_block() -> None:
    prompt = ps.build_prompt({"persona": "P", "calendar-tools": "C"})
    assert ps.remove_section(prompt, "calendar-tools") == (
        "<!-- epoch:section:persona -->\nP\n<!-- /epoch:section:persona -->\n"
    )


@pytest.mark.parametrize("key", ["Hours", "tools", "", "persona "])
def test_unknown_section_key_is_a_validation_error(key: str) -> None:
    with pytest.raises(UnknownPromptSection) as caught:
        ps.update_section("", key, "x")
    assert isinstance(caught.value, ValidationFailed)
    assert caught.value.field == "section"
    assert caught.value.key == key
    with pytest.raises(UnknownPromptSection):
        ps.build_prompt({key: "x"})


def test_overwrite_carries_inline_tools_that_the_new_text_lacks() -> None:
    old = ps.build_prompt(
        {"persona": "P", "transfer": "Use transferCall.", "calendar-tools": "Book."}
    )
    new = "My own prompt.\n" + ps.render([Section("transfer", "My transfer text")])
    result = ps.overwrite(old, new)
    assert result == new + "\n" + ps.render([Section("calendar-tools", "Book.")])
    assert ps.parse(result).sections == {
        "transfer": "My transfer text",
        "calendar-tools": "Book.",
    }


def test_overwrite_rejects_empty_and_oversized_text() -> None:
    with pytest.raises(ValidationFailed) as caught:
        ps.overwrite("", "  \n ")
    assert caught.value.field == "systemPrompt"
    with pytest.raises(ValidationFailed):
        ps.overwrite("", "x" * (ps.MAX_PROMPT_CHARS + 1))


# -- properties ---------------------------------------------------------------


@given(section_maps)
def test_build_then_parse_round_trips(sections: dict[str, str]) -> None:
    parsed = ps.parse(ps.build_prompt(sections))
    assert parsed.sections == {
        k: sections[k] for k in ps.SECTION_ORDER if k in sections
    }
    assert list(parsed.sections) == [k for k in ps.SECTION_ORDER if k in sections]


@given(canonical_parts())
def test_render_then_parse_round_trips(parts: list[ps.Part]) -> None:
    assert ps.parse(ps.render(parts)).parts == tuple(parts)


@given(raw_prompts(), KEYS, tricky_text)
def test_update_changes_no_byte_outside_the_section(
    prompt: str, key: str, text: str
) -> None:
    # Hand-written blocks of other sections and stray markers included.
    updated = ps.update_section(prompt, key, text)
    assert ps.remove_section(updated, key) == ps.remove_section(prompt, key)


@given(raw_prompts(), KEYS, tricky_text)
def test_update_changes_only_that_section(prompt: str, key: str, text: str) -> None:
    before = ps.parse(prompt)
    after = ps.parse(ps.update_section(prompt, key, text))
    assert after.sections[key] == text
    assert all(
        p.body == text for p in after.parts if isinstance(p, Section) and p.key == key
    )
    others_before = [
        p for p in before.parts if not (isinstance(p, Section) and p.key == key)
    ]
    others_after = [
        p for p in after.parts if not (isinstance(p, Section) and p.key == key)
    ]
    assert others_after == others_before


@given(raw_prompts(), KEYS, tricky_text)
def test_update_is_idempotent(prompt: str, key: str, text: str) -> None:
    once = ps.update_section(prompt, key, text)
    assert ps.update_section(once, key, text) == once


@given(raw_prompts(), KEYS, tricky_text)
def test_owner_text_survives_byte_for_byte(prompt: str, key: str, text: str) -> None:
    owner = ps.parse(prompt).owner_text
    updated = ps.update_section(prompt, key, text)
    assert ps.parse(updated).owner_text == owner
    # And literally: every owner run is still in the text, in order.
    position = 0
    for run in owner:
        found = updated.find(run, position)
        assert found >= 0
        position = found + len(run)


@given(raw_prompts(), KEYS, tricky_text, KEYS, tricky_text)
def test_updates_of_different_sections_commute(
    prompt: str, k1: str, t1: str, k2: str, t2: str
) -> None:
    assume(k1 != k2)
    a = ps.parse(ps.update_section(ps.update_section(prompt, k1, t1), k2, t2))
    b = ps.parse(ps.update_section(ps.update_section(prompt, k2, t2), k1, t1))
    assert a.sections == b.sections
    assert a.owner_text == b.owner_text


@given(raw_prompts(), KEYS, tricky_text)
def test_inserted_section_respects_canonical_order(
    prompt: str, key: str, text: str
) -> None:
    present = ps.parse(prompt).sections
    assume(key not in present)
    updated = ps.update_section(prompt, key, text)
    order = [p.key for p in ps.parse(updated).parts if isinstance(p, Section)]
    at = order.index(key)
    rank = ps.SECTION_ORDER.index
    earlier = [k for k in present if rank(k) < rank(key)]
    if earlier:
        assert order[at - 1] == max(earlier, key=rank)
    elif present:
        assert order[at + 1] == min(present, key=rank)
    else:
        assert updated.endswith(ps.render([Section(key, text)]))


@given(st.text(), tricky_text)
def test_any_body_text_is_stored_and_read_back(owner: str, body: str) -> None:
    prompt = ps.update_section(owner, "free-text", body)
    assert ps.parse(prompt).sections["free-text"] == body


@given(raw_prompts(), raw_prompts())
def test_overwrite_preserves_inline_tools(old: str, new: str) -> None:
    assume(new.strip() != "")
    result = ps.overwrite(old, new)
    old_s, new_s, res_s = (ps.parse(x).sections for x in (old, new, result))
    for key in ps.INLINE_TOOL_SECTIONS:
        if key in new_s:
            assert res_s[key] == new_s[key]
        elif key in old_s:
            assert res_s[key] == old_s[key]
        else:
            assert key not in res_s
    for key in set(ps.SECTION_ORDER) - set(ps.INLINE_TOOL_SECTIONS):
        assert res_s.get(key) == new_s.get(key)
    assert ps.parse(result).owner_text == ps.parse(new).owner_text
    if all(k in new_s or k not in old_s for k in ps.INLINE_TOOL_SECTIONS):
        assert result == new


@given(raw_prompts(), raw_prompts())
def test_overwrite_then_same_overwrite_is_stable(old: str, new: str) -> None:
    assume(new.strip() != "")
    once = ps.overwrite(old, new)
    assert ps.overwrite(once, once) == once
    assert ps.overwrite(old, once) == once
