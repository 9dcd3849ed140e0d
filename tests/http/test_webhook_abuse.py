"""Reports a real call could never produce: stored, answered, never billed."""

from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient

from tests.http.helpers import add_assistant, signed_up, vapi_report

pytestmark = pytest.mark.anyio


async def _usage(client: AsyncTestClient) -> dict:
    return (await client.get("/api/usage")).json()


async def test_a_call_lasting_millennia_is_kept_without_minutes(
    client: AsyncTestClient,
):
    """Found by a newcomer: this put 5.26 billion minutes on one account."""
    await signed_up(client)
    await add_assistant(client, "asst-forever")
    report = vapi_report(
        "call-forever", "asst-forever", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"
    )

    response = await client.post("/api/webhooks/vapi", json=report)

    assert response.status_code == 200
    usage = await _usage(client)
    assert usage["snapshot"]["minutesUsed"] == 0
    [call] = usage["recentCalls"]
    assert call["durationMinutes"] is None
    assert call["status"] == "COMPLETED"


async def test_a_day_long_call_is_the_longest_that_counts(client: AsyncTestClient):
    await signed_up(client)
    await add_assistant(client, "asst-long")
    day = vapi_report(
        "call-day", "asst-long", "2026-01-15T00:00:00Z", "2026-01-16T00:00:00Z"
    )
    longer = vapi_report(
        "call-longer", "asst-long", "2026-01-15T00:00:00Z", "2026-01-16T00:00:01Z"
    )

    await client.post("/api/webhooks/vapi", json=day)
    await client.post("/api/webhooks/vapi", json=longer)

    assert (await _usage(client))["snapshot"]["minutesUsed"] == 1440.0


@pytest.mark.parametrize(
    "extra",
    [
        {"durationMinutes": 1e300},
        {"durationMs": 10**30},
        {"durationSeconds": 9.9e18},
        {"durationMs": -5},
        {"durationMs": "300000"},
    ],
)
async def test_absurd_reported_durations_never_fail_or_count(
    client: AsyncTestClient, extra
):
    await signed_up(client)
    await add_assistant(client, "asst-odd")
    body = {
        "message": {
            "type": "end-of-call-report",
            "call": {"id": "call-odd", "assistantId": "asst-odd"},
            **extra,
        }
    }

    response = await client.post("/api/webhooks/vapi", json=body)

    assert response.status_code == 200
    assert (await _usage(client))["snapshot"]["minutesUsed"] == 0


async def test_a_second_report_with_another_length_changes_nothing_billed(
    client: AsyncTestClient,
):
    """Found by a newcomer: the call showed 3.0 minutes while 1.0 was billed."""
    await signed_up(client)
    await add_assistant(client, "asst-twice")
    first = vapi_report(
        "call-twice", "asst-twice", "2026-01-15T17:00:00Z", "2026-01-15T17:01:00Z"
    )
    second = vapi_report(
        "call-twice", "asst-twice", "2026-01-15T17:00:00Z", "2026-01-15T17:03:00Z"
    )

    await client.post("/api/webhooks/vapi", json=first)
    await client.post("/api/webhooks/vapi", json=second)

    usage = await _usage(client)
    assert usage["snapshot"]["minutesUsed"] == 1.0
    [call] = usage["recentCalls"]
    assert call["durationMinutes"] == 1.0
    assert call["endedAt"] == "2026-01-15T17:01:00Z"


@pytest.mark.parametrize(
    "path",
    ["/api/webhooks/vapi", "/api/auth/register", "/api/assistants"],
)
async def test_absurdly_nested_json_is_a_400(client: AsyncTestClient, path):
    await signed_up(client)
    body = '{"a":' + "[" * 100_000 + "]" * 100_000 + "}"
    response = await client.post(
        path, content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
