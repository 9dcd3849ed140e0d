"""The product's central loop over HTTP: sign up, register an assistant,
receive VAPI reports, read metered minutes and call details."""

from __future__ import annotations

import copy

import anyio
import pytest
from litestar.testing import AsyncTestClient

from tests.http.helpers import add_assistant, load_sample, signed_up, vapi_report

pytestmark = pytest.mark.anyio

SAMPLE_ASSISTANT = "00000000-0000-4000-8000-0000000000d1"


async def _usage(client: AsyncTestClient) -> dict:
    response = await client.get("/api/usage")
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_report_becomes_a_call_with_exact_minutes(client: AsyncTestClient):
    await signed_up(client)
    await add_assistant(client, "asst-loop-1")

    report = vapi_report("call-1", "asst-loop-1")
    response = await client.post("/api/webhooks/vapi", json=report)

    assert response.status_code == 200
    usage = await _usage(client)
    assert usage["snapshot"]["minutesUsed"] == 5.5
    assert usage["snapshot"]["minutesLimit"] == 30
    assert usage["snapshot"]["percentUsed"] == 18.33
    assert usage["plan"] == "FREE"
    assert usage["assistant"]["name"] == "Reception AI"
    [recent] = usage["recentCalls"]
    assert recent["vapiCallId"] == "call-1"
    assert recent["durationMinutes"] == 5.5
    assert recent["status"] == "COMPLETED"
    assert len(usage["history"]) == 30

    detail = (await client.get(f"/api/calls/{recent['id']}")).json()
    call = detail["call"]
    assert call["customerNumber"] == "+15555550100"
    assert call["startedAt"] == "2026-01-15T17:00:00Z"
    assert call["endedAt"] == "2026-01-15T17:05:30Z"
    assert call["summary"].startswith("Caller asked to book a cleaning")
    # The free tier has no transcripts or recordings.
    assert call["transcript"] is None
    assert call["recordingUrl"] is None
    assert detail["features"] == {"transcripts": False, "recordings": False}


async def test_the_sample_report_as_published_is_metered(client: AsyncTestClient):
    await signed_up(client)
    await add_assistant(client, SAMPLE_ASSISTANT)

    body = load_sample("vapi-end-of-call-report.json")
    assert (await client.post("/api/webhooks/vapi", json=body)).status_code == 200

    # 17:00:05.123 to 17:02:40.456 is 155,333 ms: 2.588883… minutes.
    usage = await _usage(client)
    assert usage["snapshot"]["minutesUsed"] == 2.59
    assert usage["recentCalls"][0]["durationMinutes"] == 2.59


async def test_the_legacy_report_without_times_is_stored_but_not_metered(
    client: AsyncTestClient,
):
    await signed_up(client)
    await add_assistant(client, SAMPLE_ASSISTANT)

    body = load_sample("vapi-end-of-call-report.legacy.json")
    assert (await client.post("/api/webhooks/vapi", json=body)).status_code == 200

    usage = await _usage(client)
    assert usage["snapshot"]["minutesUsed"] == 0
    [recent] = usage["recentCalls"]
    assert recent["durationMinutes"] is None
    detail = (await client.get(f"/api/calls/{recent['id']}")).json()["call"]
    assert detail["summary"].startswith("Caller asked")
    assert detail["customerNumber"] == "+15555550100"


async def test_status_updates_then_report_keep_one_call(client: AsyncTestClient):
    await signed_up(client)
    await add_assistant(client, SAMPLE_ASSISTANT)

    for name in ("vapi-status-update.in-progress.json", "vapi-status-update.json"):
        body = load_sample(name)
        assert (await client.post("/api/webhooks/vapi", json=body)).status_code == 200
    usage = await _usage(client)
    assert usage["recentCalls"][0]["status"] == "COMPLETED"
    assert usage["snapshot"]["minutesUsed"] == 0

    body = load_sample("vapi-end-of-call-report.json")
    await client.post("/api/webhooks/vapi", json=body)
    usage = await _usage(client)
    assert len(usage["recentCalls"]) == 1
    assert usage["snapshot"]["minutesUsed"] == 2.59


