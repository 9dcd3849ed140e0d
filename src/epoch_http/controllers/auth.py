"""Authentication: registration and the NextAuth-compatible session flow."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import parse_qsl

import msgspec
import structlog
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.exceptions import HTTPException
from litestar.openapi import ResponseSpec
from litestar.params import JSONBody

from epoch_domain.accounts import MAX_NAME_LENGTH, MAX_PASSWORD_LENGTH
from epoch_domain.errors import NotAuthenticated
from epoch_http import csrf
from epoch_http.schemas import ErrorOut
from epoch_http.security import session_cookie_name, session_token

log = structlog.get_logger()

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_NAME_LENGTH)]
Email = Annotated[str, msgspec.Meta(min_length=3, max_length=254)]
Password = Annotated[str, msgspec.Meta(max_length=MAX_PASSWORD_LENGTH)]


class RegisterBody(msgspec.Struct):
    name: Name
    email: Email
    password: Password
    organizationName: Name  # noqa: N815 - the API's field name


class RegisterOut(msgspec.Struct):
    message: str
    organizationId: str  # noqa: N815
    userId: str  # noqa: N815


class CsrfOut(msgspec.Struct):
    csrfToken: str  # noqa: N815


class SignInOut(msgspec.Struct):
    url: str
    ok: bool = True
    error: str | None = None


class SessionUser(msgspec.Struct):
    id: str
    name: str
    email: str
    organizationId: str  # noqa: N815
    plan: str
    mustChangePassword: bool  # noqa: N815


class SessionOut(msgspec.Struct, omit_defaults=True):
    user: SessionUser | None = None
    expires: datetime | None = None


class SignOutOut(msgspec.Struct):
    url: str


class Credentials(msgspec.Struct):
    email: str = ""
    password: str = ""
    csrfToken: str = ""  # noqa: N815
    callbackUrl: str = ""  # noqa: N815


async def _read_credentials(request: Request[Any, Any, Any]) -> Credentials:
    """NextAuth clients post a form; API clients post JSON. Take either."""
    raw = await request.body()
    content_type = request.headers.get("content-type", "")
    try:
        if "application/json" in content_type:
            return msgspec.json.decode(raw, type=Credentials)
        fields = dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
        return msgspec.convert(fields, Credentials)
    except (msgspec.ValidationError, msgspec.DecodeError, UnicodeDecodeError) as err:
        raise HTTPException(
            status_code=400, detail=f"Invalid sign-in body: {err}"
        ) from err


def safe_callback(url: str) -> str:
    """Only a path on this site: never an absolute or scheme-relative URL."""
    if url.startswith("/") and not url.startswith(("//", "/\\")):
        return url
    return "/dashboard"


class AuthController(Controller):
    path = "/api/auth"
    tags = ["Authentication"]

    @post("/register", status_code=201)
    async def register(
        self, request: Request[Any, Any, Any], data: JSONBody[RegisterBody]
    ) -> RegisterOut:
        accounts = request.app.state.container.accounts()
        result = await accounts.register(
            data.name, data.email, data.password, data.organizationName
        )
        if not result.welcome_mail_sent:
            log.warning("auth.register.welcome_mail_failed", user_id=result.user_id)
        log.info("auth.register.succeeded", organization_id=result.organization_id)
        return RegisterOut(
            "Registration successful", result.organization_id, result.user_id
        )

    @get("/csrf")
    async def csrf_token(self, request: Request[Any, Any, Any]) -> Response[CsrfOut]:
        state = request.app.state
        secure = state.settings.cookies_secure
        name = csrf.csrf_cookie_name(secure)
        existing = csrf.token_from_cookie(state.csrf_secret, request.cookies.get(name))
        if existing is not None:
            return Response(CsrfOut(existing))
        token, cookie_value = csrf.issue(state.csrf_secret)
        cookie = Cookie(
            key=name,
            value=cookie_value,
            httponly=True,
            samesite="lax",
            secure=secure,
            path="/",
        )
        return Response(CsrfOut(token), cookies=[cookie])

    @post(
        "/callback/credentials",
        status_code=200,
        responses={
            401: ResponseSpec(SignInOut, description="Wrong email or password"),
            403: ResponseSpec(ErrorOut, description="CSRF token missing or invalid"),
        },
    )
    async def sign_in(self, request: Request[Any, Any, Any]) -> Response[SignInOut]:
        state = request.app.state
        secure = state.settings.cookies_secure
        creds = await _read_credentials(request)
        cookie = request.cookies.get(csrf.csrf_cookie_name(secure))
        if not csrf.verify(state.csrf_secret, cookie, creds.csrfToken):
            raise HTTPException(status_code=403, detail="CSRF token missing or invalid")
        try:
            result = await state.container.accounts().login(creds.email, creds.password)
        except NotAuthenticated:
            log.info("auth.login.failed")
            return Response(
                SignInOut("/login?error=CredentialsSignin", False, "CredentialsSignin"),
                status_code=401,
            )
        log.info("auth.login.succeeded", user_id=result.user.id)
        session_cookie = Cookie(
            key=session_cookie_name(secure),
            value=result.token,
            httponly=True,
            samesite="lax",
            secure=secure,
            path="/",
            expires=int(result.session.expires_at.timestamp()),
        )
        return Response(
            SignInOut(safe_callback(creds.callbackUrl)), cookies=[session_cookie]
        )

    @get("/session")
    async def session(self, request: Request[Any, Any, Any]) -> SessionOut:
        token = session_token(request)
        if not token:
            return SessionOut()
        try:
            ctx = await request.app.state.container.accounts().resolve(token)
        except NotAuthenticated:
            return SessionOut()
        user = ctx.user
        return SessionOut(
            user=SessionUser(
                id=user.id,
                name=user.name,
                email=user.email,
                organizationId=user.organization_id,
                plan=ctx.organization.tier.name,
                mustChangePassword=user.must_change_password,
            ),
            expires=ctx.session.idle_expiry,
        )

    @post("/signout", status_code=200)
    async def sign_out(self, request: Request[Any, Any, Any]) -> Response[SignOutOut]:
        token = session_token(request)
        if token:
            await request.app.state.container.accounts().sign_out(token)
        secure = request.app.state.settings.cookies_secure
        expired = Cookie(
            key=session_cookie_name(secure),
            value="",
            max_age=0,
            httponly=True,
            samesite="lax",
            secure=secure,
            path="/",
        )
        return Response(SignOutOut("/login"), cookies=[expired])
