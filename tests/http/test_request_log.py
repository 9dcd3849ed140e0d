"""Every request is logged once, as JSON when asked, and never with secrets."""

from __future__ import annotations

import json
import logging
from dataclasses import replace

import pytest
from litestar.testing import AsyncTestClient

from epoch_http.app import create_app
from tests.conftest import truncate_all

pytestmark = pytest.mark.anyio


@pytest.fixture
async def json_client(settings):
    await truncate_all(settings.database_url)
    app = create_app(replace(settings, log_format="json", log_level="INFO"))
    async with AsyncTestClient(app) as test_client:
        yield test_client


def _rendered(caplog) -> list[str]:
    """Each captured record as the app's own root handler renders it."""
    handler = logging.getLogger().handlers[0]
    return [handler.format(record) for record in caplog.records]


def _events(caplog) -> list[dict]:
    return [json.loads(line) for line in _rendered(caplog)]


async def test_a_request_is_one_json_line_with_its_facts(json_client, caplog):
    caplog.clear()
    response = await json_client.get(
        "/health", headers={"x-request-id": "req-abc-12345"}
    )

    assert response.headers["x-request-id"] == "req-abc-12345"
    lines = [e for e in _events(caplog) if e["event"] == "http.request"]
    assert len(lines) == 1
    [line] = lines
    assert line["method"] == "GET"
    assert line["path"] == "/health"
    assert line["status"] == 200
    assert line["request_id"] == "req-abc-12345"
    assert line["duration_ms"] >= 0
    assert line["level"] == "info"


async def test_an_unsafe_request_id_is_replaced(json_client):
    response = await json_client.get("/health", headers={"x-request-id": "bad id\n"})
    assert response.headers["x-request-id"] != "bad id\n"
    assert len(response.headers["x-request-id"]) == 32


async def test_no_password_or_token_reaches_the_log(json_client, caplog):
    body = {
        "name": "Jane",
        "email": "secret-check@example.com",
        "password": "hunter2-very-secret",
        "organizationName": "Acme",
    }
    await json_client.post("/api/auth/register", json=body)
    csrf = (await json_client.get("/api/auth/csrf")).json()["csrfToken"]
    await json_client.post(
        "/api/auth/callback/credentials",
        data={"email": body["email"], "password": body["password"], "csrfToken": csrf},
    )
    session_token = json_client.cookies.get("next-auth.session-token")

    err = "\n".join(_rendered(caplog))
    assert "hunter2-very-secret" not in err
    assert session_token
    assert session_token not in err
    assert csrf not in err


async def test_session_requests_carry_the_organization(json_client, caplog):
    body = {
        "name": "Jane",
        "email": "org-log@example.com",
        "password": "securepass123",
        "organizationName": "Acme",
    }
    org_id = (await json_client.post("/api/auth/register", json=body)).json()[
        "organizationId"
    ]
    csrf = (await json_client.get("/api/auth/csrf")).json()["csrfToken"]
    await json_client.post(
        "/api/auth/callback/credentials",
        data={"email": body["email"], "password": body["password"], "csrfToken": csrf},
    )
    caplog.clear()

    await json_client.get("/api/usage")

    [line] = [e for e in _events(caplog) if e["event"] == "http.request"]
    assert line["organization_id"] == org_id
