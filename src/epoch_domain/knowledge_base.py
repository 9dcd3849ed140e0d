"""Knowledge base sections and the files the voice platform answers from.

* A section is one of the keys of `KB_SECTIONS` ("faqs", "company-info", ...);
  any other key is refused naming the known ones.
* A section written as text becomes one Markdown file, "<key>.md", headed by
  the section's label. The text is trimmed, must not be empty and holds at
  most 100,000 characters.
* An uploaded source file is a PDF, DOCX, CSV or TXT file of at most 10 MB
  (10,485,760 bytes) and at least one byte. The kind comes from the file name's
  extension, and the content must look like that kind: a PDF starts with
  "%PDF-", a DOCX is a ZIP archive, CSV and TXT are UTF-8 text (a byte-order
  mark is allowed). The stored file name is the base name, one line, at most
  255 characters.
* The prompt's knowledge-base section lists the labels of the sections that
  hold something and tells the assistant to look answers up there; with no
  section it is removed.
"""

from __future__ import annotations

import enum
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from epoch_domain import prompt_sections
from epoch_domain.errors import ValidationFailed

KB_SECTIONS: Mapping[str, str] = {
    "company-info": "Company information",
    "services": "Services",
    "pricing": "Pricing",
    "faqs": "FAQs",
    "policies": "Policies",
    "other": "Other information",
}
MAX_KB_TEXT = 100_000
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_FILE_NAME = 255


@dataclass(frozen=True, slots=True)
class KnowledgeSection:
    """A section of one organization's knowledge base. `file_id` is None while
    its file waits to be uploaded to the voice platform; `version` grows with
    every change so a late upload can tell it is stale."""

    organization_id: str
    key: str
    text: str
    file_id: str | None
    file_name: str
    updated_at: datetime
    version: int = 1

    @property
    def label(self) -> str:
        return KB_SECTIONS[self.key]


@dataclass(frozen=True, slots=True)
class KnowledgeUpload:
    """A source file uploaded for this organization, not yet put in a section."""

    organization_id: str
    file_id: str
    file_name: str
    size_bytes: int
    text: str
    uploaded_at: datetime


def check_kb_key(raw: str, field: str = "sectionKey") -> str:
    key = raw.strip().lower()
    if key not in KB_SECTIONS:
        raise ValidationFailed(field, f"must be one of {', '.join(KB_SECTIONS)}")
    return key


def check_kb_text(raw: str, field: str = "text") -> str:
    text = raw.strip()
    if not text:
        raise ValidationFailed(field, "must not be empty")
    if len(text) > MAX_KB_TEXT:
        raise ValidationFailed(field, f"must be at most {MAX_KB_TEXT} characters")
    return text


def markdown_name(key: str) -> str:
    return f"{check_kb_key(key)}.md"


def markdown_file(key: str, text: str) -> bytes:
    """The Markdown file uploaded for a section written as text."""
    return f"# {KB_SECTIONS[check_kb_key(key)]}\n\n{text}\n".encode()


class DocumentKind(enum.StrEnum):
    PDF = "pdf"
    DOCX = "docx"
    CSV = "csv"
    TXT = "txt"

    @property
    def content_type(self) -> str:
        return _CONTENT_TYPES[self]


_CONTENT_TYPES: Mapping[DocumentKind, str] = {
    DocumentKind.PDF: "application/pdf",
    DocumentKind.DOCX: (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    ),
    DocumentKind.CSV: "text/csv",
    DocumentKind.TXT: "text/plain",
}


def check_file_name(raw: str, field: str = "file") -> str:
    name = raw.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not name or name in (".", ".."):
        raise ValidationFailed(field, "must have a file name")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in name):
        raise ValidationFailed(field, "file name must be one line")
    if len(name) > MAX_FILE_NAME:
        raise ValidationFailed(field, f"file name must be at most {MAX_FILE_NAME}")
    return name


def _looks_like(kind: DocumentKind, content: bytes) -> bool:
    if kind is DocumentKind.PDF:
        return content.startswith(b"%PDF-")
    if kind is DocumentKind.DOCX:
        return content.startswith(b"PK\x03\x04")
    return plain_text(content) is not None


def check_upload(file_name: str, content: bytes, field: str = "file") -> DocumentKind:
    """The kind of an uploaded source file, or ValidationFailed naming `field`."""
    name = check_file_name(file_name, field)
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    allowed = ", ".join(k.value.upper() for k in DocumentKind)
    try:
        kind = DocumentKind(extension)
    except ValueError:
        raise ValidationFailed(field, f"must be one of {allowed}") from None
    if not content:
        raise ValidationFailed(field, "is empty")
    if len(content) > MAX_UPLOAD_BYTES:
        raise ValidationFailed(field, "must be at most 10 MB")
    if not _looks_like(kind, content):
        raise ValidationFailed(field, f"is not a {kind.value.upper()} file")
    return kind


def plain_text(content: bytes) -> str | None:
    """UTF-8 text of a CSV or TXT file (byte-order mark dropped), else None."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    return None if "\x00" in text else text


# -- the prompt's knowledge-base section -----------------------------------------


def kb_prompt_text(labels: Iterable[str]) -> str:
    listed = ", ".join(labels)
    return (
        f"A knowledge base is available with: {listed}.\n"
        "Look answers up there before saying you do not know."
    )


def section_labels(sections: Iterable[KnowledgeSection]) -> list[str]:
    """Labels of the sections, in the catalog's order."""
    keys = {s.key for s in sections}
    return [label for key, label in KB_SECTIONS.items() if key in keys]


def apply_knowledge_base(prompt: str, sections: Iterable[KnowledgeSection]) -> str:
    labels = section_labels(sections)
    if not labels:
        return prompt_sections.remove_section(prompt, prompt_sections.KNOWLEDGE_BASE)
    return prompt_sections.update_section(
        prompt, prompt_sections.KNOWLEDGE_BASE, kb_prompt_text(labels)
    )
