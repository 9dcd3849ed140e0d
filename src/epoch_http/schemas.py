"""Shapes shared by several controllers, and the error body every route uses."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar.openapi import ResponseSpec


class ErrorOut(msgspec.Struct, omit_defaults=True):
    status_code: int
    detail: str
    error: str | None = None
    field: str | None = None
    requiredPlan: str | None = None  # noqa: N815
    currentPlan: str | None = None  # noqa: N815
    extra: Any = None


class SuccessOut(msgspec.Struct):
    success: bool = True


def errors(*codes: int) -> dict[int, ResponseSpec]:
    """OpenAPI entries for the error answers a route can give."""
    text = {
        400: "Invalid input; the detail names the field",
        401: "No valid session or credential",
        403: "The organization's plan does not include this",
        404: "Not found in this organization",
        409: "Already exists or already done",
        429: "Too many attempts; retry after the Retry-After seconds",
    }
    return {code: ResponseSpec(ErrorOut, description=text[code]) for code in codes}
