"""Admin routes behind `x-admin-key`, and the cron secret: wrong, missing and
right keys, and routes that do not exist while their secret is unset."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from litestar.testing import AsyncTestClient

from epoch_adapters.settings import Settings
from tests.conftest import CRON_SECRET
from tests.http.auth_support import client_for
from tests.http.helpers import register, signed_up

pytestmark = pytest.mark.anyio

ADMIN_KEY = "admin-key-for-tests-0123456789abcdef"
RIGHT = {"x-admin-key": ADMIN_KEY}


@pytest.fixture
async def admin(settings: Settings) -> AsyncIterator[AsyncTestClient]:
    async with client_for(settings, admin_api_key=ADMIN_KEY) as client:
        yield client


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"x-admin-key": ""},
        {"x-admin-key": ADMIN_KEY[:-1]},
        {"x-admin-key": ADMIN_KEY + "0"},
        {"x-admin-key": ADMIN_KEY.upper()},
        {"authorization": f"Bearer {ADMIN_KEY}"},
    ],
    ids=["missing", "empty", "short", "long", "case", "wrong-header"],
)
async def test_a_wrong_or_missing_admin_key_is_401(admin: AsyncTestClient, headers):
    response = await admin.get("/api/admin/organizations", headers=headers)
    assert response.status_code == 401
    assert "organizations" not in response.json()


async def test_admin_routes_do_not_exist_without_a_configured_key(
    client: AsyncTestClient,
):
    for headers in ({}, {"x-admin-key": ""}, {"x-admin-key": "anything"}):
        response = await client.get("/api/admin/organizations", headers=headers)
        assert response.status_code == 404


async def test_a_session_is_not_an_admin_key(admin: AsyncTestClient):
    await signed_up(admin)
    assert (await admin.get("/api/admin/organizations")).status_code == 401


async def test_list_and_search_organizations(admin: AsyncTestClient):
    a = await register(
        admin, email="owner@alpha.example", organizationName="Alpha Dental"
    )
    b = await register(admin, email="owner@beta.example", organizationName="Beta Law")

    everything = (await admin.get("/api/admin/organizations", headers=RIGHT)).json()
    assert everything["total"] == 2
    assert {o["id"] for o in everything["organizations"]} == {
        a.organization_id,
        b.organization_id,
    }
    assert all(o["userCount"] == 1 for o in everything["organizations"])
    # Newest first.
    assert everything["organizations"][0]["id"] == b.organization_id

    by_name = await admin.get("/api/admin/organizations?q=alpha", headers=RIGHT)
    assert [o["name"] for o in by_name.json()["organizations"]] == ["Alpha Dental"]
    by_email = await admin.get("/api/admin/organizations?q=beta.example", headers=RIGHT)
    assert [o["id"] for o in by_email.json()["organizations"]] == [b.organization_id]
    by_id = await admin.get(
        f"/api/admin/organizations?q={a.organization_id}", headers=RIGHT
    )
    assert by_id.json()["total"] == 1
    wildcard = await admin.get("/api/admin/organizations?q=%25", headers=RIGHT)
    assert wildcard.json()["total"] == 0  # % is a character, not a wildcard

    page = await admin.get("/api/admin/organizations?limit=1&offset=1", headers=RIGHT)
    assert page.json()["total"] == 2
    assert [o["id"] for o in page.json()["organizations"]] == [a.organization_id]


@pytest.mark.parametrize(
    "query",
    ["q=a%00b", "q=%07", "limit=0", "limit=101", "offset=-1", "offset=99999999999"],
)
async def test_bad_search_parameters_are_400(admin: AsyncTestClient, query: str):
    response = await admin.get(f"/api/admin/organizations?{query}", headers=RIGHT)
    assert response.status_code == 400


async def test_look_up_one_organization_with_its_users(admin: AsyncTestClient):
    account = await register(admin, email="lookup@example.com", name="Jane Lookup")

    response = await admin.get(
        f"/api/admin/organizations/{account.organization_id}", headers=RIGHT
    )

    assert response.status_code == 200
    body = response.json()
    assert body["organization"]["plan"] == "FREE"
    [user] = body["users"]
    assert user == {
        "id": account.user_id,
        "email": "lookup@example.com",
        "name": "Jane Lookup",
        "role": "OWNER",
        "mustChangePassword": False,
    }
    assert "argon2" not in response.text


@pytest.mark.parametrize(
    "org_id", ["00000000-0000-4000-8000-000000000000", "not-a-uuid"]
)
async def test_an_unknown_organization_is_404(admin: AsyncTestClient, org_id: str):
    response = await admin.get(f"/api/admin/organizations/{org_id}", headers=RIGHT)
    assert response.status_code == 404


async def test_changing_a_plan_takes_effect_for_the_organization(
    admin: AsyncTestClient,
):
    account = await signed_up(admin)
    before = (await admin.get("/api/usage")).json()
    assert before["plan"] == "FREE"

    response = await admin.put(
        f"/api/admin/organizations/{account.organization_id}/plan",
        json={"plan": "pro"},
        headers=RIGHT,
    )

    assert response.status_code == 200
    assert response.json()["organization"]["plan"] == "PRO"
    after = (await admin.get("/api/usage")).json()
    assert after["plan"] == "PRO"
    assert after["snapshot"]["minutesLimit"] > before["snapshot"]["minutesLimit"]
    assert after["features"]["analytics"] is True


async def test_an_unknown_plan_is_400_and_changes_nothing(admin: AsyncTestClient):
    account = await register(admin)
    response = await admin.put(
        f"/api/admin/organizations/{account.organization_id}/plan",
        json={"plan": "PLATINUM"},
        headers=RIGHT,
    )
    assert response.status_code == 400
    assert response.json()["field"] == "plan"
    detail = await admin.get(
        f"/api/admin/organizations/{account.organization_id}", headers=RIGHT
    )
    assert detail.json()["organization"]["plan"] == "FREE"


async def test_plan_changes_need_the_key(admin: AsyncTestClient):
    account = await signed_up(admin)
    response = await admin.put(
        f"/api/admin/organizations/{account.organization_id}/plan",
        json={"plan": "ENTERPRISE"},
    )
    assert response.status_code == 401
    assert (await admin.get("/api/usage")).json()["plan"] == "FREE"


async def test_flagging_an_unknown_user_is_404(admin: AsyncTestClient):
    response = await admin.post(
        "/api/admin/users/00000000-0000-4000-8000-000000000000/require-password-change",
        headers=RIGHT,
    )
    assert response.status_code == 404


# -- cron ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"authorization": "Bearer "},
        {"authorization": f"Bearer {CRON_SECRET}x"},
        {"authorization": f"Basic {CRON_SECRET}"},
        {"authorization": CRON_SECRET},
        {"x-admin-key": CRON_SECRET},
    ],
    ids=["missing", "empty", "wrong", "scheme", "no-scheme", "other-header"],
)
async def test_a_wrong_or_missing_cron_secret_is_401(client: AsyncTestClient, headers):
    response = await client.get("/api/cron/billing-reset", headers=headers)
    assert response.status_code == 401


async def test_the_right_cron_secret_runs_the_job(client: AsyncTestClient):
    response = await client.get(
        "/api/cron/billing-reset", headers={"authorization": f"Bearer {CRON_SECRET}"}
    )
    assert response.status_code == 200
    assert set(response.json()) >= {"reset", "skipped", "errors"}


async def test_cron_routes_do_not_exist_without_a_secret(settings: Settings):
    async with client_for(settings, cron_secret=None) as client:
        response = await client.get(
            "/api/cron/billing-reset", headers={"authorization": "Bearer anything"}
        )
    assert response.status_code == 404


async def test_an_absurd_offset_is_a_clear_400_not_a_database_error(client):
    """Found by schemathesis: an offset past int64 reached PostgreSQL."""
    from dataclasses import replace

    from epoch_http.app import create_app

    settings = replace(client.app.state.settings, admin_api_key="k" * 40)
    async with AsyncTestClient(create_app(settings)) as admin:
        response = await admin.get(
            "/api/admin/organizations?offset=54929435374315429888",
            headers={"x-admin-key": "k" * 40},
        )
    assert response.status_code == 400


def _paths_under(client: AsyncTestClient, prefix: str) -> list[tuple[str, str]]:
    found = []
    for route in client.app.routes:
        if not route.path.startswith(prefix):
            continue
        for handler in getattr(route, "route_handlers", []):
            for method in set(handler.http_methods) - {"OPTIONS", "HEAD"}:
                found.append((method, route.path))
    return sorted(found)


async def test_every_cron_route_needs_the_secret(client: AsyncTestClient):
    routes = _paths_under(client, "/api/cron/")
    assert ("GET", "/api/cron/billing-reset") in routes
    for method, path in routes:
        response = await client.request(method, path)
        assert response.status_code == 401, (method, path)


async def test_every_admin_route_needs_the_key(admin: AsyncTestClient):
    routes = _paths_under(admin, "/api/admin/")
    assert len(routes) >= 4
    some_id = "00000000-0000-4000-8000-000000000000"
    for method, path in routes:
        concrete = re.sub(r"\{[^}]+\}", some_id, path)
        response = await admin.request(
            method, concrete, json={"plan": "PRO"}, headers={"x-admin-key": "no"}
        )
        assert response.status_code == 401, (method, path)
