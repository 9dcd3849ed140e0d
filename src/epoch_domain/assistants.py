"""Voice assistants an organization has registered with the voice platform."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from epoch_domain.errors import ValidationFailed
from epoch_domain.text import has_control

MAX_DISPLAY_NAME = 80
MAX_PLATFORM_ID = 128


class AssistantStatus(enum.StrEnum):
    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"


@dataclass(frozen=True, slots=True)
class Assistant:
    id: str
    organization_id: str
    vapi_assistant_id: str
    name: str
    status: AssistantStatus
    created_at: datetime
    call_count: int = 0


def check_display_name(raw: str) -> str:
    if has_control(raw):
        raise ValidationFailed("name", "must not contain control characters")
    name = raw.strip()
    if not name:
        raise ValidationFailed("name", "must not be empty")
    if len(name) > MAX_DISPLAY_NAME:
        raise ValidationFailed("name", f"must be at most {MAX_DISPLAY_NAME} characters")
    return name


def check_platform_id(raw: str) -> str:
    if has_control(raw):
        raise ValidationFailed("vapiAssistantId", "must not contain control characters")
    value = raw.strip()
    if not value:
        raise ValidationFailed("vapiAssistantId", "must not be empty")
    if len(value) > MAX_PLATFORM_ID or any(c.isspace() for c in value):
        raise ValidationFailed(
            "vapiAssistantId",
            f"must be at most {MAX_PLATFORM_ID} characters with no spaces",
        )
    return value
