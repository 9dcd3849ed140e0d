"""Embed tokens over HTTP: PRO organizations create, list and revoke them; a
web page exchanges one for a voice access token from an allowed origin only,
on the one route that answers CORS."""

from __future__ import annotations

from typing import Any

import jwt
import pytest
from litestar.testing import AsyncTestClient

from tests.http.auth_support import session_cookie, use_session
from tests.http.billing_helpers import sql
from tests.http.helpers import Account, signed_up

pytestmark = pytest.mark.anyio

SITE = "https://app.mysite.com"
WIDGET = "/api/widget/token"


async def _pro(client: AsyncTestClient, **overrides: str) -> Account:
    account = await signed_up(client, **overrides)
    await sql(
        client,
        "UPDATE organizations SET plan = 'PRO' WHERE id = $1",
        account.organization_id,
    )
    return account


async def _create(
    client: AsyncTestClient, label: str = "Main Website", domains: Any = None
) -> dict[str, Any]:
    body = {
        "label": label,
        "allowedDomains": ["mysite.com"] if domains is None else domains,
    }
    response = await client.post("/api/embed-token", json=body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def _exchange(
    client: AsyncTestClient, token: str, origin: str | None = SITE
) -> Any:
    headers = {"origin": origin} if origin is not None else {}
    return await client.post(WIDGET, json={"embedToken": token}, headers=headers)


async def _listed(client: AsyncTestClient) -> list[dict[str, Any]]:
    response = await client.get("/api/embed-token")
    assert response.status_code == 200, response.text
    return response.json()["tokens"]  # type: ignore[no-any-return]


async def test_created_once_listed_by_prefix_and_exchanged_for_a_voice_token(
    client: AsyncTestClient,
):
    account = await _pro(client, organizationName="Acme Corp")
    await sql(
        client,
        "UPDATE organizations SET phone_number = '+15551234567' WHERE id = $1",
        account.organization_id,
    )
    created = await _create(client, label="  Main Website ")
    raw = created["token"]
    assert raw.startswith("ept_")
    assert len(raw) >= 4 + 43
    assert created["prefix"] == raw[:12]
    assert created["label"] == "Main Website"

    [listed] = await _listed(client)
    assert listed["tokenPrefix"] == raw[:12]
    assert listed["allowedDomains"] == ["mysite.com"]
    assert listed["label"] == "Main Website"
    assert listed["lastUsedAt"] is None
    listing = (await client.get("/api/embed-token")).text
    assert raw not in listing
    assert raw[12:] not in listing
    # Only the digest is stored.
    [row] = await sql(client, "SELECT token_digest, token_prefix FROM embed_tokens")
    assert row["token_prefix"] == raw[:12]
    assert raw not in row["token_digest"]

    response = await _exchange(client, raw)
    assert response.status_code == 200, response.text
    body = response.json()
    identity = f"org_{account.organization_id}:widget_{listed['id']}"
    assert body["identity"] == identity
    assert body["orgName"] == "Acme Corp"
    assert body["phoneNumber"] == "+15551234567"
    assert body["expiresIn"] == 3600
    assert response.headers["access-control-allow-origin"] == SITE

    secret = client.app.state.container.voice_tokens().sandbox_secret
    claims = jwt.decode(body["token"], secret, algorithms=["HS256"])
    assert claims["grants"]["identity"] == identity
    assert claims["grants"]["voice"]["incoming"] == {"allow": True}
    assert claims["grants"]["voice"]["outgoing"]["application_sid"].startswith("AP")
    assert claims["exp"] - claims["nbf"] == 3600
    assert claims["sub"].startswith("AC")
    assert jwt.get_unverified_header(body["token"])["cty"] == "twilio-fpa;v=1"

    [used] = await _listed(client)
    assert used["lastUsedAt"] is not None
    assert used["lastUsedAt"] >= used["createdAt"]


@pytest.mark.parametrize(
    "origin",
    ["https://mysite.com", "https://app.mysite.com", "http://A.B.MySite.com:8443"],
)
async def test_the_domain_and_its_subdomains_may_use_the_token(
    client: AsyncTestClient, origin: str
):
    await _pro(client)
    raw = (await _create(client))["token"]
    response = await _exchange(client, raw, origin)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "origin",
    [
        "https://evilmysite.com",
        "https://mysite.com.evil.com",
        "https://othersite.com",
        "null",
        None,
    ],
)
async def test_other_origins_and_no_origin_are_refused(
    client: AsyncTestClient, origin: str | None
):
    await _pro(client)
    raw = (await _create(client))["token"]
    response = await _exchange(client, raw, origin)
    assert response.status_code == 403, response.text
    assert "token" not in response.json()
    [listed] = await _listed(client)
    assert listed["lastUsedAt"] is None


async def test_a_token_without_domains_allows_no_origin(client: AsyncTestClient):
    await _pro(client)
    raw = (await _create(client, domains=[]))["token"]
    assert (await _exchange(client, raw)).status_code == 403


