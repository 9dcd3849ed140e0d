"""Text PostgreSQL can hold.

PostgreSQL `text` and `jsonb` cannot hold U+0000, and a parameter carrying it
fails the whole statement, lookups included. Provider payloads are outside
our control, so they pass through `storable` before they reach a query; the
character is kept as U+FFFD, the usual stand-in for an unusable one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_NUL, _STAND_IN = "\x00", "\ufffd"


def storable(value: Any) -> Any:
    """The value with every NUL in its strings and mapping keys replaced."""
    if isinstance(value, str):
        return value.replace(_NUL, _STAND_IN) if _NUL in value else value
    if isinstance(value, Mapping):
        return {storable(k): storable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [storable(v) for v in value]
    return value
