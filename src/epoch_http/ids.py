"""Path and query identifiers: our ids are UUIDs, and anything else is simply
not found (never a database error)."""

from __future__ import annotations

import uuid

from epoch_domain.errors import NotFound


def parse_id(value: str, what: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise NotFound(what, value) from None
