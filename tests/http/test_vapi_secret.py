"""The VAPI webhook secret: required when configured, constant-time compared."""

from __future__ import annotations

from dataclasses import replace

import pytest
from litestar.testing import AsyncTestClient

from epoch_http.app import create_app
from tests.conftest import truncate_all
from tests.http.helpers import add_assistant, signed_up, vapi_report

pytestmark = pytest.mark.anyio

SECRET = "vapi-shared-secret-0123456789"


@pytest.fixture
async def secured(settings):
    await truncate_all(settings.database_url)
    app = create_app(replace(settings, vapi_webhook_secret=SECRET))
    async with AsyncTestClient(app) as test_client:
        yield test_client


async def _minutes(client: AsyncTestClient) -> float:
    return (await client.get("/api/usage")).json()["snapshot"]["minutesUsed"]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"x-vapi-secret": "wrong"},
        {"x-vapi-secret": SECRET[:-1]},
        {"authorization": "Bearer wrong"},
        {"authorization": SECRET},
    ],
)
async def test_a_wrong_or_missing_secret_is_401_and_stores_nothing(
    secured: AsyncTestClient, headers
):
    await signed_up(secured)
    await add_assistant(secured, "asst-sec")

    response = await secured.post(
        "/api/webhooks/vapi", json=vapi_report("c-sec", "asst-sec"), headers=headers
    )

    assert response.status_code == 401
    assert await _minutes(secured) == 0
    assert (await secured.get("/api/usage")).json()["recentCalls"] == []


@pytest.mark.parametrize(
    "headers", [{"x-vapi-secret": SECRET}, {"authorization": f"Bearer {SECRET}"}]
)
async def test_the_right_secret_in_either_header_is_accepted(
    secured: AsyncTestClient, headers
):
    await signed_up(secured)
    await add_assistant(secured, "asst-ok")

    response = await secured.post(
        "/api/webhooks/vapi", json=vapi_report("c-ok", "asst-ok"), headers=headers
    )

    assert response.status_code == 200
    assert await _minutes(secured) == 5.5


async def test_without_a_configured_secret_anything_is_accepted(
    client: AsyncTestClient,
):
    await signed_up(client)
    await add_assistant(client, "asst-open")
    response = await client.post(
        "/api/webhooks/vapi",
        json=vapi_report("c-open", "asst-open"),
        headers={"x-vapi-secret": "whatever"},
    )
    assert response.status_code == 200
