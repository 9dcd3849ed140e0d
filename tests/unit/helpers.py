"""Small helpers shared by the domain tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from epoch_domain.errors import ValidationFailed

T = TypeVar("T")


def attempt(
    fn: Callable[..., T], *args: Any
) -> tuple[T | None, ValidationFailed | None]:
    """Call `fn`; return its result, or the ValidationFailed it raised."""
    try:
        return fn(*args), None
    except ValidationFailed as error:
        return None, error
