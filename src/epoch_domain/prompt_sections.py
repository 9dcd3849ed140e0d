"""System-prompt section surgery.

An assistant's system prompt is plain text with named sections the system
writes and rewrites, and any text the owner typed around them. A section is a
block of whole lines:

    <!-- epoch:section:hours -->
    Monday: 9:00 AM to 5:00 PM
    <!-- /epoch:section:hours -->

Rules (each one is checked by a property in tests/unit/test_prompt_sections.py):

* Lines are split on "\\n" only, so unicode line separators, "\\r" and markdown
  in the text are ordinary characters.
* A marker counts only when it is a whole line (surrounding whitespace allowed)
  naming a known section key. An opening marker pairs with the next closing
  marker of the same key, provided no other marker line comes first; an
  unpaired, partial or unknown-key marker is plain owner text.
* When the system writes a section body, every body line that could be read as
  a marker gets one extra leading backslash, and reading removes exactly one.
  A body can therefore hold any text, marker look-alikes included, and parse
  back to the same string.
* `update_section` replaces only the blocks of one key (every block of that key
  if a hand edit duplicated it), byte for byte leaving everything else. A
  missing section is inserted right after the nearest present section that
  comes before it in `SECTION_ORDER`, else right before the nearest present
  section after it, else at the end of the prompt.
* `overwrite` (PUT /api/prompt) keeps the owner's new text as written but
  carries over the "inline tools": the system-managed transfer and
  calendar-tools sections, taken from the old prompt when the new text lacks
  them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from epoch_domain.errors import UnknownPromptSection, ValidationFailed

PERSONA = "persona"
CONTEXT = "context"
HOURS = "hours"
ADDRESS = "address"
HANDLING = "handling"
TRANSFER = "transfer"
CALENDAR_TOOLS = "calendar-tools"
KNOWLEDGE_BASE = "knowledge-base"
FREE_TEXT = "free-text"

# Canonical order: a fresh prompt is built in it, a missing section is
# inserted by it.
SECTION_ORDER: tuple[str, ...] = (
    PERSONA,
    CONTEXT,
    HOURS,
    ADDRESS,
    HANDLING,
    TRANSFER,
    CALENDAR_TOOLS,
    KNOWLEDGE_BASE,
    FREE_TEXT,
)

SECTION_LABELS: Mapping[str, str] = {
    PERSONA: "Persona",
    CONTEXT: "Business context",
    HOURS: "Business hours",
    ADDRESS: "Business address",
    HANDLING: "Call handling instructions",
    TRANSFER: "Call transfer tool",
    CALENDAR_TOOLS: "Calendar tools",
    KNOWLEDGE_BASE: "Knowledge base",
    FREE_TEXT: "Additional instructions",
}

# Sections the system manages for its tools; PUT /api/prompt never loses them.
INLINE_TOOL_SECTIONS: tuple[str, ...] = (TRANSFER, CALENDAR_TOOLS)

MAX_PROMPT_CHARS = 100_000

_MARKER = re.compile(r"<!--\s*(/?)epoch:section:([a-z][a-z-]*)\s*-->")
# Anything that starts like one of our markers, in any case or spacing. Body
# lines of this shape (after any leading backslashes) are escaped; this is a
# superset of what `_MARKER` accepts, so an escaped body never holds a marker.
_MARKER_LIKE = re.compile(r"<!--\s*/?\s*epoch:", re.IGNORECASE)


def check_section_key(key: str, field: str = "section") -> str:
    if key not in SECTION_LABELS:
        raise UnknownPromptSection(key, SECTION_ORDER, field)
    return key


def open_marker(key: str) -> str:
    return f"<!-- epoch:section:{check_section_key(key)} -->"


def close_marker(key: str) -> str:
    return f"<!-- /epoch:section:{check_section_key(key)} -->"


# -- escaping of body lines ---------------------------------------------------


def _marker_like(line: str) -> bool:
    return _MARKER_LIKE.match(line.lstrip("\\").strip()) is not None


def escape_body(text: str) -> list[str]:
    """The body lines written for `text`; no line can be read as a marker."""
    if text == "":
        return []
    return ["\\" + line if _marker_like(line) else line for line in text.split("\n")]


def unescape_body(lines: Iterable[str]) -> str:
    return "\n".join(
        line[1:] if line.startswith("\\") and _marker_like(line) else line
        for line in lines
    )


def _read_marker(line: str) -> tuple[bool, str] | None:
    """(is_closing, key) when `line` is a marker of a known section."""
    found = _MARKER.fullmatch(line.strip())
    if found is None or found.group(2) not in SECTION_LABELS:
        return None
    return found.group(1) == "/", found.group(2)


# -- the parsed shape ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OwnerText:
    """Lines the owner wrote outside any section, joined by "\\n"."""

    text: str


@dataclass(frozen=True, slots=True)
class Section:
    key: str
    body: str


Part = OwnerText | Section


@dataclass(frozen=True, slots=True)
class _Block:
    key: str
    first: int  # line index of the opening marker
    last: int  # line index of the closing marker


@dataclass(frozen=True, slots=True)
class ParsedPrompt:
    parts: tuple[Part, ...]

    @property
    def sections(self) -> dict[str, str]:
        """Section bodies by key in order of appearance (first block wins)."""
        found: dict[str, str] = {}
        for part in self.parts:
            if isinstance(part, Section) and part.key not in found:
                found[part.key] = part.body
        return found

    @property
    def owner_text(self) -> tuple[str, ...]:
        return tuple(p.text for p in self.parts if isinstance(p, OwnerText))


def _lines(prompt: str) -> list[str]:
    return [] if prompt == "" else prompt.split("\n")


def _blocks(lines: list[str]) -> list[_Block]:
    blocks: list[_Block] = []
    i = 0
    while i < len(lines):
        marker = _read_marker(lines[i])
        if marker is None or marker[0]:
            i += 1
            continue
        key = marker[1]
        j = i + 1
        while j < len(lines) and _read_marker(lines[j]) is None:
            j += 1
        if j < len(lines) and _read_marker(lines[j]) == (True, key):
            blocks.append(_Block(key, i, j))
            i = j + 1
        else:
            # Unpaired: this line is plain text; whatever stopped the scan
            # gets its own chance.
            i += 1
    return blocks


def parse(prompt: str) -> ParsedPrompt:
    lines = _lines(prompt)
    parts: list[Part] = []
    cursor = 0
    for block in _blocks(lines):
        if block.first > cursor:
            parts.append(OwnerText("\n".join(lines[cursor : block.first])))
        parts.append(
            Section(block.key, unescape_body(lines[block.first + 1 : block.last]))
        )
        cursor = block.last + 1
    if cursor < len(lines):
        parts.append(OwnerText("\n".join(lines[cursor:])))
    return ParsedPrompt(tuple(parts))


def _block_lines(key: str, body: str) -> list[str]:
    return [open_marker(key), *escape_body(body), close_marker(key)]


def render(parts: Iterable[Part]) -> str:
    """The prompt text of `parts`; `parse(render(p)).parts == p` when `p` is
    what `parse` could have produced (no two owner texts side by side, owner
    text that holds no section of its own, no lone empty owner text)."""
    lines: list[str] = []
    for part in parts:
        if isinstance(part, Section):
            lines.extend(_block_lines(part.key, part.body))
        else:
            lines.extend(part.text.split("\n"))
    return "\n".join(lines)


def build_prompt(sections: Mapping[str, str]) -> str:
    """A fresh prompt: the given sections in canonical order, a blank line
    between blocks."""
    for key in sections:
        check_section_key(key)
    parts: list[Part] = []
    for key in SECTION_ORDER:
        if key in sections:
            if parts:
                parts.append(OwnerText(""))
            parts.append(Section(key, sections[key]))
    return render(parts)


def update_section(prompt: str, key: str, text: str) -> str:
    """`prompt` with section `key` holding `text` and nothing else changed."""
    check_section_key(key)
    lines = _lines(prompt)
    blocks = _blocks(lines)
    new_block = _block_lines(key, text)
    own = [b for b in blocks if b.key == key]
    if own:
        for block in reversed(own):
            lines[block.first : block.last + 1] = new_block
        return "\n".join(lines)
    rank = SECTION_ORDER.index(key)
    before = [b for b in blocks if SECTION_ORDER.index(b.key) < rank]
    after = [b for b in blocks if SECTION_ORDER.index(b.key) > rank]
    if before:
        anchor = max(before, key=lambda b: (SECTION_ORDER.index(b.key), b.last))
        at = anchor.last + 1
    elif after:
        anchor = min(after, key=lambda b: (SECTION_ORDER.index(b.key), b.first))
        at = anchor.first
    else:
        at = len(lines)
    lines[at:at] = new_block
    return "\n".join(lines)


def remove_section(prompt: str, key: str) -> str:
    """`prompt` without any block of `key` (e.g. when a calendar disconnects)."""
    check_section_key(key)
    lines = _lines(prompt)
    for block in reversed([b for b in _blocks(lines) if b.key == key]):
        del lines[block.first : block.last + 1]
    return "\n".join(lines)


def check_prompt_text(text: str, field: str = "systemPrompt") -> str:
    if text.strip() == "":
        raise ValidationFailed(field, "must not be empty")
    if len(text) > MAX_PROMPT_CHARS:
        raise ValidationFailed(field, f"must be at most {MAX_PROMPT_CHARS} characters")
    return text


def overwrite(prompt_old: str, new_full_text: str) -> str:
    """The prompt after the owner replaced it with `new_full_text`.

    The owner's text is kept as written; each inline-tool section the old
    prompt had and the new text lacks is carried over, inserted at its
    canonical place. When nothing is missing the result is `new_full_text`.
    """
    result = check_prompt_text(new_full_text)
    old_sections = parse(prompt_old).sections
    new_sections = parse(result).sections
    for key in INLINE_TOOL_SECTIONS:
        if key in old_sections and key not in new_sections:
            result = update_section(result, key, old_sections[key])
    return result
