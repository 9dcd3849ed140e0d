"""Session cookies (attributes, rotation, expiry, revocation) and protection
against cross-site request forgery."""

from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient

from epoch_adapters.settings import Settings
from tests.http.auth_support import (
    client_for,
    login,
    session_cookie,
    sql,
    status_with_session,
)
from tests.http.helpers import add_assistant, register, sign_in, signed_up, vapi_report

pytestmark = pytest.mark.anyio

EVIL = "https://evil.example"


async def test_over_https_the_cookie_is_secure_and_host_bound(settings: Settings):
    async with client_for(
        settings,
        base_url="https://voice.example.com",
        app_url="https://voice.example.com",
    ) as client:
        account = await register(client)
        response = await login(client, account.email, account.password)

    assert response.status_code == 200
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("__Secure-next-auth.session-token=")
    lowered = cookie.lower()
    assert "; secure" in lowered
    assert "httponly" in lowered
    assert "samesite=lax" in lowered
    assert "path=/" in lowered


async def test_over_http_the_cookie_is_not_marked_secure(client: AsyncTestClient):
    account = await register(client)
    response = await login(client, account.email, account.password)
    assert "; secure" not in response.headers["set-cookie"].lower()


async def test_login_rotates_the_session_the_browser_presented(
    client: AsyncTestClient,
):
    account = await signed_up(client)
    first = session_cookie(client) or ""

    await sign_in(client, account)

    second = session_cookie(client) or ""
    assert second != first
    assert await status_with_session(client, second) == 200
    assert await status_with_session(client, first) == 401


async def test_signout_revokes_the_session_server_side(client: AsyncTestClient):
    await signed_up(client)
    token = session_cookie(client) or ""

    response = await client.post("/api/auth/signout")

    assert response.status_code == 200
    assert await status_with_session(client, token) == 401


async def test_an_idle_session_expires(client: AsyncTestClient, settings: Settings):
    await signed_up(client)
    await sql(
        settings, "UPDATE auth_sessions SET last_seen_at = now() - interval '8 days'"
    )
    assert (await client.get("/api/usage")).status_code == 401


async def test_a_recently_used_session_survives_the_idle_window(
    client: AsyncTestClient, settings: Settings
):
    await signed_up(client)
    await sql(
        settings, "UPDATE auth_sessions SET last_seen_at = now() - interval '6 days'"
    )
    assert (await client.get("/api/usage")).status_code == 200
    # Using it moved the idle clock forward.
    [row] = await sql(
        settings, "SELECT now() - last_seen_at AS idle FROM auth_sessions"
    )
    assert row["idle"].total_seconds() < 60


async def test_a_session_expires_absolutely_however_active(
    client: AsyncTestClient, settings: Settings
):
    await signed_up(client)
    await sql(
        settings, "UPDATE auth_sessions SET expires_at = now() - interval '1 second'"
    )
    assert (await client.get("/api/usage")).status_code == 401


async def test_a_forged_session_cookie_is_401(client: AsyncTestClient):
    await signed_up(client)
    assert await status_with_session(client, "ses_forged") == 401


# -- CSRF: the login form's token ----------------------------------------


async def test_login_without_a_csrf_cookie_is_refused(client: AsyncTestClient):
    account = await register(client)
    response = await client.post(
        "/api/auth/callback/credentials",
        data={"email": account.email, "password": account.password, "csrfToken": "x"},
    )
    assert response.status_code == 403
    assert session_cookie(client) is None


async def test_a_csrf_token_from_another_browser_is_refused(
    client: AsyncTestClient,
):
    account = await register(client)
    victims_token = (await client.get("/api/auth/csrf")).json()["csrfToken"]
    client.cookies.clear()
    await client.get("/api/auth/csrf")  # the attacker's own cookie

    response = await client.post(
        "/api/auth/callback/credentials",
        data={
            "email": account.email,
            "password": account.password,
            "csrfToken": victims_token + "0",
        },
    )

    assert response.status_code == 403


