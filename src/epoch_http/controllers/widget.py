"""Embed tokens (Session, PRO to list and create) and the widget's exchange of
an embed token for a voice access token (public, CORS-enabled).

`POST /api/widget/token` is called from customers' web pages. It carries no
cookie and is exempt from the origin check; the embed token in the body is the
credential, checked against the page's `Origin` (the token's allowed domains).
Its CORS middleware sits on that route alone and echoes the caller's origin
without credentials: whether that origin may use a token is decided per
request, by the token it presents.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Request, Router, delete, get, post
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.params import JSONBody, QueryParameter
from litestar.response.base import ASGIResponse
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from epoch_domain.embed_tokens import (
    MAX_ALLOWED_DOMAINS,
    MAX_LABEL_LENGTH,
    origin_host,
)
from epoch_domain.integrations import EmbedToken
from epoch_domain.plans import Tier
from epoch_domain.sessions import token_digest
from epoch_http.ids import parse_id
from epoch_http.rate_limit import enforce
from epoch_http.schemas import errors
from epoch_http.security import CurrentSession, SessionController

TAGS = ["Widget & Embed Tokens"]
MAX_DOMAIN_ENTRY = 2048
MAX_PRESENTED_TOKEN = 512
PREFLIGHT_MAX_AGE = 600

# -- Embed tokens (Session) ------------------------------------------------


class EmbedTokenOut(msgspec.Struct):
    id: str
    label: str | None
    tokenPrefix: str  # noqa: N815
    allowedDomains: list[str]  # noqa: N815
    lastUsedAt: datetime | None  # noqa: N815
    createdAt: datetime  # noqa: N815

    @classmethod
    def of(cls, token: EmbedToken) -> EmbedTokenOut:
        return cls(
            token.id,
            token.label,
            token.display_prefix,
            list(token.allowed_domains),
            token.last_used_at,
            token.created_at,
        )


class EmbedTokenListOut(msgspec.Struct):
    tokens: list[EmbedTokenOut]


class CreateEmbedTokenBody(msgspec.Struct):
    label: Annotated[str, msgspec.Meta(max_length=MAX_LABEL_LENGTH)] | None = None
    allowedDomains: (  # noqa: N815
        Annotated[
            list[Annotated[str, msgspec.Meta(max_length=MAX_DOMAIN_ENTRY)]],
            msgspec.Meta(max_length=MAX_ALLOWED_DOMAINS),
        ]
        | None
    ) = None


class CreatedEmbedTokenOut(msgspec.Struct):
    token: str
    prefix: str
    label: str | None


class RevokedOut(msgspec.Struct):
    revoked: bool = True


class EmbedTokenController(SessionController):
    path = "/api/embed-token"
    tags = TAGS

    @get("/", opt={"min_plan": Tier.PRO}, responses=errors(401, 403))
    async def list_tokens(
        self, request: Request[Any, Any, Any], ctx: CurrentSession
    ) -> EmbedTokenListOut:
        found = await request.app.state.container.embed_tokens().list(ctx.organization)
        return EmbedTokenListOut([EmbedTokenOut.of(t) for t in found])

    @post(
        "/",
        status_code=201,
        opt={"min_plan": Tier.PRO},
        responses=errors(400, 401, 403),
    )
    async def create_token(
        self,
        request: Request[Any, Any, Any],
        ctx: CurrentSession,
        data: JSONBody[CreateEmbedTokenBody],
    ) -> CreatedEmbedTokenOut:
        created = await request.app.state.container.embed_tokens().create(
            ctx.organization, data.label, data.allowedDomains
        )
        return CreatedEmbedTokenOut(
            created.raw, created.token.display_prefix, created.token.label
        )

    @delete("/", status_code=200, responses=errors(400, 401, 404))
    async def revoke_token(
        self,
        request: Request[Any, Any, Any],
        ctx: CurrentSession,
        token_id: Annotated[
            str,
            QueryParameter(name="id", max_length=100, description="Token id"),
        ],
    ) -> RevokedOut:
        await request.app.state.container.embed_tokens().revoke(
            ctx.organization, parse_id(token_id, "embed token")
        )
        return RevokedOut()


# -- The widget's exchange (public, CORS) ------------------------------------


class WidgetTokenBody(msgspec.Struct):
    embedToken: Annotated[  # noqa: N815
        str, msgspec.Meta(min_length=1, max_length=MAX_PRESENTED_TOKEN)
    ]


class WidgetTokenOut(msgspec.Struct):
    token: str
    identity: str
    phoneNumber: str | None  # noqa: N815
    orgName: str  # noqa: N815
    expiresIn: int  # noqa: N815


class WidgetCORS(ASGIMiddleware):
    """CORS for the widget route only: a preflight from a web origin is
    answered here (POST, `content-type`, no credentials), and every answer to
    such an origin names it in `Access-Control-Allow-Origin`."""

    scopes = (ScopeType.HTTP,)

    async def handle(
        self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp
    ) -> None:
        origin = _web_origin(scope)
        if origin is None:
            await next_app(scope, receive, send)
            return
        if scope.get("method") == "OPTIONS":
            preflight = ASGIResponse(
                status_code=204,
                headers={
                    "Access-Control-Allow-Origin": origin,
                    "Access-Control-Allow-Methods": "POST",
                    "Access-Control-Allow-Headers": "content-type",
                    "Access-Control-Max-Age": str(PREFLIGHT_MAX_AGE),
                    "Vary": "Origin",
                },
            )
            await preflight(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                headers["Access-Control-Allow-Origin"] = origin
                headers.add("Vary", "Origin")
            await send(message)

        await next_app(scope, receive, send_with_cors)


def _web_origin(scope: Scope) -> str | None:
    """The request's Origin header when it names an http(s) web origin."""
    for name, value in scope.get("headers", []):
        if name == b"origin":
            origin = value.decode("latin-1").strip()
            return origin if origin_host(origin) is not None else None
    return None


@post(
    "/token",
    status_code=200,
    exclude_from_csrf=True,
    opt={"skip_origin_check": True},
    responses=errors(400, 401, 403, 429),
)
async def widget_token(
    request: Request[Any, Any, Any], data: JSONBody[WidgetTokenBody]
) -> WidgetTokenOut:
    presented = data.embedToken.strip()
    await enforce(request, "widget-token", token_digest(presented))
    session = await request.app.state.container.widget_tokens().exchange(
        presented, request.headers.get("origin")
    )
    return WidgetTokenOut(
        token=session.token,
        identity=session.identity,
        phoneNumber=session.phone_number,
        orgName=session.org_name,
        expiresIn=session.expires_in,
    )


widget_router = Router(
    "/api/widget",
    route_handlers=[widget_token],
    middleware=[WidgetCORS()],
    tags=TAGS,
)