async def test_a_late_in_progress_update_does_not_reopen_an_ended_call(
    client: AsyncTestClient,
):
    await signed_up(client)
    await add_assistant(client, SAMPLE_ASSISTANT)
    await client.post(
        "/api/webhooks/vapi", json=load_sample("vapi-end-of-call-report.json")
    )
    await client.post(
        "/api/webhooks/vapi", json=load_sample("vapi-status-update.in-progress.json")
    )
    assert (await _usage(client))["recentCalls"][0]["status"] == "COMPLETED"


async def test_the_same_report_twice_counts_once(client: AsyncTestClient):
    await signed_up(client)
    await add_assistant(client, "asst-dup")
    report = vapi_report("call-dup", "asst-dup")

    for _ in range(2):
        assert (await client.post("/api/webhooks/vapi", json=report)).status_code == 200

    assert (await _usage(client))["snapshot"]["minutesUsed"] == 5.5


async def test_twenty_concurrent_deliveries_count_once(client: AsyncTestClient):
    await signed_up(client)
    await add_assistant(client, "asst-race")
    report = vapi_report("call-race", "asst-race")
    statuses: list[int] = []

    async def deliver() -> None:
        response = await client.post("/api/webhooks/vapi", json=copy.deepcopy(report))
        statuses.append(response.status_code)

    async with anyio.create_task_group() as group:
        for _ in range(20):
            group.start_soon(deliver)

    assert statuses == [200] * 20
    usage = await _usage(client)
    assert usage["snapshot"]["minutesUsed"] == 5.5
    assert len(usage["recentCalls"]) == 1


async def test_minutes_of_many_calls_add_up_exactly(client: AsyncTestClient):
    await signed_up(client)
    await add_assistant(client, "asst-sum")
    # 10 s, 20 s and 30 s: one minute in all, not three rounded-up minutes.
    for n, end in enumerate(("00:10", "00:20", "00:30")):
        report = vapi_report(
            f"call-sum-{n}",
            "asst-sum",
            "2026-01-15T17:00:00Z",
            f"2026-01-15T17:{end}Z",
        )
        await client.post("/api/webhooks/vapi", json=report)
    assert (await _usage(client))["snapshot"]["minutesUsed"] == 1.0


async def test_a_report_for_an_unknown_assistant_is_kept_for_nobody(
    client: AsyncTestClient,
):
    await signed_up(client)
    await add_assistant(client, "asst-mine")

    report = vapi_report("call-stranger", "asst-someone-else")
    assert (await client.post("/api/webhooks/vapi", json=report)).status_code == 200

    usage = await _usage(client)
    assert usage["snapshot"]["minutesUsed"] == 0
    assert usage["recentCalls"] == []


async def test_calls_are_attributed_by_phone_number_too(client: AsyncTestClient):
    """Without a registered assistant the VAPI phone number still identifies
    the organization; set directly here since provisioning is another group."""
    account = await signed_up(client)
    from tests.conftest import fetch

    await fetch(
        client.app.state.settings.database_url,
        "UPDATE organizations SET vapi_phone_number_id = $1 WHERE id = $2",
        "00000000-0000-4000-8000-0000000000b1",
        account.organization_id,
    )

    body = load_sample("vapi-end-of-call-report.json")
    await client.post("/api/webhooks/vapi", json=body)
    assert (await _usage(client))["snapshot"]["minutesUsed"] == 2.59


async def test_other_message_types_are_acknowledged(client: AsyncTestClient):
    body = load_sample("vapi-tool-calls.json")
    response = await client.post("/api/webhooks/vapi", json=body)
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("content", "status"),
    [
        (b"{not json", 400),
        (b"[1, 2]", 400),
        (b'{"message": "nope"}', 200),
        (b'{"message": {"type": "end-of-call-report"}}', 200),
    ],
)
async def test_malformed_webhook_bodies(client: AsyncTestClient, content, status):
    response = await client.post(
        "/api/webhooks/vapi",
        content=content,
        headers={"content-type": "application/json"},
    )
    assert response.status_code == status
