"""Provider text PostgreSQL cannot hold as sent: the event is still kept and
metered, never a 500 (found by the schemathesis run)."""

from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient

from tests.http.helpers import add_assistant, signed_up, vapi_report

pytestmark = pytest.mark.anyio


async def test_nul_characters_in_a_report_are_stored_as_a_stand_in(
    client: AsyncTestClient,
):
    await signed_up(client)
    await add_assistant(client, "asst-nul-1")
    report = vapi_report("call-\x00-1", "asst-nul-1")
    report["message"]["analysis"]["summary"] = "Booked\x00 a cleaning"
    report["\x00odd key"] = ["\x00"]

    response = await client.post("/api/webhooks/vapi", json=report)

    assert response.status_code == 200, response.text
    usage = (await client.get("/api/usage")).json()
    [recent] = usage["recentCalls"]
    assert recent["vapiCallId"] == "call-\ufffd-1"
    assert usage["snapshot"]["minutesUsed"] == 5.5
    detail = (await client.get(f"/api/calls/{recent['id']}")).json()
    assert detail["call"]["summary"] == "Booked\ufffd a cleaning"


async def test_a_nul_in_the_assistant_id_is_kept_for_nobody(client: AsyncTestClient):
    await signed_up(client)
    report = vapi_report("call-nul-2", "asst-\x00")

    response = await client.post("/api/webhooks/vapi", json=report)

    assert response.status_code == 200, response.text
    assert (await client.get("/api/usage")).json()["recentCalls"] == []


async def test_a_lone_surrogate_escape_is_refused_as_not_json(client):
    """JSON's "\\ud800" names half a character that UTF-8 cannot encode (and
    PostgreSQL would refuse); msgspec refuses it as malformed, so it never
    reaches a query."""
    body = (
        '{"message": {"type": "end-of-call-report",'
        ' "call": {"id": "call-\\udfff", "assistantId": "a"}}}'
    )
    response = await client.post(
        "/api/webhooks/vapi",
        content=body,
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400
