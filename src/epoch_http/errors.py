"""The one place where domain errors become HTTP answers."""

from __future__ import annotations

from typing import Any

import structlog
from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from epoch_domain.errors import (
    Conflict,
    EpochError,
    Forbidden,
    LimitReached,
    NotAuthenticated,
    NotFound,
    PaymentProviderFailed,
    PlanRequired,
    ProviderUnavailable,
    ValidationFailed,
)

log = structlog.get_logger()

# Most specific first: the first matching class decides the status.
STATUS_BY_ERROR: tuple[tuple[type[EpochError], int], ...] = (
    (ValidationFailed, 400),
    (NotAuthenticated, 401),
    (PlanRequired, 403),
    (LimitReached, 403),
    (Forbidden, 403),
    (NotFound, 404),
    (Conflict, 409),
    (PaymentProviderFailed, 502),
    (ProviderUnavailable, 502),
)


def _facts(error: EpochError) -> dict[str, Any]:
    if isinstance(error, ValidationFailed):
        return {"field": error.field}
    if isinstance(error, PlanRequired):
        return {"requiredPlan": error.required, "currentPlan": error.current}
    if isinstance(error, LimitReached):
        return {"limit": error.limit, "allowed": error.allowed, "plan": error.plan}
    return {}


def domain_error_response(
    _: Request[Any, Any, Any], error: EpochError
) -> Response[Any]:
    status = next(
        (code for kind, code in STATUS_BY_ERROR if isinstance(error, kind)), 400
    )
    body = {
        "status_code": status,
        "detail": error.message,
        "error": type(error).__name__,
        **_facts(error),
    }
    return Response(body, status_code=status)


def unexpected_error_response(
    request: Request[Any, Any, Any], error: Exception
) -> Response[Any]:
    if isinstance(error, HTTPException):
        body: dict[str, Any] = {
            "status_code": error.status_code,
            "detail": error.detail,
        }
        if error.extra:
            body["extra"] = error.extra
        return Response(body, status_code=error.status_code, headers=error.headers)
    log.exception("http.unhandled_error", path=request.url.path)
    return Response(
        {"status_code": 500, "detail": "Internal server error"},
        status_code=HTTP_500_INTERNAL_SERVER_ERROR,
    )


def too_deep_response(_: Request[Any, Any, Any], __: RecursionError) -> Response[Any]:
    """msgspec gives up on absurdly nested JSON with a RecursionError; that is
    the client's body, not our fault."""
    return Response(
        {"status_code": 400, "detail": "The JSON body is nested too deeply"},
        status_code=400,
    )


EXCEPTION_HANDLERS = {
    EpochError: domain_error_response,
    RecursionError: too_deep_response,
    Exception: unexpected_error_response,
}
