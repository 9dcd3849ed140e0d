"""What the language model is asked when it rewrites prompt sections.

* Only the persona and the business context can be regenerated; a request
  naming no section regenerates both. Keys are trimmed, repeated keys count
  once, and the result is in canonical section order.
* The model is given the business data the profile holds (never the owner's
  free text) and asked for the section body only.
* What comes back is trimmed and must be non-empty and at most
  `MAX_GENERATED` characters, else the language model counts as failed
  (`ProviderUnavailable`) and the prompt is left as it was.
"""

from __future__ import annotations

from collections.abc import Sequence

from epoch_domain import prompt_sections
from epoch_domain.errors import ProviderUnavailable, ValidationFailed
from epoch_domain.hours import hours_text
from epoch_domain.receptionist import ReceptionistProfile

REGENERABLE: tuple[str, ...] = (prompt_sections.PERSONA, prompt_sections.CONTEXT)
MAX_GENERATED = 4000
LANGUAGE_MODEL = "language model"

_ASK: dict[str, str] = {
    prompt_sections.PERSONA: (
        "Write the persona part of a phone receptionist's system prompt: who the "
        "assistant is (use its name), whom it works for, and how it speaks. "
        "Second person, at most 120 words, plain text, no headings."
    ),
    prompt_sections.CONTEXT: (
        "Write the business context part of a phone receptionist's system "
        "prompt: what the business is and does, from the facts given only. "
        "Invent nothing. At most 200 words, plain text, no headings."
    ),
}


def sections_to_regenerate(requested: Sequence[str] | None) -> list[str]:
    if not requested:
        return list(REGENERABLE)
    wanted = {raw.strip() for raw in requested}
    unknown = sorted(wanted - set(REGENERABLE))
    if unknown:
        raise ValidationFailed(
            "sections", f"can only name {', '.join(REGENERABLE)}; got {unknown[0]!r}"
        )
    return [key for key in REGENERABLE if key in wanted]


def business_facts(profile: ReceptionistProfile) -> str:
    info = profile.info
    facts = [
        ("Assistant name", profile.name),
        ("Business name", profile.business_name),
        ("Business type", info.business_type),
        ("Description", info.description),
        ("Website", info.website_url),
        ("Address", profile.address),
    ]
    lines = [f"{label}: {value}" for label, value in facts if value]
    if profile.business_hours is not None:
        lines.append(hours_text(profile.business_hours, profile.timezone))
    return "\n".join(lines)


def instructions_for(key: str) -> str:
    return _ASK[key]


def check_generated(text: str) -> str:
    body = text.strip()
    if not body or len(body) > MAX_GENERATED:
        raise ProviderUnavailable(LANGUAGE_MODEL, "returned no usable section text")
    return body