# -- CSRF: origin checks on every other state-changing session request ---


async def test_a_cross_site_post_with_the_session_cookie_is_refused(
    client: AsyncTestClient,
):
    await signed_up(client)

    response = await client.post(
        "/api/assistants",
        json={"vapiAssistantId": "asst-csrf", "name": "Forged"},
        headers={"origin": EVIL},
    )

    assert response.status_code == 403
    assert response.json()["detail"] == "Cross-site request refused: origin not trusted"
    assert (await client.get("/api/assistants")).json()["assistants"] == []


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PATCH", "/api/assistants/{id}"),
        ("DELETE", "/api/assistants/{id}"),
        ("POST", "/api/auth/signout"),
        ("PUT", "/api/auth/password"),
    ],
)
async def test_every_unsafe_method_is_checked(
    client: AsyncTestClient, method: str, path: str
):
    await signed_up(client)
    assistant = await add_assistant(client, "asst-csrf-methods")

    response = await client.request(
        method,
        path.format(id=assistant["id"]),
        json={"name": "Forged", "newPassword": "forged-pass", "forced": True},
        headers={"origin": EVIL},
    )

    assert response.status_code == 403
    [kept] = (await client.get("/api/assistants")).json()["assistants"]
    assert kept["name"] == "Reception AI"


@pytest.mark.parametrize(
    "headers",
    [
        {"origin": "http://testserver.local"},
        {"origin": "http://127.0.0.1:8000"},  # APP_URL (the default)
        {"referer": "http://testserver.local/dashboard/settings"},
        {},  # no browser page involved: a script with the cookie
    ],
    ids=["own-origin", "app-url", "own-referer", "no-origin"],
)
async def test_same_site_requests_pass(client: AsyncTestClient, headers: dict):
    await signed_up(client)
    response = await client.post(
        "/api/assistants",
        json={"vapiAssistantId": "asst-same-site", "name": "Mine"},
        headers=headers,
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    "headers",
    [
        {"referer": "https://evil.example/page"},
        {"origin": "null"},
        {"origin": "http://testserver.local.evil.example"},
        {"origin": "https://testserver.local"},  # another scheme is another origin
    ],
    ids=["evil-referer", "null-origin", "suffix-trick", "scheme"],
)
async def test_look_alike_origins_are_refused(client: AsyncTestClient, headers: dict):
    await signed_up(client)
    response = await client.post(
        "/api/assistants",
        json={"vapiAssistantId": "asst-look-alike", "name": "Forged"},
        headers=headers,
    )
    assert response.status_code == 403


async def test_trusted_origins_from_settings_pass(settings: Settings):
    trusted = ("https://app.example.com", "https://admin.example.com/")
    async with client_for(settings, trusted_origins=trusted) as client:
        await signed_up(client)
        ok = await client.post(
            "/api/assistants",
            json={"vapiAssistantId": "asst-trusted", "name": "Mine"},
            headers={"origin": "https://admin.example.com"},
        )
        refused = await client.post(
            "/api/assistants",
            json={"vapiAssistantId": "asst-untrusted", "name": "Forged"},
            headers={"origin": "https://other.example.com"},
        )
    assert ok.status_code == 201
    assert refused.status_code == 403


async def test_webhooks_are_exempt_even_from_a_foreign_origin(
    client: AsyncTestClient,
):
    await signed_up(client)
    await add_assistant(client, "asst-webhook-origin")

    response = await client.post(
        "/api/webhooks/vapi",
        json=vapi_report("call-origin", "asst-webhook-origin"),
        headers={"origin": EVIL},
    )

    assert response.status_code == 200


async def test_requests_without_the_session_cookie_are_not_origin_checked(
    client: AsyncTestClient,
):
    response = await client.post(
        "/api/auth/forgot-password",
        json={"email": "anyone@example.com"},
        headers={"origin": EVIL},
    )
    assert response.status_code == 200
