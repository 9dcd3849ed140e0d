"""Tenant isolation: organization B's user, given organization A's ids, gets
404 or B's own data, never A's, and changes nothing of A's.

`ROUTES` is the table to extend: every Session route that takes an id or
returns organization data gets a row. Path parameters are named as the route
names them (`{assistant_id}`, `{call_id}`) and filled with A's ids (see
`OrgA.ids`); the body is what B sends. A route with a new kind of id needs
that id created for A in `_organization_a` as well.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from tests.http.auth_support import session_cookie, use_session
from tests.http.billing_helpers import sql
from tests.http.helpers import add_assistant, signed_up, vapi_report

pytestmark = pytest.mark.anyio


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    body: dict[str, Any] | None = None
    # "404": must be refused as not found; "own": may answer, with B's data only.
    expect: str = "own"
    # An "own" GET whose answer names B (its organization id or assistant), so
    # the no-leak check is seen to look at real data.
    names_b: bool = True


ROUTES: list[Route] = [
    Route("GET", "/api/assistants"),
    Route("PATCH", "/api/assistants/{assistant_id}", {"name": "Hijacked"}, "404"),
    Route("DELETE", "/api/assistants/{assistant_id}", None, "404"),
    Route("GET", "/api/usage"),
    Route("GET", "/api/usage?days=90"),
    Route("GET", "/api/calls/{call_id}", None, "404"),
    Route("GET", "/api/auth/session"),
    Route("GET", "/api/billing/history", names_b=False),
    Route("GET", "/api/subscription/status", names_b=False),
    # Changing a password only ever touches the caller's own account.
    Route(
        "PUT",
        "/api/auth/password",
        {"currentPassword": "securepass123", "newPassword": "b-changed-pass"},
    ),
    # Both organizations are on PRO, so the embed-token routes answer.
    Route("GET", "/api/embed-token", names_b=False),
    Route("DELETE", "/api/embed-token?id={embed_token_id}", None, "404"),
]


@dataclass
class OrgA:
    token: str
    organization_id: str
    user_id: str
    email: str
    assistant_id: str
    vapi_assistant_id: str
    call_id: str
    embed_token_id: str
    embed_token_prefix: str

    def ids(self) -> dict[str, str]:
        return {
            "assistant_id": self.assistant_id,
            "call_id": self.call_id,
            "embed_token_id": self.embed_token_id,
        }

    def markers(self) -> list[str]:
        """Strings that must never appear in an answer to B."""
        return [
            self.organization_id,
            self.user_id,
            self.email,
            self.assistant_id,
            self.vapi_assistant_id,
            self.call_id,
            "Alpha Dental",
            "Alpha Reception",
            "call-alpha-1",
            self.embed_token_id,
            self.embed_token_prefix,
            "Alpha Widget",
        ]


async def _organization_a(client: AsyncTestClient) -> OrgA:
    account = await signed_up(
        client, email="owner@alpha.example", organizationName="Alpha Dental"
    )
    assistant = await add_assistant(client, "asst-alpha", "Alpha Reception")
    report = vapi_report("call-alpha-1", "asst-alpha")
    assert (await client.post("/api/webhooks/vapi", json=report)).status_code == 200
    [call] = (await client.get("/api/usage")).json()["recentCalls"]
    await _on_pro(client, account.organization_id)
    embed = await client.post(
        "/api/embed-token",
        json={"label": "Alpha Widget", "allowedDomains": ["alpha.example"]},
    )
    assert embed.status_code == 201, embed.text
    [token] = (await client.get("/api/embed-token")).json()["tokens"]
    return OrgA(
        token=session_cookie(client) or "",
        organization_id=account.organization_id,
        user_id=account.user_id,
        email=account.email,
        assistant_id=assistant["id"],
        vapi_assistant_id="asst-alpha",
        call_id=call["id"],
        embed_token_id=token["id"],
        embed_token_prefix=token["tokenPrefix"],
    )


async def _on_pro(client: AsyncTestClient, organization_id: str) -> None:
    await sql(
        client, "UPDATE organizations SET plan = 'PRO' WHERE id = $1", organization_id
    )


async def _a_is_intact(client: AsyncTestClient, a: OrgA) -> None:
    use_session(client, a.token)
    [assistant] = (await client.get("/api/assistants")).json()["assistants"]
    assert assistant["id"] == a.assistant_id
    assert assistant["name"] == "Alpha Reception"
    assert (await client.get(f"/api/calls/{a.call_id}")).status_code == 200
    usage = (await client.get("/api/usage")).json()
    assert usage["snapshot"]["minutesUsed"] == 5.5
    session = (await client.get("/api/auth/session")).json()
    assert session["user"]["organizationId"] == a.organization_id
    [token] = (await client.get("/api/embed-token")).json()["tokens"]
    assert (token["id"], token["label"]) == (a.embed_token_id, "Alpha Widget")


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
async def test_organization_b_never_sees_or_changes_organization_a(
    client: AsyncTestClient, route: Route
):
    a = await _organization_a(client)
    client.cookies.clear()
    b = await signed_up(client, email="owner@beta.example", organizationName="Beta Law")
    await add_assistant(client, "asst-beta", "Beta Reception")
    await _on_pro(client, b.organization_id)

    path = route.path.format(**a.ids())
    response = await client.request(route.method, path, json=route.body)

    if route.expect == "404":
        assert response.status_code == 404, response.text
    else:
        assert response.status_code == 200, response.text
    for marker in a.markers():
        assert marker not in response.text, f"A's {marker!r} leaked to B"
    if route.expect == "own" and route.method == "GET" and route.names_b:
        # B's answer carries B's own data, so the check above is not vacuous.
        assert b.organization_id in response.text or "Beta Reception" in response.text
    await _a_is_intact(client, a)


async def test_every_session_route_with_an_id_is_in_the_table(
    client: AsyncTestClient,
):
    """A new Session route with a path parameter must get a row above."""
    listed = {(r.method, r.path.split("?")[0]) for r in ROUTES}
    missing = []
    for route in client.app.routes:
        template = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)
        for handler in getattr(route, "route_handlers", []):
            guards = {getattr(g, "__name__", "") for g in handler.resolve_guards()}
            if "require_session" not in guards or "{" not in template:
                continue
            for method in set(handler.http_methods) - {"OPTIONS", "HEAD"}:
                if (method, template) not in listed:
                    missing.append(f"{method} {template}")
    assert missing == [], f"add these to ROUTES: {missing}"
