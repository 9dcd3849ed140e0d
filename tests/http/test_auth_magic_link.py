"""Magic sign-in links: asked for by email, mailed by the sandbox mailer as an
`.eml` file, spent once for a new session and a redirect to the dashboard."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient

from epoch_adapters.settings import Settings
from tests.http.auth_support import (
    path_of,
    session_cookie,
    sql,
    status_with_session,
    token_of,
)
from tests.http.helpers import register, signed_up
from tests.smtp_server import Inbox

pytestmark = pytest.mark.anyio

ANSWER = {
    "message": "If an account with that email exists, a sign-in link has been sent."
}


def _mailed_link(data_dir: Path, address: str) -> str:
    """The link in the newest magic-link `.eml` the sandbox mailer wrote."""
    files = sorted((data_dir / "mail").glob("*-magic-link.eml"))
    mails = [
        m
        for m in (
            email.message_from_bytes(f.read_bytes(), policy=email.policy.default)
            for f in files
        )
        if m["To"] == address
    ]
    assert mails, f"no magic link mailed to {address}"
    message = mails[-1]
    assert isinstance(message, EmailMessage)
    [link] = [w for w in Inbox.body(message).split() if w.startswith("http")]
    return link


async def _ask(client: AsyncTestClient, address: str) -> str:
    response = await client.post(
        "/api/auth/magic-link/request", json={"email": address}
    )
    assert response.status_code == 200
    assert response.json() == ANSWER
    return _mailed_link(client.app.state.settings.data_dir, address)


async def test_a_magic_link_signs_in_and_redirects_to_the_dashboard(
    client: AsyncTestClient, settings: Settings
):
    account = await register(client, email="magic@example.com")
    link = await _ask(client, account.email)
    assert "/api/auth/magic-link?token=mgl_" in link
    [row] = await sql(
        settings, "SELECT expires_at - created_at AS life FROM auth_tokens"
    )
    assert row["life"].total_seconds() == 15 * 60

    response = await client.get(path_of(link), follow_redirects=False)

    assert response.status_code == 302
    assert response.headers["location"] == "/dashboard"
    assert response.headers["cache-control"] == "no-store"
    cookie = response.headers["set-cookie"].lower()
    assert "next-auth.session-token=ses_" in cookie
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    session = (await client.get("/api/auth/session")).json()
    assert session["user"]["email"] == "magic@example.com"


async def test_a_magic_link_works_once(client: AsyncTestClient):
    account = await register(client, email="once-magic@example.com")
    link = await _ask(client, account.email)
    first = await client.get(path_of(link), follow_redirects=False)
    client.cookies.clear()

    again = await client.get(path_of(link), follow_redirects=False)

    assert first.headers["location"] == "/dashboard"
    assert again.status_code == 302
    assert again.headers["location"] == "/login?error=MagicLinkUsed"
    assert "set-cookie" not in again.headers


async def test_an_expired_magic_link_goes_to_the_login_page(
    client: AsyncTestClient, settings: Settings
):
    account = await register(client, email="stale-magic@example.com")
    link = await _ask(client, account.email)
    await sql(
        settings, "UPDATE auth_tokens SET expires_at = now() - interval '1 second'"
    )

    response = await client.get(path_of(link), follow_redirects=False)

    assert response.headers["location"] == "/login?error=MagicLinkExpired"
    assert "set-cookie" not in response.headers


@pytest.mark.parametrize(
    "query",
    [
        "token=mgl_forged0000000000000000000000000000000000000",
        "token=",
        "",
        "token=x&callbackUrl=https://evil.example/",
        "token=x&next=//evil.example",
        "token=" + "x" * 500,
        "token=a%00b",
        "token=%FF%FE",
    ],
)
async def test_a_bad_magic_link_never_redirects_off_site(
    client: AsyncTestClient, query: str
):
    response = await client.get(f"/api/auth/magic-link?{query}", follow_redirects=False)

    assert response.status_code == 302
    assert response.headers["location"] == "/login?error=MagicLinkInvalid"


async def test_a_tampered_magic_link_is_invalid_and_the_real_one_still_works(
    client: AsyncTestClient,
):
    account = await register(client, email="tampered-magic@example.com")
    link = await _ask(client, account.email)
    token = token_of(link)
    forged = token[:-2] + ("aa" if not token.endswith("aa") else "bb")

    bad = await client.get(
        f"/api/auth/magic-link?token={forged}", follow_redirects=False
    )
    good = await client.get(path_of(link), follow_redirects=False)

    assert bad.headers["location"] == "/login?error=MagicLinkInvalid"
    assert good.headers["location"] == "/dashboard"


async def test_a_reset_token_is_not_a_magic_link(
    client: AsyncTestClient, settings: Settings
):
    account = await register(client, email="reset-not-magic@example.com")
    await client.post("/api/auth/forgot-password", json={"email": account.email})
    [mail] = sorted((settings.data_dir / "mail").glob("*-password-reset.eml"))
    token = token_of(next(w for w in mail.read_text().split() if "token=" in w))

    response = await client.get(
        f"/api/auth/magic-link?token={token}", follow_redirects=False
    )

    assert response.headers["location"] == "/login?error=MagicLinkInvalid"


async def test_an_unknown_email_gets_the_same_answer_and_no_mail(
    client: AsyncTestClient, settings: Settings
):
    response = await client.post(
        "/api/auth/magic-link/request", json={"email": "ghost@example.com"}
    )

    assert response.status_code == 200
    assert response.json() == ANSWER
    assert list((settings.data_dir / "mail").glob("*-magic-link.eml")) == []


async def test_a_magic_sign_in_rotates_a_session_the_browser_already_had(
    client: AsyncTestClient,
):
    account = await signed_up(client, email="rotate-magic@example.com")
    before = session_cookie(client)
    link = await _ask(client, account.email)

    await client.get(path_of(link), follow_redirects=False)

    after = session_cookie(client)
    assert after
    assert after != before
    assert (await client.get("/api/usage")).status_code == 200
    assert await status_with_session(client, before or "") == 401
