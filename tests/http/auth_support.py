"""Shared steps of the authentication tests: an app wired to a real SMTP
server, reading links out of mails, and poking token rows in the database."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs, urlsplit

from litestar.testing import AsyncTestClient

from epoch_adapters.settings import Settings
from epoch_http.app import create_app
from epoch_http.security import SESSION_COOKIE
from tests.conftest import fetch, truncate_all
from tests.smtp_server import Inbox, SmtpServer

_LINK = re.compile(r"https?://\S+")


@asynccontextmanager
async def client_for(
    settings: Settings, base_url: str = "http://testserver.local", **changes: Any
) -> AsyncIterator[AsyncTestClient]:
    """An app on this test's database with some settings changed."""
    await truncate_all(settings.database_url or "")
    app = create_app(replace(settings, **changes))
    async with AsyncTestClient(app, base_url=base_url) as client:
        yield client


def smtp_settings(settings: Settings, server: SmtpServer) -> dict[str, Any]:
    return {
        "smtp_host": server.host,
        "smtp_port": server.port,
        "smtp_security": "none",
        "app_url": "http://testserver.local",
    }


def link_in(inbox: Inbox, address: str, subject_part: str) -> str:
    """The one link of the newest mail to `address` whose subject matches."""
    mails = [m for m in inbox.to(address) if subject_part in m["Subject"]]
    assert mails, f"no mail '{subject_part}' to {address}"
    [link] = _LINK.findall(Inbox.body(mails[-1]))
    return link


def token_of(link: str) -> str:
    [token] = parse_qs(urlsplit(link).query)["token"]
    return token


def path_of(link: str) -> str:
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"


async def sql(settings: Settings, query: str, *args: Any) -> Any:
    return await fetch(settings.database_url or "", query, *args)


def session_cookie(client: AsyncTestClient) -> str | None:
    return client.cookies.get(SESSION_COOKIE)


async def login(
    client: AsyncTestClient, email: str, password: str, **headers: str
) -> Any:
    """One credentials login attempt; returns the response, whatever it is."""
    csrf = (await client.get("/api/auth/csrf")).json()["csrfToken"]
    return await client.post(
        "/api/auth/callback/credentials",
        data={"email": email, "password": password, "csrfToken": csrf},
        headers=headers,
    )


async def status_with_session(
    client: AsyncTestClient, token: str, path: str = "/api/usage"
) -> int:
    """GET `path` presenting only the given session token, then put the
    client's own cookies back."""
    saved = list(client.cookies.jar)
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, token)
    try:
        return (await client.get(path)).status_code
    finally:
        client.cookies.clear()
        for cookie in saved:
            client.cookies.jar.set_cookie(cookie)


def use_session(client: AsyncTestClient, token: str) -> None:
    """Make the client present exactly this session from now on."""
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, token)
