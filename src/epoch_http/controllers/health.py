"""Liveness with the one dependency that matters: the database."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, get
from litestar.openapi import ResponseSpec
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError


class HealthOut(msgspec.Struct):
    status: str
    database: str


@get(
    "/health",
    tags=["Health"],
    responses={503: ResponseSpec(HealthOut, description="Database unreachable")},
)
async def health(request: Request[Any, Any, Any]) -> Response[HealthOut]:
    engine = request.app.state.container.engine()
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError):
        return Response(HealthOut("unavailable", "unreachable"), status_code=503)
    return Response(HealthOut("ok", "ok"))
