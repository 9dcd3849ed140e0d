"""Shapes shared by several controllers, and the error body every route uses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import OpenAPIMediaType, Operation, RequestBody, Schema


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
        502: "The payment provider failed; nothing was changed",
    }
    return {code: ResponseSpec(ErrorOut, description=text[code]) for code in codes}


def documented(**schema: Any) -> dict[str, Any]:
    """For `msgspec.Meta(extra_json_schema=documented(min_length=8))`: states in
    the OpenAPI schema a rule the domain enforces (and answers with its own
    field-naming 400), without msgspec enforcing it a second time. Litestar
    copies the `extra` entries onto the field's schema."""
    return {"extra": schema}


def raw_body(media_type: str, schema: Schema, description: str) -> type[Operation]:
    """An `operation_class` documenting the body of a handler that reads it raw
    (webhooks store it as received, or check a signature over its bytes)."""
    body = RequestBody(
        content={media_type: OpenAPIMediaType(schema=schema)},
        description=description,
        required=True,
    )

    @dataclass
    class WithRawBody(Operation):
        def __post_init__(self) -> None:
            self.request_body = body

    return WithRawBody
