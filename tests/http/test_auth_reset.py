"""Forgot and reset password over HTTP, with the mail going through the real
SMTP adapter to a real SMTP server on loopback, against real PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import anyio
import pytest
from litestar.testing import AsyncTestClient

from epoch_adapters.settings import Settings
from epoch_domain.sessions import token_digest
from tests.http.auth_support import (
    client_for,
    link_in,
    login,
    session_cookie,
    smtp_settings,
    sql,
    status_with_session,
    token_of,
)
from tests.http.helpers import register, signed_up
from tests.smtp_server import SmtpServer, smtp_server

pytestmark = pytest.mark.anyio

FORGOT_ANSWER = {
    "message": "If an account with that email exists, a reset link has been sent."
}


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


@pytest.fixture
async def mailing_client(
    settings: Settings, smtp: SmtpServer
) -> AsyncIterator[AsyncTestClient]:
    async with client_for(settings, **smtp_settings(settings, smtp)) as client:
        yield client


async def _forgot(client: AsyncTestClient, email: str) -> None:
    response = await client.post("/api/auth/forgot-password", json={"email": email})
    assert response.status_code == 200, response.text
    assert response.json() == FORGOT_ANSWER


async def test_the_full_reset_flow_reads_the_mailed_link(
    mailing_client: AsyncTestClient, smtp: SmtpServer, settings: Settings
):
    client = mailing_client
    account = await signed_up(client, email="reset-me@example.com")
    old_cookie = session_cookie(client)
    assert old_cookie

    await _forgot(client, "Reset-Me@Example.com ")
    link = link_in(smtp.inbox, "reset-me@example.com", "Reset your")
    assert link.startswith("http://testserver.local/reset-password?token=rst_")
    token = token_of(link)

    # Only the digest is stored, valid for one hour.
    [row] = await sql(
        settings,
        "SELECT token_digest, kind, expires_at - created_at AS life FROM auth_tokens",
    )
    assert row["token_digest"] == token_digest(token)
    assert token not in row["token_digest"]
    assert row["kind"] == "PASSWORD_RESET"
    assert row["life"].total_seconds() == 3600

    response = await client.post(
        "/api/auth/reset-password", json={"token": token, "password": "brand-new-pass"}
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"message": "Password has been reset successfully."}

    # Every session of the user is gone: the old cookie answers 401.
    assert await status_with_session(client, old_cookie) == 401

    # The old password no longer works; the new one does.
    assert (await login(client, account.email, account.password)).status_code == 401
    assert (await login(client, account.email, "brand-new-pass")).status_code == 200
    assert (await client.get("/api/usage")).status_code == 200


async def test_a_token_works_once(mailing_client: AsyncTestClient, smtp: SmtpServer):
    account = await register(mailing_client, email="once@example.com")
    await _forgot(mailing_client, account.email)
    token = token_of(link_in(smtp.inbox, account.email, "Reset your"))
    body = {"token": token, "password": "first-new-pass"}

    first = await mailing_client.post("/api/auth/reset-password", json=body)
    again = await mailing_client.post(
        "/api/auth/reset-password", json={**body, "password": "second-new-pass"}
    )

    assert first.status_code == 200
    assert again.status_code == 400
    assert again.json()["field"] == "token"
    assert again.json()["detail"] == "token: has already been used"
    assert (
        await login(mailing_client, account.email, "first-new-pass")
    ).status_code == 200


async def test_an_expired_token_is_refused(
    mailing_client: AsyncTestClient, smtp: SmtpServer, settings: Settings
):
    account = await register(mailing_client, email="late@example.com")
    await _forgot(mailing_client, account.email)
    token = token_of(link_in(smtp.inbox, account.email, "Reset your"))
    await sql(
        settings,
        "UPDATE auth_tokens SET expires_at = now() - interval '1 second'",
    )

    response = await mailing_client.post(
        "/api/auth/reset-password", json={"token": token, "password": "too-late-pass"}
    )

    assert response.status_code == 400
    assert response.json()["detail"] == "token: has expired"
    assert (
        await login(mailing_client, account.email, account.password)
    ).status_code == 200


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),
        lambda t: t + "x",
        lambda t: t.upper(),
        lambda t: "rst_" + "0" * 43,
    ],
    ids=["last-char", "appended", "case", "made-up"],
)
async def test_a_tampered_token_is_refused(
    mailing_client: AsyncTestClient, smtp: SmtpServer, tamper
):
    account = await register(mailing_client, email="tamper@example.com")
    await _forgot(mailing_client, account.email)
    token = token_of(link_in(smtp.inbox, account.email, "Reset your"))

    response = await mailing_client.post(
        "/api/auth/reset-password",
        json={"token": tamper(token), "password": "attacker-pass"},
    )

    assert response.status_code == 400
    assert response.json()["detail"] == "token: is not valid"
    # The genuine token is untouched by the attempt.
    genuine = await mailing_client.post(
        "/api/auth/reset-password", json={"token": token, "password": "owner-new-pass"}
    )
    assert genuine.status_code == 200


async def test_a_magic_link_token_does_not_reset_a_password(
    mailing_client: AsyncTestClient, smtp: SmtpServer
):
    account = await register(mailing_client, email="kinds@example.com")
    await mailing_client.post(
        "/api/auth/magic-link/request", json={"email": account.email}
    )
    token = token_of(link_in(smtp.inbox, account.email, "sign-in link"))

    response = await mailing_client.post(
        "/api/auth/reset-password", json={"token": token, "password": "sneaky-pass"}
    )

    assert response.status_code == 400
    assert response.json()["detail"] == "token: is not valid"


async def test_a_new_request_retires_the_previous_link(
    mailing_client: AsyncTestClient, smtp: SmtpServer
):
    account = await register(mailing_client, email="twice@example.com")
    await _forgot(mailing_client, account.email)
    first = token_of(link_in(smtp.inbox, account.email, "Reset your"))
    await _forgot(mailing_client, account.email)
    second = token_of(link_in(smtp.inbox, account.email, "Reset your"))
    assert first != second

    old = await mailing_client.post(
        "/api/auth/reset-password", json={"token": first, "password": "from-old-link"}
    )
    new = await mailing_client.post(
        "/api/auth/reset-password", json={"token": second, "password": "from-new-link"}
    )

    assert old.status_code == 400
    assert new.status_code == 200


async def test_unknown_and_known_emails_get_the_same_answer(
    mailing_client: AsyncTestClient, smtp: SmtpServer, settings: Settings
):
    await register(mailing_client, email="known@example.com")
    welcome_mails = len(smtp.inbox.messages)

    known = await mailing_client.post(
        "/api/auth/forgot-password", json={"email": "known@example.com"}
    )
    unknown = await mailing_client.post(
        "/api/auth/forgot-password", json={"email": "nobody@example.com"}
    )

    assert known.status_code == unknown.status_code == 200
    assert known.content == unknown.content
    assert set(known.headers) == set(unknown.headers)
    assert known.cookies == unknown.cookies
    # Only the real account got a mail and a token.
    assert len(smtp.inbox.messages) == welcome_mails + 1
    assert smtp.inbox.to("nobody@example.com") == []
    assert len(await sql(settings, "SELECT id FROM auth_tokens")) == 1


async def test_a_malformed_email_is_400_naming_the_field(
    mailing_client: AsyncTestClient,
):
    response = await mailing_client.post(
        "/api/auth/forgot-password", json={"email": "not-an-email"}
    )
    assert response.status_code == 400
    assert response.json()["field"] == "email"


async def test_a_short_new_password_is_refused_and_keeps_the_token(
    mailing_client: AsyncTestClient, smtp: SmtpServer
):
    account = await register(mailing_client, email="short@example.com")
    await _forgot(mailing_client, account.email)
    token = token_of(link_in(smtp.inbox, account.email, "Reset your"))

    short = await mailing_client.post(
        "/api/auth/reset-password", json={"token": token, "password": "short"}
    )
    ok = await mailing_client.post(
        "/api/auth/reset-password", json={"token": token, "password": "long-enough-now"}
    )

    assert short.status_code == 400
    assert ok.status_code == 200


async def test_a_refusing_mail_server_loses_neither_answer_nor_token(
    mailing_client: AsyncTestClient, smtp: SmtpServer, settings: Settings
):
    account = await register(mailing_client, email="bounce@example.com")
    smtp.inbox.refuse = True

    response = await mailing_client.post(
        "/api/auth/forgot-password", json={"email": account.email}
    )

    assert response.status_code == 200
    assert response.json() == FORGOT_ANSWER
    [row] = await sql(settings, "SELECT kind, used_at FROM auth_tokens")
    assert row["kind"] == "PASSWORD_RESET"
    assert row["used_at"] is None


async def test_registration_survives_an_unreachable_mail_server(settings: Settings):
    from tests.smtp_server import free_port

    async with client_for(
        settings, smtp_host="127.0.0.1", smtp_port=free_port(), smtp_security="none"
    ) as client:
        account = await register(client, email="nomail@example.com")
        assert (await login(client, account.email, account.password)).status_code == 200


async def test_two_simultaneous_resets_with_one_token_change_the_password_once(
    mailing_client: AsyncTestClient, smtp: SmtpServer
):
    account = await register(mailing_client, email="race@example.com")
    await _forgot(mailing_client, account.email)
    token = token_of(link_in(smtp.inbox, account.email, "Reset your"))
    statuses: dict[str, int] = {}

    async def reset(password: str) -> None:
        response = await mailing_client.post(
            "/api/auth/reset-password", json={"token": token, "password": password}
        )
        statuses[password] = response.status_code

    async with anyio.create_task_group() as group:
        group.start_soon(reset, "racer-one-pass")
        group.start_soon(reset, "racer-two-pass")

    assert sorted(statuses.values()) == [200, 400]
    [winner] = [p for p, status in statuses.items() if status == 200]
    [loser] = [p for p, status in statuses.items() if status == 400]
    assert (await login(mailing_client, account.email, winner)).status_code == 200
    assert (await login(mailing_client, account.email, loser)).status_code == 401
