"""The VAPI webhook: call events in, calls and metered minutes out."""

from __future__ import annotations

from typing import Any

import msgspec
import structlog
from litestar import Request, Response, post
from litestar.exceptions import HTTPException
from litestar.openapi.spec import OpenAPIType, Schema

from epoch_adapters.postgres.text import storable
from epoch_adapters.vapi.events import UnreadableEvent, event_type, read_call_event
from epoch_domain.errors import NotAuthenticated
from epoch_http.schemas import errors, raw_body
from epoch_http.security import bearer_token, secrets_match

log = structlog.get_logger()

MAX_BODY_BYTES = 2 * 1024 * 1024


class ReceivedOut(msgspec.Struct):
    received: bool = True


def _check_secret(request: Request[Any, Any, Any]) -> None:
    expected = request.app.state.settings.vapi_webhook_secret
    if not expected:
        return
    given = request.headers.get("x-vapi-secret", "") or bearer_token(request)
    if not secrets_match(given, expected):
        log.warning("vapi.webhook.bad_secret")
        raise NotAuthenticated("Missing or wrong webhook secret")


@post(
    "/api/webhooks/vapi",
    status_code=200,
    tags=["Webhooks (Incoming)"],
    exclude_from_csrf=True,
    request_max_body_size=MAX_BODY_BYTES,
    responses=errors(400, 401),
    operation_class=raw_body(
        "application/json",
        Schema(type=OpenAPIType.OBJECT),
        "A VAPI server message, `{message: {type, call, ...}}`, stored as received",
    ),
)
async def vapi_webhook(request: Request[Any, Any, Any]) -> Response[ReceivedOut]:
    """Stores every event as received, then records the call and meters its
    minutes. Answers 200 to anything VAPI could have sent, so VAPI never
    retries or disables the hook over an event we choose not to act on."""
    _check_secret(request)
    try:
        body = msgspec.json.decode(await request.body())
    except (msgspec.DecodeError, RecursionError) as err:
        raise HTTPException(
            status_code=400, detail=f"JSON is malformed: {err}"
        ) from err
    if not isinstance(body, dict):
        raise HTTPException(status_code=400, detail="The body must be a JSON object")
    # Every string in it ends up in a query (ids, transcript, the raw event).
    body = storable(body)
    kind = event_type(body) or "unknown"
    call_events = request.app.state.container.call_events()
    raw_id = await call_events.store_raw(kind, body)
    try:
        event = read_call_event(body)
    except UnreadableEvent as err:
        log.warning("vapi.webhook.unreadable", event_type=kind, reason=str(err))
        return Response(ReceivedOut())
    if event is None:
        log.info("vapi.webhook.ignored", event_type=kind)
        return Response(ReceivedOut())
    if event.has_implausible_duration:
        log.warning(
            "vapi.webhook.implausible_duration",
            call=event.platform_call_id,
            claimed_ms=event.claimed_duration_ms,
        )
    result = await call_events.ingest(event, raw_id)
    log.info(
        "vapi.webhook.handled",
        event_type=kind,
        call_id=result.call_id,
        organization_id=result.organization_id,
        metered_ms=result.metered_ms,
    )
    return Response(ReceivedOut())
