"""PUT /api/auth/password: the current password is needed unless an admin
flagged the account for a forced change; the user's other sessions end."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from litestar.testing import AsyncTestClient

from epoch_adapters.settings import Settings
from tests.http.auth_support import (
    client_for,
    login,
    session_cookie,
    status_with_session,
)
from tests.http.helpers import Account, sign_in, signed_up

pytestmark = pytest.mark.anyio

ADMIN_KEY = "admin-key-for-password-tests-0123456789"


@pytest.fixture
async def admin_client(settings: Settings) -> AsyncIterator[AsyncTestClient]:
    async with client_for(settings, admin_api_key=ADMIN_KEY) as client:
        yield client


async def _change(client: AsyncTestClient, **body: object):
    return await client.put("/api/auth/password", json=body)


async def _second_session(client: AsyncTestClient, account: Account) -> str:
    """Keep the current session as "another browser's" and sign this client
    in afresh (without presenting the old cookie, so nothing is rotated)."""
    other = session_cookie(client) or ""
    client.cookies.clear()
    await sign_in(client, account)
    assert session_cookie(client) != other
    return other


async def test_a_change_needs_the_current_password_and_ends_other_sessions(
    client: AsyncTestClient,
):
    account = await signed_up(client)
    other = await _second_session(client, account)
    mine = session_cookie(client) or ""

    response = await _change(
        client, currentPassword=account.password, newPassword="changed-pass-1"
    )

    assert response.status_code == 200
    assert response.json() == {"success": True}
    assert await status_with_session(client, mine) == 200
    assert await status_with_session(client, other) == 401
    assert (await login(client, account.email, account.password)).status_code == 401
    assert (await login(client, account.email, "changed-pass-1")).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"currentPassword": "not-the-password", "newPassword": "changed-pass-2"},
        {"newPassword": "changed-pass-2"},
        # forced=true is ignored for an account nobody flagged.
        {"newPassword": "changed-pass-2", "forced": True},
        {
            "currentPassword": "wrong-one",
            "newPassword": "changed-pass-2",
            "forced": True,
        },
    ],
    ids=["wrong", "missing", "forced-unflagged", "forced-unflagged-wrong"],
)
async def test_without_the_right_current_password_nothing_changes(
    client: AsyncTestClient, body: dict
):
    account = await signed_up(client)

    response = await _change(client, **body)

    assert response.status_code == 400
    assert response.json()["field"] == "currentPassword"
    assert (await login(client, account.email, account.password)).status_code == 200


async def test_a_short_new_password_is_refused(client: AsyncTestClient):
    account = await signed_up(client)
    response = await _change(
        client, currentPassword=account.password, newPassword="short"
    )
    assert response.status_code == 400


async def test_a_change_needs_a_session(client: AsyncTestClient):
    response = await _change(
        client, currentPassword="whatever1", newPassword="whatever2"
    )
    assert response.status_code == 401


async def test_a_flagged_account_changes_without_the_current_password_once(
    admin_client: AsyncTestClient,
):
    client = admin_client
    account = await signed_up(client, email="flagged@example.com")
    flagged = await client.post(
        f"/api/admin/users/{account.user_id}/require-password-change",
        headers={"x-admin-key": ADMIN_KEY},
    )
    assert flagged.status_code == 200
    assert flagged.json()["user"]["mustChangePassword"] is True
    session = (await client.get("/api/auth/session")).json()
    assert session["user"]["mustChangePassword"] is True

    response = await _change(client, newPassword="forced-new-pass", forced=True)

    assert response.status_code == 200
    session = (await client.get("/api/auth/session")).json()
    assert session["user"]["mustChangePassword"] is False
    assert (await login(client, account.email, "forced-new-pass")).status_code == 200
    # The flag is spent: the next forced change needs the password again.
    again = await _change(client, newPassword="another-new-pass", forced=True)
    assert again.status_code == 400
    assert again.json()["field"] == "currentPassword"


async def test_a_flagged_account_without_forced_still_needs_the_password(
    admin_client: AsyncTestClient,
):
    client = admin_client
    account = await signed_up(client)
    await client.post(
        f"/api/admin/users/{account.user_id}/require-password-change",
        headers={"x-admin-key": ADMIN_KEY},
    )

    response = await _change(client, newPassword="unforced-new-pass")

    assert response.status_code == 400


async def test_a_flagged_user_can_do_nothing_else_until_the_change(
    admin_client: AsyncTestClient,
):
    client = admin_client
    account = await signed_up(client)
    assert (await client.get("/api/usage")).status_code == 200
    await client.post(
        f"/api/admin/users/{account.user_id}/require-password-change",
        headers={"x-admin-key": ADMIN_KEY},
    )

    blocked = await client.get("/api/usage")
    blocked_write = await client.post(
        "/api/assistants", json={"vapiAssistantId": "asst-flagged", "name": "X"}
    )

    assert blocked.status_code == 403
    assert blocked.json()["detail"] == "A password change is required first"
    assert blocked_write.status_code == 403
    # The session itself still answers, so the client knows what to ask for.
    session = (await client.get("/api/auth/session")).json()
    assert session["user"]["mustChangePassword"] is True

    changed = await _change(client, newPassword="finally-changed", forced=True)

    assert changed.status_code == 200
    assert (await client.get("/api/usage")).status_code == 200
