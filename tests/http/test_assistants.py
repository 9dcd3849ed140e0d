"""Assistants: registration limits, duplicates, renaming, deletion, scoping."""

from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient

from tests.http.helpers import add_assistant, signed_up, vapi_report

pytestmark = pytest.mark.anyio


async def test_the_free_tier_allows_one_assistant(client: AsyncTestClient):
    await signed_up(client)
    await add_assistant(client, "asst-a")

    response = await client.post(
        "/api/assistants", json={"vapiAssistantId": "asst-b", "name": "Second"}
    )

    assert response.status_code == 403
    body = response.json()
    assert body["error"] == "LimitReached"
    assert body["detail"] == "Limit of assistants reached: the FREE plan allows 1"
    assert body["allowed"] == 1


async def test_a_vapi_id_registered_anywhere_is_a_conflict(client: AsyncTestClient):
    await signed_up(client)
    await add_assistant(client, "asst-shared")
    client.cookies.clear()
    await signed_up(client)

    response = await client.post(
        "/api/assistants", json={"vapiAssistantId": "asst-shared", "name": "Mine"}
    )

    assert response.status_code == 409
    assert response.json()["error"] == "AssistantAlreadyRegistered"


async def test_list_counts_each_assistants_calls(client: AsyncTestClient):
    await signed_up(client)
    created = await add_assistant(client, "asst-count", "Front Desk")
    for n in range(3):
        await client.post(
            "/api/webhooks/vapi", json=vapi_report(f"c-{n}", "asst-count")
        )

    listing = (await client.get("/api/assistants")).json()

    assert listing["phoneNumber"] is None
    [only] = listing["assistants"]
    assert only["id"] == created["id"]
    assert only["name"] == "Front Desk"
    assert only["status"] == "ACTIVE"
    assert only["callCount"] == 3


async def test_rename_and_delete(client: AsyncTestClient):
    await signed_up(client)
    created = await add_assistant(client, "asst-rn")

    renamed = await client.patch(
        f"/api/assistants/{created['id']}", json={"name": "  New Name  "}
    )
    assert renamed.status_code == 200
    assert renamed.json()["assistant"]["name"] == "New Name"

    deleted = await client.delete(f"/api/assistants/{created['id']}")
    assert deleted.status_code == 200
    assert deleted.json() == {"success": True}
    assert (await client.get("/api/assistants")).json()["assistants"] == []
    again = await client.delete(f"/api/assistants/{created['id']}")
    assert again.status_code == 404


async def test_another_organizations_assistant_is_not_found(client: AsyncTestClient):
    await signed_up(client)
    theirs = await add_assistant(client, "asst-theirs", "Theirs")
    client.cookies.clear()
    await signed_up(client)

    assert (await client.get("/api/assistants")).json()["assistants"] == []
    rename = await client.patch(
        f"/api/assistants/{theirs['id']}", json={"name": "Stolen"}
    )
    assert rename.status_code == 404
    assert (await client.delete(f"/api/assistants/{theirs['id']}")).status_code == 404


@pytest.mark.parametrize(
    "bad_id", ["not-a-uuid", "1", "00000000-0000-0000-0000-000000000000"]
)
async def test_unknown_or_malformed_ids_are_not_found(client: AsyncTestClient, bad_id):
    await signed_up(client)
    response = await client.patch(f"/api/assistants/{bad_id}", json={"name": "x"})
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ({"name": "No id"}, "data"),
        ({"vapiAssistantId": 42, "name": "x"}, "vapiAssistantId"),
        ({"vapiAssistantId": "", "name": "x"}, "vapiAssistantId"),
        ({"vapiAssistantId": "ok", "name": ""}, "name"),
        ({"vapiAssistantId": "ok", "name": "x" * 81}, "name"),
    ],
)
async def test_bad_registration_bodies_are_400(client: AsyncTestClient, body, key):
    await signed_up(client)
    response = await client.post("/api/assistants", json=body)
    assert response.status_code == 400
    assert response.json()["extra"][0]["key"] == key
    assert (await client.get("/api/assistants")).json()["assistants"] == []


async def test_spaces_in_a_vapi_id_are_refused(client: AsyncTestClient):
    await signed_up(client)
    response = await client.post(
        "/api/assistants", json={"vapiAssistantId": "has space", "name": "x"}
    )
    assert response.status_code == 400
    assert response.json()["field"] == "vapiAssistantId"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/assistants"),
        ("POST", "/api/assistants"),
        ("GET", "/api/usage"),
        ("GET", "/api/calls/00000000-0000-4000-8000-000000000001"),
    ],
)
async def test_session_routes_need_a_session(client: AsyncTestClient, method, path):
    response = await client.request(method, path, json={})
    assert response.status_code == 401
    assert response.json()["error"] == "NotAuthenticated"