async def test_unknown_and_malformed_tokens_are_401(client: AsyncTestClient):
    await _pro(client)
    await _create(client)
    for presented in ["ept_" + "A" * 43, "ept_short", "not-a-token"]:
        response = await _exchange(client, presented)
        assert response.status_code == 401, presented


async def test_free_organizations_cannot_list_or_create(client: AsyncTestClient):
    await signed_up(client)
    for response in [
        await client.get("/api/embed-token"),
        await client.post("/api/embed-token", json={"allowedDomains": ["a.com"]}),
    ]:
        assert response.status_code == 403
        assert response.json()["requiredPlan"] == "PRO"
    [count] = await sql(client, "SELECT count(*) AS n FROM embed_tokens")
    assert count["n"] == 0


async def test_a_bad_domain_is_a_400_naming_the_field(client: AsyncTestClient):
    await _pro(client)
    response = await client.post("/api/embed-token", json={"allowedDomains": ["com"]})
    assert response.status_code == 400
    assert response.json()["field"] == "allowedDomains"


async def test_revoked_tokens_are_refused_at_once(client: AsyncTestClient):
    await _pro(client)
    raw = (await _create(client))["token"]
    [listed] = await _listed(client)
    assert (await _exchange(client, raw)).status_code == 200

    response = await client.delete("/api/embed-token", params={"id": listed["id"]})
    assert response.status_code == 200
    assert response.json() == {"revoked": True}

    assert (await _exchange(client, raw)).status_code == 401
    assert await _listed(client) == []
    again = await client.delete("/api/embed-token", params={"id": listed["id"]})
    assert again.status_code == 404


async def test_revoke_needs_a_real_id(client: AsyncTestClient):
    await _pro(client)
    assert (await client.delete("/api/embed-token")).status_code == 400
    response = await client.delete("/api/embed-token", params={"id": "nope"})
    assert response.status_code == 404


async def test_revoking_still_works_after_a_downgrade_but_exchange_does_not(
    client: AsyncTestClient,
):
    account = await _pro(client)
    raw = (await _create(client))["token"]
    [listed] = await _listed(client)
    await sql(
        client,
        "UPDATE organizations SET plan = 'FREE' WHERE id = $1",
        account.organization_id,
    )
    response = await _exchange(client, raw)
    assert response.status_code == 403
    assert response.json()["requiredPlan"] == "PRO"
    response = await client.delete("/api/embed-token", params={"id": listed["id"]})
    assert response.status_code == 200


async def test_another_organization_can_neither_list_nor_revoke(
    client: AsyncTestClient,
):
    await _pro(client, email="owner@alpha.example")
    raw = (await _create(client, label="Alpha site"))["token"]
    [a_token] = await _listed(client)

    client.cookies.clear()
    await _pro(client, email="owner@beta.example")
    assert await _listed(client) == []
    response = await client.delete("/api/embed-token", params={"id": a_token["id"]})
    assert response.status_code == 404
    assert "Alpha site" not in response.text

    # A's token is untouched and still works.
    assert (await _exchange(client, raw)).status_code == 200
    [row] = await sql(client, "SELECT revoked_at FROM embed_tokens")
    assert row["revoked_at"] is None


async def test_the_widget_route_alone_answers_cors_preflights(
    client: AsyncTestClient,
):
    preflight = {
        "origin": SITE,
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
    }
    response = await client.options(WIDGET, headers=preflight)
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == SITE
    assert response.headers["access-control-allow-methods"] == "POST"
    assert response.headers["access-control-allow-headers"] == "content-type"
    assert "access-control-allow-credentials" not in response.headers

    other = await client.options("/api/embed-token", headers=preflight)
    assert "access-control-allow-origin" not in other.headers
    await _pro(client)
    created = await client.post(
        "/api/embed-token", json={"allowedDomains": []}, headers={"origin": SITE}
    )
    assert "access-control-allow-origin" not in created.headers


async def test_the_widget_route_ignores_a_session_cookie_from_another_site(
    client: AsyncTestClient,
):
    """Other state-changing routes refuse a cross-site request with our cookie;
    the widget route carries no session and is exempt."""
    await _pro(client)
    assert session_cookie(client)
    raw = (await _create(client))["token"]
    cross_site = await client.post(
        "/api/embed-token", json={"allowedDomains": []}, headers={"origin": SITE}
    )
    assert cross_site.status_code == 403
    assert (await _exchange(client, raw)).status_code == 200
    use_session(client, "not-a-session")
    assert (await _exchange(client, raw)).status_code == 200


async def test_the_exchange_is_rate_limited_per_client(client: AsyncTestClient):
    statuses = [
        (await _exchange(client, "ept_" + "B" * 43)).status_code for _ in range(31)
    ]
    assert statuses[:30] == [401] * 30
    assert statuses[30] == 429
