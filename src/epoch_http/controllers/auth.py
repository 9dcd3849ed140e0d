"""Authentication: registration, the NextAuth-compatible session flow, password
reset and change, and magic sign-in links.

Every way in that an anonymous caller can try (login, register, forgot
password, reset, magic links) is rate limited per client and per account.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import parse_qsl

import msgspec
import structlog
from litestar import Controller, Request, Response, get, post, put
from litestar.background_tasks import BackgroundTask
from litestar.datastructures import Cookie
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.openapi import ResponseSpec
from litestar.params import JSONBody, QueryParameter
from litestar.response import Redirect

from epoch_domain.accounts import (
    MAX_NAME_LENGTH,
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    normalize_email,
)
from epoch_domain.errors import NotAuthenticated, TokenRejected
from epoch_domain.text import EMAIL_PATTERN, NAME_PATTERN
from epoch_domain.usecases.accounts import LoginResult
from epoch_domain.usecases.credentials import Credentials as CredentialsUseCase
from epoch_domain.usecases.credentials import LinkRequest
from epoch_http import csrf
from epoch_http.rate_limit import enforce
from epoch_http.schemas import ErrorOut, SuccessOut, documented, errors
from epoch_http.security import (
    ALLOW_PENDING_PASSWORD_CHANGE,
    CurrentSession,
    current_session,
    require_session,
    session_cookie_name,
    session_token,
)

log = structlog.get_logger()

# `documented(...)`: rules the domain checks, answering a 400 that names the
# field; the schema states them too.
Name = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=MAX_NAME_LENGTH,
        extra_json_schema=documented(pattern=NAME_PATTERN),
    ),
]
Email = Annotated[
    str,
    msgspec.Meta(
        min_length=3,
        max_length=254,
        extra_json_schema=documented(pattern=EMAIL_PATTERN),
    ),
]
Password = Annotated[str, msgspec.Meta(max_length=MAX_PASSWORD_LENGTH)]
ChosenPassword = Annotated[
    str,
    msgspec.Meta(
        max_length=MAX_PASSWORD_LENGTH,
        extra_json_schema=documented(min_length=MIN_PASSWORD_LENGTH),
    ),
]
NewPassword = Annotated[
    str,
    msgspec.Meta(min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH),
]


class RegisterBody(msgspec.Struct):
    name: Name
    email: Email
    password: ChosenPassword
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


class EmailBody(msgspec.Struct):
    email: Email


class MessageOut(msgspec.Struct):
    message: str


# Ours are 47 characters; anything far longer is not one of ours.
MAX_TOKEN_LENGTH = 200


class ResetBody(msgspec.Struct):
    token: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_TOKEN_LENGTH)]
    password: NewPassword


class ChangePasswordBody(msgspec.Struct):
    newPassword: NewPassword  # noqa: N815
    currentPassword: Password | None = None  # noqa: N815
    forced: bool = False


# The same words whether or not the account exists.
FORGOT_ANSWER = "If an account with that email exists, a reset link has been sent."
MAGIC_ANSWER = "If an account with that email exists, a sign-in link has been sent."
RESET_ANSWER = "Password has been reset successfully."
LOGIN_PAGE = "/login"
AFTER_LOGIN = "/dashboard"


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
    """Only a path on this site: never an absolute or scheme-relative URL.

    Browsers drop tabs and newlines from URLs and read a backslash as a
    slash, so `/<tab>/evil.example` or `/<backslash>evil.example` would leave:
    any whitespace, control character or backslash sends the user home.
    """
    plain = url.isprintable() and not any(c.isspace() or c == "\\" for c in url)
    if plain and url.startswith("/") and not url.startswith("//"):
        return url
    return AFTER_LOGIN


def _session_cookie(request: Request[Any, Any, Any], result: LoginResult) -> Cookie:
    secure = request.app.state.settings.cookies_secure
    return Cookie(
        key=session_cookie_name(secure),
        value=result.token,
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",
        # Litestar's `expires` counts seconds from now, not an epoch time.
        max_age=_seconds_left(result.session.expires_at),
    )


def _seconds_left(until: datetime) -> int:
    return max(int((until - datetime.now(UTC)).total_seconds()), 0)


async def _retire_presented_session(request: Request[Any, Any, Any]) -> None:
    """Login rotates the session: a cookie the browser already held (perhaps
    planted by someone else) stops working when a new one is issued."""
    old = session_token(request)
    if old:
        await request.app.state.container.accounts().sign_out(old)


async def _mail_link(credentials: CredentialsUseCase, kind: str, email: str) -> None:
    """Runs after the answer has gone out, so how long it takes (a database
    write and an SMTP exchange only for real accounts) cannot be timed."""
    try:
        if kind == "password-reset":
            result: LinkRequest = await credentials.forgot_password(email)
        else:
            result = await credentials.request_magic_link(email)
    except Exception:
        log.exception("auth.link.failed", kind=kind)
        return
    log.info(
        "auth.link.requested",
        kind=kind,
        outcome=result.outcome.value,
        user_id=result.user_id,
    )


class AuthController(Controller):
    path = "/api/auth"
    tags = ["Authentication"]

    @post("/register", status_code=201, responses=errors(400, 409, 429))
    async def register(
        self, request: Request[Any, Any, Any], data: JSONBody[RegisterBody]
    ) -> RegisterOut:
        await enforce(request, "register", data.email)
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
            429: ResponseSpec(ErrorOut, description="Too many attempts"),
        },
    )
    async def sign_in(self, request: Request[Any, Any, Any]) -> Response[SignInOut]:
        state = request.app.state
        secure = state.settings.cookies_secure
        creds = await _read_credentials(request)
        cookie = request.cookies.get(csrf.csrf_cookie_name(secure))
        if not csrf.verify(state.csrf_secret, cookie, creds.csrfToken):
            raise HTTPException(status_code=403, detail="CSRF token missing or invalid")
        await enforce(request, "login", creds.email)
        try:
            result = await state.container.accounts().login(creds.email, creds.password)
        except NotAuthenticated:
            log.info("auth.login.failed")
            return Response(
                SignInOut("/login?error=CredentialsSignin", False, "CredentialsSignin"),
                status_code=401,
            )
        await _retire_presented_session(request)
        log.info("auth.login.succeeded", user_id=result.user.id)
        return Response(
            SignInOut(safe_callback(creds.callbackUrl)),
            cookies=[_session_cookie(request, result)],
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

    @post("/forgot-password", status_code=200, responses=errors(400, 429))
    async def forgot_password(
        self, request: Request[Any, Any, Any], data: JSONBody[EmailBody]
    ) -> Response[MessageOut]:
        email = normalize_email(data.email)
        await enforce(request, "forgot-password", email)
        credentials = request.app.state.container.credentials()
        return Response(
            MessageOut(FORGOT_ANSWER),
            background=BackgroundTask(_mail_link, credentials, "password-reset", email),
        )

    @post("/reset-password", status_code=200, responses=errors(400, 429))
    async def reset_password(
        self, request: Request[Any, Any, Any], data: JSONBody[ResetBody]
    ) -> MessageOut:
        await enforce(request, "reset-password")
        credentials = request.app.state.container.credentials()
        try:
            user_id = await credentials.reset_password(data.token, data.password)
        except TokenRejected as rejected:
            log.info("auth.reset.rejected", reason=rejected.reason)
            raise
        log.info("auth.reset.succeeded", user_id=user_id)
        return MessageOut(RESET_ANSWER)

    @put(
        "/password",
        guards=[require_session],
        dependencies={"ctx": Provide(current_session, sync_to_thread=False)},
        opt={ALLOW_PENDING_PASSWORD_CHANGE: True},
        responses=errors(400, 401, 429),
    )
    async def change_password(
        self,
        request: Request[Any, Any, Any],
        ctx: CurrentSession,
        data: JSONBody[ChangePasswordBody],
    ) -> SuccessOut:
        await enforce(request, "change-password", ctx.user.id)
        revoked = await request.app.state.container.credentials().change_password(
            ctx, data.currentPassword, data.newPassword, data.forced
        )
        log.info(
            "auth.password.changed",
            user_id=ctx.user.id,
            forced=ctx.user.must_change_password,
            other_sessions_revoked=revoked,
        )
        return SuccessOut()

    @post("/magic-link/request", status_code=200, responses=errors(400, 429))
    async def request_magic_link(
        self, request: Request[Any, Any, Any], data: JSONBody[EmailBody]
    ) -> Response[MessageOut]:
        """Mail a one-time sign-in link (15 minutes) if the account exists;
        the answer is the same either way."""
        email = normalize_email(data.email)
        await enforce(request, "magic-link-request", email)
        credentials = request.app.state.container.credentials()
        return Response(
            MessageOut(MAGIC_ANSWER),
            background=BackgroundTask(_mail_link, credentials, "magic-link", email),
        )

    @get(
        "/magic-link",
        status_code=302,
        responses={
            302: ResponseSpec(
                None,
                description=(
                    "To /dashboard with a new session cookie, or to "
                    "/login?error=MagicLinkInvalid|MagicLinkExpired|MagicLinkUsed"
                ),
            ),
            429: ResponseSpec(ErrorOut, description="Too many attempts"),
        },
    )
    async def magic_link(
        self,
        request: Request[Any, Any, Any],
        token: Annotated[str, QueryParameter(description="The mailed token")] = "",
    ) -> Redirect:
        await enforce(request, "magic-link")
        # The token sits in this URL: keep it out of caches and referrers.
        headers = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
        try:
            # Any malformed link still lands on the login page, never a 400.
            if not token or len(token) > MAX_TOKEN_LENGTH:
                raise TokenRejected("invalid")
            result = await request.app.state.container.credentials().redeem_magic_link(
                token
            )
        except TokenRejected as rejected:
            log.info("auth.magic_link.rejected", reason=rejected.reason)
            code = "MagicLink" + rejected.reason.capitalize()
            return Redirect(
                path=f"{LOGIN_PAGE}?error={code}", status_code=302, headers=headers
            )
        await _retire_presented_session(request)
        log.info("auth.magic_link.succeeded", user_id=result.user.id)
        return Redirect(
            path=AFTER_LOGIN,
            status_code=302,
            headers=headers,
            cookies=[_session_cookie(request, result)],
        )
