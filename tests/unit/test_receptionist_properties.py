"""Properties of the receptionist use cases, driven through the fakes.

Whatever sequence of settings changes an owner makes, with the voice platform
up or down at each step:

* a change refused as invalid changes nothing;
* the lines the owner wrote outside the sections survive, in order;
* every system-managed section agrees with the stored profile;
* once the platform is back and pending changes are retried, the platform's
  assistant is exactly what the profile and knowledge base say.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from epoch_domain import prompt_sections
from epoch_domain.errors import ValidationFailed
from epoch_domain.hours import WEEKDAYS
from epoch_domain.knowledge_base import KB_SECTIONS
from epoch_domain.prompt_sections import OwnerText
from epoch_domain.receptionist import assistant_config, expected_sections
from tests.unit.receptionist_world import World

Op = Callable[[World], Awaitable[Any]]

# Owner text and values that look like markup, markers or other languages.
_TRICKY = st.sampled_from(
    [
        "<!-- epoch:section:hours -->",
        "<!-- /epoch:section:persona -->",
        "\\<!-- epoch:section:context -->",
        "## Heading **bold**",
        "Zoë — café ☕",
        "line\u2028separator",
        "",
    ]
)
_TEXT = st.one_of(_TRICKY, st.text(max_size=40))


def _plain_line(line: str) -> bool:
    return prompt_sections.parse(line).parts in ((), (OwnerText(line),))


_OWNER_LINE = st.one_of(_TRICKY, st.text(max_size=30)).filter(
    lambda s: "\n" not in s and _plain_line(s)
)


def _lines_outside_sections(prompt: str) -> list[str]:
    parts = prompt_sections.parse(prompt).parts
    return [
        line for p in parts if isinstance(p, OwnerText) for line in p.text.split("\n")
    ]


def _rename(name: str) -> Op:
    return lambda w: w.settings.rename(w.organization(), name)


def _greeting(mode: str, message: str) -> Op:
    return lambda w: w.settings.set_greeting(w.organization(), mode, message)


def _voice(voice_id: str) -> Op:
    return lambda w: w.settings.set_voice(w.organization(), voice_id, None)


def _info(kind: str, about: str) -> Op:
    return lambda w: w.business.set_info(w.organization(), kind, about, "acme.com")


def _hours(opens: int, hours_open: int, closed: list[bool]) -> Op:
    day = {"open": f"{opens:02d}:00", "close": f"{(opens + hours_open) % 24:02d}:30"}
    schedule = {
        name: {**day, "closed": c} for name, c in zip(WEEKDAYS, closed, strict=True)
    }
    return lambda w: w.business.set_hours(w.organization(), schedule, "Europe/Paris")


def _address(text: str) -> Op:
    return lambda w: w.business.set_address(w.organization(), text)


def _transfer(number: str | None) -> Op:
    return lambda w: w.business.set_transfer_number(w.organization(), number)


def _kb_put(key: str, text: str) -> Op:
    return lambda w: w.kb.put(w.organization(), key, text=text)


async def _kb_delete_if_present(w: World, key: str) -> None:
    if (w.organization().id, key) in w.db.tables.kb_sections:
        await w.kb.delete(w.organization(), key)


def _kb_delete(key: str) -> Op:
    return lambda w: _kb_delete_if_present(w, key)


_NAMES = st.sampled_from(["Alex", "Zoë", "Ana-María", "Savannah", "Sam O'Neil"])
_WORDS = st.text(alphabet="abc xyz", min_size=1, max_size=12).filter(str.strip)
_OPS = st.one_of(
    st.builds(_rename, _NAMES),
    st.builds(
        _greeting,
        st.sampled_from(
            [
                "assistant-speaks-first",
                "assistant-waits-for-user",
                "assistant-speaks-first-with-model-generated-message",
            ]
        ),
        _TEXT.filter(str.strip),
    ),
    st.builds(_voice, st.sampled_from(["pNInz6obpgDQGcFmaJgB", "voice_marcus"])),
    st.builds(_info, _WORDS, _TEXT),
    st.builds(
        _hours,
        st.integers(0, 23),
        st.integers(1, 23),
        st.lists(st.booleans(), min_size=7, max_size=7),
    ),
    st.builds(_address, _TEXT),
    st.builds(_transfer, st.sampled_from([None, "+15559876543", "(415) 555-2671"])),
    st.builds(_kb_put, st.sampled_from(list(KB_SECTIONS)), _TEXT.filter(str.strip)),
    st.builds(_kb_delete, st.sampled_from(list(KB_SECTIONS))),
)


async def _scenario(
    owner_lines: list[str], steps: list[tuple[Op, bool]]
) -> tuple[World, str]:
    world = World()
    org = world.organization()
    platform_id = await world.live(org)
    built = (await world.prompt.get(org)).system_prompt
    owner = "\n".join(owner_lines)
    await world.prompt.overwrite(org, f"{owner}\n{built}" if owner else built)
    for op, platform_down in steps:
        world.platform.failing = platform_down
        before = world.db.tables.copy()
        try:
            await op(world)
        except ValidationFailed:
            assert world.db.tables == before  # a refused change changes nothing
    world.platform.failing = False
    return world, platform_id


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(
    st.lists(_OWNER_LINE, min_size=1, max_size=4).filter(
        lambda lines: "".join(lines).strip() != ""
    ),
    st.lists(st.tuples(_OPS, st.booleans()), max_size=12),
)
def test_any_sequence_of_changes_keeps_owner_text_and_a_consistent_prompt(
    owner_lines: list[str], steps: list[tuple[Op, bool]]
) -> None:
    world, platform_id = asyncio.run(_scenario(owner_lines, steps))
    profile = world.profile()
    kb = sorted(world.db.tables.kb_sections.values(), key=lambda s: s.key)
    prompt = profile.system_prompt

    assert _lines_outside_sections(prompt)[: len(owner_lines)] == owner_lines
    sections = prompt_sections.parse(prompt).sections
    for key, body in expected_sections(profile, kb).items():
        assert sections.get(key) == body, key

    asyncio.run(world.sync.retry_pending())
    profile = world.profile()
    kb = sorted(world.db.tables.kb_sections.values(), key=lambda s: s.key)
    assert not profile.needs_sync
    assert all(s.file_id is not None for s in kb)
    assert world.config(platform_id) == assistant_config(profile, kb)
    assert set(world.platform.files) == {s.file_id for s in kb}
