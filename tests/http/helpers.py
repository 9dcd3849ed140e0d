"""Small steps most HTTP tests take: sign up, sign in, post a VAPI event."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from litestar.testing import AsyncTestClient

from tests.conftest import sample_path


@dataclass
class Account:
    email: str
    password: str
    organization_id: str
    user_id: str


async def register(client: AsyncTestClient, **overrides: str) -> Account:
    email = overrides.get("email", f"owner-{uuid.uuid4().hex[:8]}@example.com")
    password = overrides.get("password", "securepass123")
    body = {
        "name": overrides.get("name", "Jane Smith"),
        "email": email,
        "password": password,
        "organizationName": overrides.get("organizationName", "Acme Dental"),
    }
    response = await client.post("/api/auth/register", json=body)
    assert response.status_code == 201, response.text
    data = response.json()
    return Account(email, password, data["organizationId"], data["userId"])


async def sign_in(client: AsyncTestClient, account: Account) -> None:
    """Log in as NextAuth's credentials form does; the cookie stays on the
    client for the requests that follow."""
    csrf = (await client.get("/api/auth/csrf")).json()["csrfToken"]
    response = await client.post(
        "/api/auth/callback/credentials",
        data={"email": account.email, "password": account.password, "csrfToken": csrf},
    )
    assert response.status_code == 200, response.text


async def signed_up(client: AsyncTestClient, **overrides: str) -> Account:
    account = await register(client, **overrides)
    await sign_in(client, account)
    return account


def load_sample(name: str) -> dict[str, Any]:
    return json.loads(sample_path(name).read_text())


def vapi_report(
    call_id: str,
    assistant_id: str,
    started: str = "2026-01-15T17:00:00.000Z",
    ended: str = "2026-01-15T17:05:30.000Z",
) -> dict[str, Any]:
    """The current-shape sample report, re-pointed at one call and assistant."""
    body = load_sample("vapi-end-of-call-report.json")
    message = body["message"]
    message["call"]["id"] = call_id
    message["call"]["assistantId"] = assistant_id
    message["startedAt"] = started
    message["endedAt"] = ended
    return body


async def add_assistant(
    client: AsyncTestClient, vapi_id: str, name: str = "Reception AI"
) -> dict[str, Any]:
    response = await client.post(
        "/api/assistants", json={"vapiAssistantId": vapi_id, "name": name}
    )
    assert response.status_code == 201, response.text
    return response.json()["assistant"]  # type: ignore[no-any-return]
