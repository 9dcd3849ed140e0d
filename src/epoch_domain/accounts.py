"""Organizations, their users and the rules for creating them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from epoch_domain.errors import ValidationFailed
from epoch_domain.plans import Tier
from epoch_domain.text import has_control, is_address

MIN_PASSWORD_LENGTH = 8
# Argon2 hashes any length, but an unbounded password is a cheap way to burn CPU.
MAX_PASSWORD_LENGTH = 256
MAX_NAME_LENGTH = 120


@dataclass(frozen=True, slots=True)
class Organization:
    id: str
    name: str
    tier: Tier
    created_at: datetime
    cycle_anchor: datetime
    phone_number: str | None = None
    vapi_phone_number_id: str | None = None
    overage_enabled: bool = True


@dataclass(frozen=True, slots=True)
class User:
    id: str
    organization_id: str
    email: str
    name: str
    password_hash: str
    must_change_password: bool = False
    role: str = "OWNER"


def normalize_email(raw: str) -> str:
    email = raw.strip().lower()
    if len(email) > 254 or has_control(raw) or not is_address(email):
        raise ValidationFailed("email", "is not a valid email address")
    return email


def check_password(password: str, field: str = "password") -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            field, f"must be at least {MIN_PASSWORD_LENGTH} characters"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationFailed(
            field, f"must be at most {MAX_PASSWORD_LENGTH} characters"
        )
    return password


def check_name(value: str, field: str) -> str:
    if has_control(value):
        raise ValidationFailed(field, "must not contain control characters")
    name = value.strip()
    if not name:
        raise ValidationFailed(field, "must not be empty")
    if len(name) > MAX_NAME_LENGTH:
        raise ValidationFailed(field, f"must be at most {MAX_NAME_LENGTH} characters")
    return name
