"""The assistant's name, greeting and voice, and the persona text built on them.

* The display name is trimmed and must then be 2 to 30 characters on one line.
  An assistant with no name set is called `DEFAULT_ASSISTANT_NAME`.
* Renaming propagates: whole-word occurrences of the old name in the greeting
  are replaced by the new one, and the persona section is rewritten with it.
* Greeting modes are exactly the three of `FirstMessageMode`. The first message
  is required for `assistant-speaks-first` and is then what the assistant says
  when it answers. The other modes do not use it: the assistant waits for the
  caller, or the model writes its own opening line. A stored message is kept
  across mode changes so switching back needs no retyping; only
  `GreetingSettings.spoken_first_message` says what the platform receives.
* A voice is chosen by its provider id (required, no spaces, bounded) and an
  optional display name.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass

from epoch_domain import prompt_sections
from epoch_domain.errors import ValidationFailed

DEFAULT_ASSISTANT_NAME = "Savannah"
MIN_NAME = 2
MAX_NAME = 30
MAX_FIRST_MESSAGE = 1000
MAX_VOICE_ID = 100
MAX_VOICE_NAME = 60


def _single_line(value: str) -> bool:
    # Control and format characters (line breaks, tabs, bidi overrides, zero
    # widths) have no place in a name read aloud or quoted in a prompt line.
    return not any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in value)


def check_assistant_name(raw: str, field: str = "name") -> str:
    name = raw.strip()
    if not MIN_NAME <= len(name) <= MAX_NAME:
        raise ValidationFailed(
            field, f"must be between {MIN_NAME} and {MAX_NAME} characters"
        )
    if not _single_line(name):
        raise ValidationFailed(field, "must be one line of visible characters")
    return name


def effective_name(stored: str | None) -> str:
    return stored if stored else DEFAULT_ASSISTANT_NAME


class FirstMessageMode(enum.StrEnum):
    SPEAKS_FIRST = "assistant-speaks-first"
    WAITS_FOR_USER = "assistant-waits-for-user"
    SPEAKS_FIRST_MODEL_GENERATED = "assistant-speaks-first-with-model-generated-message"

    @classmethod
    def parse(cls, raw: str, field: str = "mode") -> FirstMessageMode:
        try:
            return cls(raw)
        except ValueError:
            allowed = ", ".join(m.value for m in cls)
            raise ValidationFailed(field, f"must be one of {allowed}") from None


@dataclass(frozen=True, slots=True)
class GreetingSettings:
    mode: FirstMessageMode
    first_message: str | None

    @property
    def spoken_first_message(self) -> str | None:
        """What the voice platform gets as its first message."""
        if self.mode is FirstMessageMode.SPEAKS_FIRST:
            return self.first_message
        return None


def default_first_message(assistant_name: str, business_name: str | None) -> str:
    where = f"calling {business_name.strip()}" if business_name else "calling"
    return (
        f"Hi! Thanks for {where}. This is {assistant_name}. How can I help you today?"
    )


def default_greeting(
    assistant_name: str = DEFAULT_ASSISTANT_NAME, business_name: str | None = None
) -> GreetingSettings:
    return GreetingSettings(
        FirstMessageMode.SPEAKS_FIRST,
        default_first_message(assistant_name, business_name),
    )


def check_first_message(raw: str, field: str = "firstMessage") -> str:
    message = raw.strip()
    if not message:
        raise ValidationFailed(field, "must not be empty")
    if len(message) > MAX_FIRST_MESSAGE:
        raise ValidationFailed(field, f"must be at most {MAX_FIRST_MESSAGE} characters")
    return message


def change_greeting(
    current: GreetingSettings, mode: str, first_message: str | None
) -> GreetingSettings:
    """The greeting after PUT /api/first-message-mode.

    `first_message` None keeps the stored message. A blank message clears it,
    which only the modes that do not use it accept.
    """
    new_mode = FirstMessageMode.parse(mode)
    message = current.first_message
    if first_message is not None:
        message = check_first_message(first_message) if first_message.strip() else None
    if new_mode is FirstMessageMode.SPEAKS_FIRST and message is None:
        raise ValidationFailed(
            "firstMessage", f"is required when mode is {FirstMessageMode.SPEAKS_FIRST}"
        )
    return GreetingSettings(new_mode, message)


def _word(name: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(name)}(?!\w)")


def rename_in_text(text: str, old_name: str, new_name: str) -> str:
    """`text` with each whole-word `old_name` replaced by `new_name`."""
    if not old_name or old_name == new_name:
        return text
    return _word(old_name).sub(lambda _: new_name, text)


def rename_greeting(
    greeting: GreetingSettings, old_name: str, new_name: str
) -> GreetingSettings:
    if greeting.first_message is None:
        return greeting
    return GreetingSettings(
        greeting.mode, rename_in_text(greeting.first_message, old_name, new_name)
    )


def persona_text(assistant_name: str, business_name: str | None = None) -> str:
    """The persona section: who the assistant is and how it speaks."""
    employer = (
        f"the AI receptionist for {business_name.strip()}"
        if business_name and business_name.strip()
        else "an AI receptionist"
    )
    return (
        f"You are {assistant_name}, {employer}. When asked your name, say you are "
        f"{assistant_name}.\n"
        "Speak warmly and professionally, keep answers short enough for a phone "
        "call, and ask one question at a time."
    )


def apply_persona(
    prompt: str, assistant_name: str, business_name: str | None = None
) -> str:
    """`prompt` with its persona section rewritten; nothing else changes."""
    return prompt_sections.update_section(
        prompt, prompt_sections.PERSONA, persona_text(assistant_name, business_name)
    )


@dataclass(frozen=True, slots=True)
class VoiceChoice:
    voice_id: str
    voice_name: str | None


def check_voice(voice_id: str, voice_name: str | None) -> VoiceChoice:
    vid = voice_id.strip()
    if not vid:
        raise ValidationFailed("voiceId", "must not be empty")
    if (
        len(vid) > MAX_VOICE_ID
        or any(c.isspace() for c in vid)
        or not _single_line(vid)
    ):
        raise ValidationFailed(
            "voiceId", f"must be at most {MAX_VOICE_ID} characters with no spaces"
        )
    name = voice_name.strip() if voice_name is not None else ""
    if len(name) > MAX_VOICE_NAME or not _single_line(name):
        raise ValidationFailed(
            "voiceName", f"must be one line of at most {MAX_VOICE_NAME} characters"
        )
    return VoiceChoice(vid, name or None)
