"""Registration and the NextAuth-compatible login, session and sign-out."""

from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient

from tests.http.helpers import register, sign_in, signed_up

pytestmark = pytest.mark.anyio


async def test_registration_creates_an_owner_and_writes_a_welcome_mail(
    client: AsyncTestClient,
):
    account = await register(client, email="Jane@Example.com")

    assert account.organization_id
    assert account.user_id
    mail_dir = client.app.state.settings.data_dir / "mail"
    [mail] = list(mail_dir.glob("*-welcome.eml"))
    text = mail.read_text()
    assert "To: jane@example.com" in text
    assert "Welcome to Epoch Voice, Acme Dental" in text


async def test_a_duplicate_email_is_409_whatever_its_case(client: AsyncTestClient):
    await register(client, email="dup@example.com")
    response = await client.post(
        "/api/auth/register",
        json={
            "name": "Other",
            "email": " DUP@example.com ",
            "password": "longenough",
            "organizationName": "Other Org",
        },
    )
    assert response.status_code == 409
    assert response.json()["error"] == "EmailTaken"


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"password": "short"}, 400, "password"),
        ({"email": "not-an-email"}, 400, "email"),
        ({"name": "   "}, 400, "name"),
        ({"organizationName": "   "}, 400, "organizationName"),
    ],
)
async def test_invalid_registrations_name_the_field(
    client: AsyncTestClient, body, status, field
):
    payload = {
        "name": "Jane",
        "email": "jane@example.com",
        "password": "securepass123",
        "organizationName": "Acme",
        **body,
    }
    response = await client.post("/api/auth/register", json=payload)
    assert response.status_code == status
    assert response.json()["field"] == field


@pytest.mark.parametrize(
    "content",
    [
        b"{",
        b'{"name": "x"}',
        b'{"name": 1, "email": 2, "password": 3, "organizationName": 4}',
    ],
)
async def test_malformed_registration_bodies_are_400(client: AsyncTestClient, content):
    response = await client.post(
        "/api/auth/register",
        content=content,
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400


async def test_session_shows_the_user_after_login_and_nothing_after_signout(
    client: AsyncTestClient,
):
    assert (await client.get("/api/auth/session")).json() == {}
    account = await signed_up(client, email="who@example.com")

    session = (await client.get("/api/auth/session")).json()
    assert session["user"]["email"] == "who@example.com"
    assert session["user"]["organizationId"] == account.organization_id
    assert session["user"]["plan"] == "FREE"
    assert session["expires"]

    token = client.cookies.get("next-auth.session-token")
    assert (await client.post("/api/auth/signout")).status_code == 200
    assert (await client.get("/api/auth/session")).json() == {}
    # The old cookie is dead server-side, not just cleared in this browser.
    client.cookies.set("next-auth.session-token", token)
    assert (await client.get("/api/usage")).status_code == 401


async def test_login_sets_an_http_only_lax_cookie(client: AsyncTestClient):
    account = await register(client)
    csrf = (await client.get("/api/auth/csrf")).json()["csrfToken"]
    response = await client.post(
        "/api/auth/callback/credentials",
        json={"email": account.email, "password": account.password, "csrfToken": csrf},
    )
    assert response.status_code == 200
    assert response.json()["url"] == "/dashboard"
    cookie = response.headers["set-cookie"].lower()
    assert "next-auth.session-token=" in cookie
    assert "httponly" in cookie
    assert "samesite=lax" in cookie


async def test_a_wrong_password_is_401_and_sets_no_cookie(client: AsyncTestClient):
    account = await register(client)
    account.password = "wrong-password"
    csrf = (await client.get("/api/auth/csrf")).json()["csrfToken"]
    response = await client.post(
        "/api/auth/callback/credentials",
        data={"email": account.email, "password": account.password, "csrfToken": csrf},
    )
    assert response.status_code == 401
    assert response.json()["error"] == "CredentialsSignin"
    assert "next-auth.session-token" not in response.headers.get("set-cookie", "")


async def test_login_without_the_csrf_token_is_refused(client: AsyncTestClient):
    account = await register(client)
    await client.get("/api/auth/csrf")
    response = await client.post(
        "/api/auth/callback/credentials",
        data={"email": account.email, "password": account.password, "csrfToken": "x"},
    )
    assert response.status_code == 403


async def test_an_open_redirect_callback_falls_back_to_the_dashboard(
    client: AsyncTestClient,
):
    account = await register(client)
    csrf = (await client.get("/api/auth/csrf")).json()["csrfToken"]
    response = await client.post(
        "/api/auth/callback/credentials",
        data={
            "email": account.email,
            "password": account.password,
            "csrfToken": csrf,
            "callbackUrl": "//evil.example/phish",
        },
    )
    assert response.json()["url"] == "/dashboard"


async def test_two_logins_make_two_independent_sessions(client: AsyncTestClient):
    account = await register(client)
    await sign_in(client, account)
    first = client.cookies.get("next-auth.session-token")
    await sign_in(client, account)
    second = client.cookies.get("next-auth.session-token")
    assert first != second


async def test_concurrent_sign_ups_with_one_email_make_one_account(
    client: AsyncTestClient,
):
    import anyio

    body = {
        "name": "Racer",
        "email": "race@example.com",
        "password": "securepass123",
        "organizationName": "Race Org",
    }
    statuses: list[int] = []

    async def attempt() -> None:
        response = await client.post("/api/auth/register", json=body)
        statuses.append(response.status_code)

    async with anyio.create_task_group() as group:
        for _ in range(6):
            group.start_soon(attempt)

    assert sorted(statuses) == [201, 409, 409, 409, 409, 409]


async def test_the_session_cookie_lives_as_long_as_the_session(
    client: AsyncTestClient,
):
    """Found by a newcomer: the cookie said 2083 for a 30-day session."""
    from datetime import UTC, datetime, timedelta
    from email.utils import parsedate_to_datetime

    account = await register(client)
    csrf = (await client.get("/api/auth/csrf")).json()["csrfToken"]
    response = await client.post(
        "/api/auth/callback/credentials",
        data={"email": account.email, "password": account.password, "csrfToken": csrf},
    )

    cookie = response.headers["set-cookie"]
    attributes = dict(
        part.strip().split("=", 1) for part in cookie.split(";")[1:] if "=" in part
    )
    assert 29 * 86400 < int(attributes["Max-Age"]) <= 30 * 86400
    if "expires" in attributes:
        expires = parsedate_to_datetime(attributes["expires"])
        assert expires < datetime.now(UTC) + timedelta(days=31)
