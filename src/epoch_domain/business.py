"""What the receptionist knows about the business, and the prompt text for it.

* Business type, description and website are each optional. In an update,
  None keeps the stored value and a blank string clears it.
* The business type is one line of at most 60 characters ("dental_office");
  the prompt shows it with underscores as spaces.
* The description may span lines, at most 2000 characters, no control
  characters other than line breaks and tabs.
* A website is an http or https address with a dotted host name; without a
  scheme "https://" is assumed, and the host is lower-cased.
* An address is at most 300 characters; its lines are trimmed and joined with
  ", ", so the prompt shows it on one line. Clearing it removes the prompt's
  address section.
* The context section names the business and shows what is known of it; the
  handling section tells the assistant what to do when it cannot help:
  transfer the caller when a transfer number is set, else take a message.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from epoch_domain import prompt_sections
from epoch_domain.errors import ValidationFailed

MAX_BUSINESS_NAME = 120
MAX_BUSINESS_TYPE = 60
MAX_DESCRIPTION = 2000
MAX_URL = 2048
MAX_ADDRESS = 300

_HOST = re.compile(
    r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]*[a-z0-9]"
)


@dataclass(frozen=True, slots=True)
class BusinessInfo:
    business_type: str | None = None
    description: str | None = None
    website_url: str | None = None


def _has_controls(text: str, allowed: str = "") -> bool:
    return any(
        unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") and c not in allowed
        for c in text
    )


def _one_line(raw: str, field: str, limit: int) -> str | None:
    value = raw.strip()
    if not value:
        return None
    if _has_controls(value):
        raise ValidationFailed(field, "must be one line of visible characters")
    if len(value) > limit:
        raise ValidationFailed(field, f"must be at most {limit} characters")
    return value


def check_business_name(raw: str, field: str = "businessName") -> str:
    name = _one_line(raw, field, MAX_BUSINESS_NAME)
    if name is None:
        raise ValidationFailed(field, "must not be empty")
    return name


def check_business_type(raw: str, field: str = "businessType") -> str | None:
    return _one_line(raw, field, MAX_BUSINESS_TYPE)


def check_description(raw: str, field: str = "businessDescription") -> str | None:
    value = raw.strip()
    if not value:
        return None
    if _has_controls(value, allowed="\n\t"):
        raise ValidationFailed(field, "must not contain control characters")
    if len(value) > MAX_DESCRIPTION:
        raise ValidationFailed(field, f"must be at most {MAX_DESCRIPTION} characters")
    return value


def check_website_url(raw: str, field: str = "websiteUrl") -> str:
    text = raw.strip()
    if not text:
        raise ValidationFailed(field, "must not be empty")
    if len(text) > MAX_URL or _has_controls(text) or any(c.isspace() for c in text):
        raise ValidationFailed(field, "must be a web address without spaces")
    if "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise ValidationFailed(field, "is not a valid web address") from None
    host = (parts.hostname or "").lower()
    if parts.scheme.lower() not in ("http", "https") or parts.username is not None:
        raise ValidationFailed(field, "must be an http or https address")
    if _HOST.fullmatch(host) is None:
        raise ValidationFailed(field, "must name a host such as example.com")
    netloc = host if port is None else f"{host}:{port}"
    return urlunsplit(
        (parts.scheme.lower(), netloc, parts.path or "/", parts.query, "")
    )


def _optional_url(raw: str, field: str = "websiteUrl") -> str | None:
    return check_website_url(raw, field) if raw.strip() else None


def change_business_info(
    current: BusinessInfo,
    business_type: str | None = None,
    description: str | None = None,
    website_url: str | None = None,
) -> BusinessInfo:
    """The info after PUT /api/business-info: None keeps, blank clears."""
    return BusinessInfo(
        current.business_type
        if business_type is None
        else check_business_type(business_type),
        current.description if description is None else check_description(description),
        current.website_url if website_url is None else _optional_url(website_url),
    )


def check_address(raw: str, field: str = "businessAddress") -> str | None:
    if _has_controls(raw, allowed="\n\r\t"):
        raise ValidationFailed(field, "must not contain control characters")
    lines = [line.strip(" \t,") for line in re.split(r"[\r\n]+", raw)]
    address = ", ".join(line for line in lines if line)
    if len(address) > MAX_ADDRESS:
        raise ValidationFailed(field, f"must be at most {MAX_ADDRESS} characters")
    return address or None


# -- prompt text ---------------------------------------------------------------


def _spoken_type(business_type: str) -> str:
    return business_type.replace("_", " ")


def context_text(business_name: str | None, info: BusinessInfo) -> str:
    lines = [f"Business name: {business_name}" if business_name else ""]
    if info.business_type:
        lines.append(f"Type of business: {_spoken_type(info.business_type)}")
    if info.description:
        lines.append(f"About the business: {info.description}")
    if info.website_url:
        lines.append(f"Website: {info.website_url}")
    known = [line for line in lines if line]
    if not known:
        known = ["No business details have been provided yet."]
    known.append(
        "Answer questions about the business only from this information and the "
        "knowledge base. If you do not know an answer, say so and offer to take "
        "a message."
    )
    return "\n".join(known)


def address_text(address: str) -> str:
    return (
        f"Business address: {address}\n"
        "Give this address to callers who ask where the business is."
    )


def apply_address(prompt: str, address: str | None) -> str:
    if address is None:
        return prompt_sections.remove_section(prompt, prompt_sections.ADDRESS)
    return prompt_sections.update_section(
        prompt, prompt_sections.ADDRESS, address_text(address)
    )


def handling_text(transfer_number: str | None) -> str:
    fallback = (
        "transfer the call with the call transfer tool"
        if transfer_number
        else "take a message: the caller's name, phone number and reason for calling"
    )
    return (
        "Greet every caller, find out what they need and help with it.\n"
        f"When a caller asks for a person, or you cannot help, {fallback}.\n"
        "Never invent prices, appointments or policies."
    )


def transfer_text(transfer_number: str) -> str:
    return (
        f"Call transfer is available to {transfer_number}. Before transferring, "
        "tell the caller you are connecting them to a member of the team."
    )


def apply_transfer(prompt: str, transfer_number: str | None) -> str:
    """Rewrite the transfer tool section (removed when cleared) and the
    handling instructions that depend on it."""
    if transfer_number is None:
        prompt = prompt_sections.remove_section(prompt, prompt_sections.TRANSFER)
    else:
        prompt = prompt_sections.update_section(
            prompt, prompt_sections.TRANSFER, transfer_text(transfer_number)
        )
    return prompt_sections.update_section(
        prompt, prompt_sections.HANDLING, handling_text(transfer_number)
    )
